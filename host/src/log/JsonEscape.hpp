// JsonEscape: writes text as a JSON string value without building a JSON tree.
// Log lines and problem documents are written on every request; they only need
// strings escaped, and must stay valid JSON whatever bytes a plugin or a client
// hands us (invalid UTF-8 becomes U+FFFD instead of breaking the document).
#pragma once

#include <string>
#include <string_view>

namespace crm::log {

// Appends the JSON-escaped form of `text` (no surrounding quotes) to `out`.
// Valid UTF-8 passes through unchanged; quotes, backslashes and control
// characters are escaped; each invalid UTF-8 sequence becomes \ufffd.
void append_json_escaped(std::string& out, std::string_view text);

// Same, wrapped in double quotes.
inline void append_json_quoted(std::string& out, std::string_view text) {
  out.push_back('"');
  append_json_escaped(out, text);
  out.push_back('"');
}

} // namespace crm::log
