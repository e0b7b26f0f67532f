// Cursor: see the header.
#include "Cursor.hpp"

#include "InputRules.hpp"

#include <crm/plugin.hpp>

#include <optional>

namespace customer {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false; // fits a bigint
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

} // namespace

std::string encode_cursor(const Position& p) { return base64url_encode(p.micros + ":" + p.id); }

Position decode_cursor(std::string_view cursor) {
  const auto text = cursor.size() <= 100 ? base64url_decode(cursor) : std::nullopt;
  const size_t colon = text ? text->find(':') : std::string::npos;
  if (colon == std::string::npos || !all_digits(std::string_view(*text).substr(0, colon)) ||
      !is_uuid(std::string_view(*text).substr(colon + 1)))
    throw crm::invalid("cursor", "is not a cursor from this list");
  return Position{text->substr(0, colon), lower_ascii(text->substr(colon + 1))};
}

} // namespace customer
