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
// text, null as an empty cell. Every cell a spreadsheet could run as a
// formula is neutralised (formula_safe). nullopt when the reply is no such
// list.
std::optional<std::string> items_csv(std::string_view json);

// The OWASP rule against CSV injection: a cell starting with =, +, -, @, TAB
// or CR gets a leading ' so a spreadsheet shows it as text. It applies to
// every cell, header and numbers included: -5 becomes '-5. Telling a number
// from a formula is what let "-1+1+cmd|' /C calc'!A0" through, and a
// spreadsheet reads '-5 as the text -5.
std::string formula_safe(std::string_view cell);

} // namespace crm::http
