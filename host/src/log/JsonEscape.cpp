// JsonEscape: see the header.
#include "log/JsonEscape.hpp"

#include <cstddef>

namespace crm::log {

namespace {

// Length of the well-formed UTF-8 sequence starting at s[i] (a lead byte >= 0x80),
// or 0 when it is not well-formed (stray continuation, overlong form, surrogate,
// beyond U+10FFFF, truncated). Follows Table 3-7 of the Unicode standard.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto at = [&](size_t k) -> unsigned { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  auto cont = [](unsigned b) { return b >= 0x80 && b <= 0xBF; };
  const unsigned b0 = at(0), b1 = at(1);
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(b1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const bool second_ok = b0 == 0xE0   ? (b1 >= 0xA0 && b1 <= 0xBF)
                           : b0 == 0xED ? (b1 >= 0x80 && b1 <= 0x9F)
                                        : cont(b1);
    return second_ok && cont(at(2)) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const bool second_ok = b0 == 0xF0   ? (b1 >= 0x90 && b1 <= 0xBF)
                           : b0 == 0xF4 ? (b1 >= 0x80 && b1 <= 0x8F)
                                        : cont(b1);
    return second_ok && cont(at(2)) && cont(at(3)) ? 4 : 0;
  }
  return 0;
}

} // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size());
  size_t run_start = 0; // bytes that need no escaping are copied in runs
  size_t i = 0;
  auto flush = [&] {
    out.append(text.data() + run_start, i - run_start);
  };
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (size_t n = utf8_sequence_length(text, i)) {
        i += n;
        continue;
      }
      flush();
      out += "\\ufffd";
      run_start = ++i;
      continue;
    }
    flush();
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
    run_start = ++i;
  }
  flush();
}

} // namespace crm::log
