// EventEnvelope: a delivered event as the notification rules read it:
// {id, type, source, time, subject, actor, traceparent, data}. Missing or
// mistyped parts the rules need are a 422 (the event is dead-lettered: it
// can never succeed).
#pragma once

#include <crm/plugin.hpp>

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <vector>

namespace analytics {

class EventEnvelope {
public:
  explicit EventEnvelope(const crm::Input& input);

  const std::string& id() const { return id_; }

  // data.<key> as text (numbers are printed), nullopt when absent or null.
  std::optional<std::string> text(const std::string& key) const;
  // data.<key> as a lower-case UUID, nullopt when absent or null.
  std::optional<std::string> uuid(const std::string& key) const;
  // data.<key> as a boolean; false when absent or null.
  bool flag(const std::string& key) const;
  // data.<key> as an array of UUIDs.
  std::vector<std::string> uuids(const std::string& key) const;

private:
  std::string id_;
  Poco::JSON::Object::Ptr data_;
};

} // namespace analytics
