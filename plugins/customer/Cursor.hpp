// Cursor: the opaque position of a customer list page. Lists are ordered by
// (created_at, id) descending and continue strictly after the last row shown
// (keyset paging), so rows inserted meanwhile neither repeat nor shift a page.
// The cursor carries that row's created_at (microseconds since the epoch,
// exact) and id, base64url-encoded; callers must not read anything into it.
#pragma once

#include <string>
#include <string_view>

namespace customer {

struct Position {
  std::string micros; // created_at as microseconds since 1970, decimal digits
  std::string id;     // a UUID
};

std::string encode_cursor(const Position& p);
// Throws crm::invalid("cursor") for anything encode_cursor did not make.
Position decode_cursor(std::string_view cursor);

} // namespace customer
