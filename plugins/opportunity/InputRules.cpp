// InputRules: see the header.
#include "InputRules.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace opportunity {

namespace {

constexpr std::int64_t kDefaultLimit = 50;
constexpr std::int64_t kMaxLimit = 200;
// numeric(18,2): 16 digits before the point.
constexpr double kAmountLimit = 1e16;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// `n` digits at s[pos] as a number; -1 when they are not all digits.
int digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const int y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

// Characters, not bytes: what PostgreSQL's char_length counts in UTF-8.
size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

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

bool is_rfc3339(std::string_view s) {
  if (s.size() < 20 || !is_date(s.substr(0, 10)) || (s[10] != 'T' && s[10] != 't')) return false;
  if (s[13] != ':' || s[16] != ':') return false;
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return false;
  size_t pos = 19;
  if (s[pos] == '.') {
    const size_t start = ++pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    if (pos == start || pos - start > 9) return false;
  }
  if (pos == s.size()) return false;
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return true;
  if ((s[pos] != '+' && s[pos] != '-') || pos + 6 != s.size() || s[pos + 3] != ':') return false;
  const int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
  return oh >= 0 && oh <= 15 && om >= 0 && om <= 59;
}

std::string required_uuid(const crm::Input& in, const std::string& key) {
  auto v = optional_uuid(in, key);
  if (!v) throw crm::invalid(key, "is required");
  return *v;
}

std::optional<std::string> optional_uuid(const crm::Input& in, const std::string& key) {
  auto v = in.text(key);
  if (!v || v->empty()) return std::nullopt;
  if (!is_uuid(*v)) throw crm::invalid(key, "must be a UUID");
  return lower_ascii(*v);
}

std::string required_text(const crm::Input& in, const std::string& key, size_t max_length) {
  auto v = optional_text(in, key, max_length);
  if (!v) throw crm::invalid(key, "is required");
  return *v;
}

std::optional<std::string> optional_text(const crm::Input& in, const std::string& key, size_t max_length) {
  auto v = in.text(key);
  if (!v) return std::nullopt;
  if (is_blank(*v)) throw crm::invalid(key, "must not be blank");
  if (code_points(*v) > max_length)
    throw crm::invalid(key, "must be at most " + std::to_string(max_length) + " characters");
  return v;
}

std::optional<std::string> optional_note(const crm::Input& in, const std::string& key, size_t max_length) {
  auto v = in.text(key);
  if (!v || is_blank(*v)) return std::nullopt;
  if (code_points(*v) > max_length)
    throw crm::invalid(key, "must be at most " + std::to_string(max_length) + " characters");
  return v;
}

std::string required_amount(const crm::Input& in, const std::string& key) {
  if (!in.has(key)) throw crm::invalid(key, "is required");
  const auto value = in.object().get(key);
  if (value.isString() || value.isBoolean() || !value.isNumeric()) throw crm::invalid(key, "must be a number");
  const double magnitude = value.convert<double>();
  if (!std::isfinite(magnitude)) throw crm::invalid(key, "must be a number");
  if (magnitude <= 0) throw crm::invalid(key, "must be greater than 0");
  if (magnitude >= kAmountLimit) throw crm::invalid(key, "must be less than 10000000000000000");
  if (value.isInteger()) return value.toString();
  // The shortest decimal that reads back as the same double: what the caller
  // wrote, for any amount numeric(18,2) can hold.
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, magnitude, std::chars_format::fixed);
  if (ec != std::errc()) throw crm::invalid(key, "must be a number");
  const std::string text(buffer, end);
  const size_t point = text.find('.');
  if (point != std::string::npos && text.size() - point - 1 > 2)
    throw crm::invalid(key, "must have at most two decimals");
  return text;
}

std::string currency_or(const crm::Input& in, const std::string& key, const std::string& fallback) {
  const auto v = in.text(key);
  if (!v) return fallback;
  const bool ok = v->size() == 3 && std::all_of(v->begin(), v->end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!ok) throw crm::invalid(key, "must be three upper-case letters such as EUR");
  return *v;
}

std::int64_t required_integer(const crm::Input& in, const std::string& key, std::int64_t min, std::int64_t max) {
  const auto v = in.integer(key);
  if (!v) throw crm::invalid(key, "is required");
  if (*v < min || *v > max)
    throw crm::invalid(key, "must be from " + std::to_string(min) + " to " + std::to_string(max));
  return *v;
}

std::optional<std::string> optional_choice(const crm::Input& in, const std::string& key,
                                           const std::vector<std::string>& allowed) {
  auto v = in.text(key);
  if (!v || v->empty()) return std::nullopt;
  for (const auto& a : allowed)
    if (*v == a) return v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw crm::invalid(key, "must be one of " + list);
}

std::int64_t page_limit(const crm::Input& in) {
  if (!in.has("limit")) return kDefaultLimit;
  const auto value = in.object().get("limit");
  std::int64_t n = 0;
  if (value.isString()) {
    const std::string text = value.toString();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      throw crm::invalid("limit", "must be an integer");
  } else {
    n = *in.integer("limit");
  }
  if (n < 1 || n > kMaxLimit) throw crm::invalid("limit", "must be from 1 to 200");
  return n;
}

std::string uuid_array(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (const auto& id : ids) {
    if (!is_uuid(id)) continue;
    if (out.size() > 1) out.push_back(',');
    out += id;
  }
  return out + "}";
}

} // namespace opportunity
