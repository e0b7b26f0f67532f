// PageCursor: the keyset position a notification page ends at, opaque to
// callers. Notifications are listed newest first, by creation time and then
// id; the cursor holds both, the time to the microsecond, so the next page
// starts exactly after the last row shown.
#pragma once

#include <crm/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace analytics {

struct PagePosition {
  std::string at; // RFC 3339 UTC with microseconds, as cursor_time() printed it
  std::string id; // UUID
};

std::string encode_cursor(const PagePosition& p);

// ?cursor= of the input: nullopt when absent or empty; throws
// crm::invalid("cursor") for a text this plugin did not hand out.
std::optional<PagePosition> cursor_of(const crm::Input& in);

// Replies {items, nextCursor} from rows whose columns are (item JSON, sort
// time as printed by cursor_time(), id), fetched with `limit + 1` rows: the
// extra row only tells that there is a next page.
void reply_page(crm::Call& call, const crm::Rows& rows, std::int64_t limit);

} // namespace analytics
