// EventEnvelope: see the header.
#include "EventEnvelope.hpp"

#include <crm/sdk/input_rules.hpp>

#include <Poco/JSON/Array.h>

namespace analytics {

EventEnvelope::EventEnvelope(const crm::Input& input) : id_(crm::required_uuid(input, "id")) {
  data_ = input.object().getObject("data");
  if (!data_) throw crm::invalid("data", "must be an object");
}

std::optional<std::string> EventEnvelope::text(const std::string& key) const {
  if (!data_->has(key) || data_->isNull(key)) return std::nullopt;
  return data_->get(key).toString();
}

std::optional<std::string> EventEnvelope::uuid(const std::string& key) const {
  auto v = text(key);
  if (!v) return std::nullopt;
  if (!crm::is_uuid(*v)) throw crm::invalid("data." + key, "must be a UUID");
  return crm::lower_ascii(*v);
}

bool EventEnvelope::flag(const std::string& key) const {
  if (!data_->has(key) || data_->isNull(key)) return false;
  const auto v = data_->get(key);
  if (!v.isBoolean()) throw crm::invalid("data." + key, "must be true or false");
  return v.convert<bool>();
}

std::vector<std::string> EventEnvelope::uuids(const std::string& key) const {
  std::vector<std::string> out;
  auto array = data_->getArray(key);
  if (!array) throw crm::invalid("data." + key, "must be an array of UUIDs");
  for (size_t i = 0; i < array->size(); ++i) {
    const auto v = array->get(static_cast<unsigned>(i));
    if (!v.isString() || !crm::is_uuid(v.toString()))
      throw crm::invalid("data." + key + "[" + std::to_string(i) + "]", "must be a UUID");
    out.push_back(crm::lower_ascii(v.toString()));
  }
  return out;
}

} // namespace analytics
