// AlertNotifications: see the header.
#include "AlertNotifications.hpp"

#include <Poco/UUID.h>
#include <Poco/UUIDGenerator.h>

namespace alerts {

namespace {

std::string title_of(const FiredAlert& a) {
  if (a.kind == "ABOVE") return a.symbol + " rose to " + a.price + " (at or above " + a.threshold + ")";
  if (a.kind == "BELOW") return a.symbol + " fell to " + a.price + " (at or below " + a.threshold + ")";
  return a.symbol + " moved " + a.move_pct.value_or("?") + "% in " + a.window_minutes.value_or("?") +
         " minutes (alert at " + a.threshold + "%)";
}

} // namespace

std::string crossing_key(const std::string& rule_id, const std::string& price_at) {
  // The namespace of the alerts plugin's derived ids (fixed: changing it
  // would notify everyone again on a replay).
  static const Poco::UUID space("5d0c7a52-3f1e-4b8a-9e64-1c2b7f3a9d40");
  return Poco::UUIDGenerator::defaultGenerator()
      .createFromName(space, "price-alert:" + rule_id + ":" + price_at)
      .toString();
}

void send_price_alert(crm::Call& call, const FiredAlert& alert) {
  const std::string notification =
      crm::JsonObject()
          .field("userId", alert.user_id)
          .field("kind", "PRICE_ALERT")
          .field("title", title_of(alert))
          .field("body", alert.symbol + " traded at " + alert.price + " at " + alert.price_at + ".")
          .field("resourceType", "alert_rule")
          .field("resourceId", alert.rule_id)
          .str();
  const std::string input = crm::JsonObject()
                                .field("key", crossing_key(alert.rule_id, alert.price_at))
                                .raw("notifications", "[" + notification + "]")
                                .str();
  const crm::InvokeResult r = call.invoke_result("analytics.notify", input);
  if (r.ok()) return;
  if (r.status == CRM_E_NO_OPERATION) {
    call.log(CRM_LOG_WARN, "no analytics plugin: PRICE_ALERT of rule " + alert.rule_id + " not sent");
    return;
  }
  throw crm::Error(CRM_E_UNAVAILABLE, "PRICE_ALERT of rule " + alert.rule_id + " not sent: " + r.detail());
}

} // namespace alerts
