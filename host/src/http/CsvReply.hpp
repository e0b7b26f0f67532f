// CsvReply: any list a plugin replies ({items: [flat objects]}) as CSV when
// the client asks for it with Accept: text/csv; the reports use this, and
// every other list gets it for free.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace crm::http {

// True when Accept ranks text/csv above (or as high as) application/json.
bool prefers_csv(std::string_view accept);

// {items: [...]} (or a bare array) of objects as RFC 4180 CSV: a header of
// every key in first-seen order, one line per item; nested values as JSON
// text, null as an empty cell. Text a spreadsheet would run as a formula
// (=, +, @) gets a leading '. nullopt when the reply is no such list.
std::optional<std::string> items_csv(std::string_view json);

} // namespace crm::http
