// OrderNotifications: see the header.
#include "OrderNotifications.hpp"

#include <Poco/UUID.h>
#include <Poco/UUIDGenerator.h>

namespace orders {

std::string notice_key(const std::string& order_id, const std::string& kind) {
  // The namespace of the orders plugin's derived ids (fixed: changing it
  // would notify everyone again on a replay).
  static const Poco::UUID space("0b6f4b8e-8a43-4a59-9c3e-2f7d0d5e6a21");
  return Poco::UUIDGenerator::defaultGenerator().createFromName(space, "order-notice:" + order_id + ":" + kind).toString();
}

NoticeOutcome send_notice(crm::Call& call, const OrderNotice& notice) {
  const std::string notification = crm::JsonObject()
                                       .field("userId", notice.user_id)
                                       .field("kind", notice.kind)
                                       .field("title", notice.title)
                                       .field("body", notice.body)
                                       .field("resourceType", "order")
                                       .field("resourceId", notice.order_id)
                                       .str();
  const std::string input = crm::JsonObject()
                                .field("key", notice_key(notice.order_id, notice.kind))
                                .raw("notifications", "[" + notification + "]")
                                .str();
  const crm::InvokeResult r = call.invoke_result("analytics.notify", input);
  if (r.ok()) return NoticeOutcome::sent;
  if (r.status == CRM_E_NO_OPERATION) {
    call.log(CRM_LOG_WARN, "no analytics plugin: " + notice.kind + " for order " + notice.order_id + " not sent");
    return NoticeOutcome::no_notifier;
  }
  call.log(CRM_LOG_WARN, notice.kind + " for order " + notice.order_id + " not sent: " + r.detail());
  return NoticeOutcome::failed;
}

} // namespace orders
