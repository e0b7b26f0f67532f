// InputRules: see the header.
#include "InputRules.hpp"

#include <Poco/JSON/Array.h>

#include <charconv>
#include <typeinfo>

namespace analytics {

namespace {

constexpr std::int64_t kDefaultLimit = 50;
constexpr std::int64_t kMaxLimit = 200;

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

std::string required_uuid(const crm::Input& in, const std::string& key) {
  auto v = in.text(key);
  if (!v || v->empty()) throw crm::invalid(key, "is required");
  if (!is_uuid(*v)) throw crm::invalid(key, "must be a UUID");
  return lower_ascii(*v);
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

bool flag(const crm::Input& in, const std::string& key) {
  if (!in.has(key)) return false;
  const auto value = in.object().get(key);
  if (value.isBoolean()) return value.convert<bool>();
  if (value.isString()) {
    const std::string text = lower_ascii(value.toString());
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0" || text.empty()) return false;
  }
  throw crm::invalid(key, "must be true or false");
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

std::vector<std::string> uuid_list(const crm::Input& in, const std::string& key) {
  std::vector<std::string> ids;
  if (!in.has(key)) throw crm::invalid(key, "is required");
  const auto value = in.object().get(key);
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto object = value.extract<Poco::JSON::Object::Ptr>();
    if (object && object->size() == 0) return ids;
  }
  auto array = in.object().getArray(key);
  if (!array) throw crm::invalid(key, "must be an array of UUIDs");
  for (size_t i = 0; i < array->size(); ++i) {
    const auto v = array->get(static_cast<unsigned>(i));
    if (!v.isString() || !is_uuid(v.toString())) throw crm::invalid(key, "must be an array of UUIDs");
    ids.push_back(lower_ascii(v.toString()));
  }
  return ids;
}

} // namespace analytics
