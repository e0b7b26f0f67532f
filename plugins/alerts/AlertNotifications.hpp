// AlertNotifications: a fired alert told to the rule's owner as a
// notification of kind PRICE_ALERT, through the analytics plugin's
// analytics.notify (which the host pushes to the user's live stream). The
// key is a name-based UUID of the rule and the time of the price that
// crossed, so however often a crossing is handled, it notifies once.
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>

namespace alerts {

struct FiredAlert {
  std::string rule_id;
  std::string user_id;
  std::string symbol;
  std::string kind; // ABOVE, BELOW, MOVE_PCT
  std::string threshold;
  std::optional<std::string> window_minutes;
  std::optional<std::string> move_pct; // MOVE_PCT: the move that fired it, in per cent
  std::string price;
  std::string price_at; // cursor_time() text, to the microsecond
};

// The key of a crossing: the same rule and price time always give the same UUID.
std::string crossing_key(const std::string& rule_id, const std::string& price_at);

// Sends the PRICE_ALERT. No analytics plugin: logged, nothing else (the
// crossing is recorded all the same). Any other failure throws 503, so the
// event is handled again and the key keeps it to one notification.
void send_price_alert(crm::Call& call, const FiredAlert& alert);

} // namespace alerts
