// InputRules: see the header.
#include "InputRules.hpp"

#include <charconv>

namespace customer {

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

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::string required_uuid(const crm::Input& in, const std::string& key) {
  auto v = optional_uuid(in, key);
  if (!v) throw crm::invalid(key, "is required");
  return *v;
}

std::optional<std::string> optional_uuid(const crm::Input& in, const std::string& key) {
  auto v = in.text(key);
  if (!v || v->empty()) return std::nullopt; // "?ownerId=" means no value
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

ClearableText clearable_text(const crm::Input& in, const std::string& key) {
  ClearableText t;
  t.given = in.object().has(key);
  if (!t.given) return t;
  auto v = in.text(key); // nullopt for null; throws for a non-string
  if (v && !is_blank(*v)) t.value = std::move(v);
  return t;
}

std::string required_text(const crm::Input& in, const std::string& key) {
  auto v = in.text(key);
  if (!v) throw crm::invalid(key, "is required");
  if (is_blank(*v)) throw crm::invalid(key, "must not be blank");
  return *v;
}

} // namespace customer
