#include "core/DerivedIds.hpp"

#include <Poco/UUID.h>
#include <Poco/UUIDGenerator.h>

namespace crm::core {

std::string derived_uuid(const std::string& name) {
  static const Poco::UUID space("6f1c3c2e-3a55-4c3b-9d1e-6b0d0f4a7c11");
  return Poco::UUIDGenerator::defaultGenerator().createFromName(space, name).toString();
}

std::string trigger_instance_id(const std::string& workflow, const std::string& event_id) {
  return derived_uuid("trigger:" + workflow + ":" + event_id);
}

} // namespace crm::core
