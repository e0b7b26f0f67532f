// text_rules.hpp: the shapes a plugin checks text against, as pure functions
// of the text: a UUID, an e-mail address, an RFC 3339 date-time, a blank
// text, a length in characters. input_rules.hpp applies them to a call's
// input with field paths; these take no input and throw nothing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace crm {

namespace detail {
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// `n` digits at s[pos] as a number; -1 when they are not all digits.
inline int digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// YYYY-MM-DD, a day that exists (leap years included), year 0001..9999.
inline bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const int y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}
} // namespace detail

// 8-4-4-4-12 hexadecimal digits, either case.
inline bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !detail::is_hex(s[i])) return false;
  }
  return true;
}

// ASCII letters lowered; other bytes (UTF-8 included) kept as they are.
inline std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Empty or only spaces, tabs and line breaks.
inline bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

// Characters, not bytes: what PostgreSQL's char_length counts in UTF-8.
inline size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// A plausible address: one '@', a local part, a dotted domain, no spaces or
// control characters, at most 254 bytes. Schemas may check more; this guards
// the paths without one (the first admin from the configuration).
inline bool looks_like_email(std::string_view s) {
  if (s.size() > 254) return false;
  const size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) return false;
  for (unsigned char c : s)
    if (c <= 0x20 || c == 0x7f) return false;
  const std::string_view domain = s.substr(at + 1);
  const size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.back() != '.';
}

// RFC 3339 date-time, "2026-01-31T09:30:00Z" or with a fraction (up to nine
// digits) and an offset within +-15:59: what PostgreSQL's timestamptz takes.
inline bool is_rfc3339(std::string_view s) {
  using detail::digits;
  if (s.size() < 20 || !detail::is_date(s.substr(0, 10)) || (s[10] != 'T' && s[10] != 't')) return false;
  if (s[13] != ':' || s[16] != ':') return false;
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return false;
  size_t pos = 19;
  if (s[pos] == '.') {
    const size_t start = ++pos;
    while (pos < s.size() && detail::is_digit(s[pos])) ++pos;
    if (pos == start || pos - start > 9) return false;
  }
  if (pos == s.size()) return false;
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return true;
  if ((s[pos] != '+' && s[pos] != '-') || pos + 6 != s.size() || s[pos + 3] != ':') return false;
  const int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
  return oh >= 0 && oh <= 15 && om >= 0 && om <= 59;
}

} // namespace crm
