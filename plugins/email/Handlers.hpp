// Handlers: the email plugin's operations (EmailPlugin.cpp lists them with
// their roles, routes and schedules).
#pragma once

#include "EmailSettings.hpp"

#include <crm/plugin.hpp>

#include <optional>
#include <string>

namespace email {

// Preferences.cpp: the caller's own preferences.
void get_preferences(crm::Call& call);
void put_preferences(crm::Call& call);

// Deliveries.cpp: notification.created queues the e-mail (or the digest
// entry); email.send_due attempts what is due, each in email.send_one's own
// transaction; the ADMIN's view of deliveries and their retry.
void on_notification_created(crm::Call& call);
void send_due(crm::Call& call);
void send_one(crm::Call& call);
void list_deliveries(crm::Call& call);
void retry_delivery(crm::Call& call);

// Digests.cpp: the daily digests due now, one per user and day.
void send_digests(crm::Call& call);

// The settings of this process (set once by init, before any handler runs).
const EmailSettings& settings();
void use_settings(EmailSettings s);

// The address to write to: nullopt when auth has no such user or the user is
// inactive; throws 503 when auth cannot answer (the event is tried again).
std::optional<std::string> recipient_address(crm::Call& call, const std::string& user_id);

} // namespace email
