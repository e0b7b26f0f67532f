// keyset_page.hpp: keyset paging for a plugin's lists, header-only, over the
// SDK. A list is ordered by a timestamp (or another text key) and then by id; a page ends at a
// position (the last row's time, to the microsecond, and id) that callers get
// back as an opaque ?cursor=, so the next page starts exactly after it, also
// while rows are being added.
//
// The SQL side prints the time with cursor_time(), which the plugin lists
// among its migrations (crm::sql::kCursorTime, sdk/schema_sql.hpp), and
// fetches `limit + 1` rows of (item JSON, cursor_time(sort time), id).
#pragma once

#include <crm/plugin.hpp>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace crm {

struct PagePosition {
  std::string at; // the sort key: "2026-01-31T09:30:00.123456Z", as cursor_time() printed it
  std::string id; // UUID
};

namespace detail {
// True when `s` has the shape of `shape`, where 'd' is any digit and 'h' any
// lower-case hexadecimal digit; other characters stand for themselves.
inline bool shaped_like(std::string_view s, std::string_view shape) {
  if (s.size() != shape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (shape[i] == 'd' ? (c < '0' || c > '9')
        : shape[i] == 'h' ? !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
                          : c != shape[i])
      return false;
  }
  return true;
}
} // namespace detail

// The cursor text: base64url("<id>|<at>").
inline std::string encode_cursor(const PagePosition& p) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder << p.id << '|' << p.at;
  encoder.close();
  return out.str();
}

// The position in a cursor text; nullopt for a text no list handed out.
// `key_is_valid` checks the sort key's shape (a cursor_time() text unless
// the list sorts by something else, such as an e-mail address).
inline std::optional<PagePosition> decode_cursor(std::string_view text,
                                                 bool (*key_is_valid)(std::string_view) = nullptr) {
  if (text.size() > 1024) return std::nullopt;
  std::string plain;
  try {
    std::istringstream source{std::string(text)};
    Poco::Base64Decoder decoder(source, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    plain.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  const std::string_view view(plain);
  if (plain.size() < 37 || plain[36] != '|' ||
      !detail::shaped_like(view.substr(0, 36), "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh"))
    return std::nullopt;
  const std::string_view key = view.substr(37);
  if (key_is_valid ? !key_is_valid(key) : !detail::shaped_like(key, "dddd-dd-ddTdd:dd:dd.ddddddZ"))
    return std::nullopt;
  std::string id(view.substr(0, 36));
  for (char& c : id)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return PagePosition{std::string(key), std::move(id)};
}

// ?cursor= of the input: nullopt when absent or empty; throws
// crm::invalid("cursor") for a text the list did not hand out.
inline std::optional<PagePosition> cursor_of(const Input& in, bool (*key_is_valid)(std::string_view) = nullptr) {
  const auto text = in.text("cursor");
  if (!text || text->empty()) return std::nullopt;
  auto position = decode_cursor(*text, key_is_valid);
  if (!position) throw invalid("cursor", "is not a cursor from this list");
  return position;
}

// Replies {items, nextCursor} from rows of (item JSON, cursor time, id)
// fetched with `limit + 1` rows: the extra row only tells there is a next page.
inline void reply_page(Call& call, const Rows& rows, std::int64_t limit) {
  const size_t shown = std::min(rows.size(), static_cast<size_t>(limit));
  std::string items = "[";
  for (size_t i = 0; i < shown; ++i) {
    if (i) items.push_back(',');
    items += *rows.at(i, 0);
  }
  items.push_back(']');
  std::optional<std::string> next;
  if (rows.size() > shown)
    next = encode_cursor(PagePosition{std::string(*rows.at(shown - 1, 1)), std::string(*rows.at(shown - 1, 2))});
  call.reply(JsonObject().raw("items", items).field("nextCursor", next).str());
}

} // namespace crm
