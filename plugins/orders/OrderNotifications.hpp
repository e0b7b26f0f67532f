// OrderNotifications: telling a user about an order (ORDER_CONFIRMED,
// ORDER_SHIPPED, ORDER_FAILED) through the analytics plugin's
// analytics.notify, invoked as the caller (the saga: the system). The key is
// a name-based UUID of the order id and the kind, so a step run again
// notifies nobody twice.
#pragma once

#include <crm/plugin.hpp>

#include <string>

namespace orders {

struct OrderNotice {
  std::string order_id;
  std::string user_id;
  std::string kind;  // ORDER_CONFIRMED, ORDER_SHIPPED, ORDER_FAILED
  std::string title;
  std::string body;
};

// The key of a notice: the same order and kind always give the same UUID.
std::string notice_key(const std::string& order_id, const std::string& kind);

enum class NoticeOutcome { sent, no_notifier, failed };

// Sends `notice`. A missing analytics plugin and a failure are logged and
// answered, never thrown: the caller decides whether they matter.
NoticeOutcome send_notice(crm::Call& call, const OrderNotice& notice);

} // namespace orders
