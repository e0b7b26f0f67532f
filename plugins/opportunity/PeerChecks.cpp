// PeerChecks: see the header.
#include "PeerChecks.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace opportunity {

namespace {

std::string id_input(const std::string& id) { return crm::JsonObject().field("id", std::string_view(id)).str(); }

// The host's answer to an invoke of an operation no loaded plugin offers.
bool is_missing_operation(const crm::Error& e) {
  return e.status() == CRM_E_NO_OPERATION;
}

} // namespace

void require_visible_customer(crm::Call& call, const std::string& customer_id, const std::string& field) {
  try {
    call.invoke("customer.get", id_input(customer_id));
  } catch (const crm::Error& e) {
    // A customer plugin that is down, or not loaded at all (the host then
    // has no operation customer.get), cannot tell: that is not the caller's
    // mistake.
    if (e.status() == CRM_E_UNAVAILABLE || is_missing_operation(e))
      throw crm::Error(CRM_E_UNAVAILABLE, "customers cannot be checked right now");
    // Not found or not visible: all the same to the caller.
    throw crm::invalid(field, "must be an existing customer you can see");
  }
}

void require_active_user(crm::Call& call, const std::string& user_id, const std::string& field) {
  std::string reply;
  try {
    reply = call.invoke("auth.users_get", id_input(user_id));
  } catch (const crm::Error& e) {
    if (e.status() == CRM_E_UNAVAILABLE) throw crm::Error(CRM_E_UNAVAILABLE, "users cannot be checked right now");
    throw crm::invalid(field, "must be an existing user");
  }
  bool active = false;
  try {
    Poco::JSON::Parser parser;
    auto user = parser.parse(reply).extract<Poco::JSON::Object::Ptr>();
    active = user && user->optValue<bool>("active", false);
  } catch (const Poco::Exception&) {
  }
  if (!active) throw crm::invalid(field, "must be an active user");
}

} // namespace opportunity
