// InputRules: see the header.
#include "InputRules.hpp"

#include <charconv>

namespace auth {

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

} // namespace

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool looks_like_email(std::string_view s) {
  if (s.size() > 254) return false;
  const size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) return false;
  for (unsigned char c : s)
    if (c <= 0x20 || c == 0x7f) return false;
  const std::string_view domain = s.substr(at + 1);
  const size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.back() != '.';
}

std::string required_uuid(const crm::Input& in, const std::string& key) {
  auto v = optional_uuid(in, key);
  if (!v) throw crm::invalid(key, "is required");
  return *v;
}

std::optional<std::string> optional_uuid(const crm::Input& in, const std::string& key) {
  auto v = in.text(key);
  if (!v || v->empty()) return std::nullopt; // "?reassignTo=" means no value
  if (!is_uuid(*v)) throw crm::invalid(key, "must be a UUID");
  return lower_ascii(*v);
}

std::optional<std::int64_t> optional_integer(const crm::Input& in, const std::string& key) {
  if (!in.has(key)) return std::nullopt;
  const auto value = in.object().get(key);
  if (!value.isString()) return in.integer(key);
  const std::string text = value.toString();
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw crm::invalid(key, "must be an integer");
  return n;
}

std::optional<bool> optional_flag(const crm::Input& in, const std::string& key) {
  if (!in.has(key)) return std::nullopt;
  const auto value = in.object().get(key);
  if (!value.isString()) return in.boolean(key);
  const std::string text = value.toString();
  if (text == "true") return true;
  if (text == "false") return false;
  throw crm::invalid(key, "must be true or false");
}

} // namespace auth
