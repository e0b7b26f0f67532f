// NotificationRules: who is told what, for each event that notifies.
//
//   approval.assigned    the approver who must decide now (currentApproverId):
//                        APPROVAL_ASSIGNED, or APPROVAL_ESCALATED when the
//                        approval was escalated to them
//   approval.approved    the requester: APPROVAL_APPROVED
//   approval.rejected    the requester: APPROVAL_REJECTED
//   task.due_soon        the assignee: TASK_DUE_SOON
//   customer.reassigned  the new owner (toUserId): CUSTOMER_REASSIGNED, unless a
//                        saga's transfer moved it (the saga sends a summary)
//
// Each operation replies {"notified": n}: the notifications it created (0 for
// a repeat of the event, or when nobody is to be told).
#include "Handlers.hpp"

#include "EventEnvelope.hpp"
#include "NotificationStore.hpp"

#include <string>

namespace analytics {

namespace {

void reply_notified(crm::Call& call, bool created) {
  call.reply(crm::JsonObject().field("notified", created ? 1 : 0).str());
}

std::string amount_of(const EventEnvelope& e) {
  std::string out = e.text("amount").value_or("?");
  if (auto currency = e.text("currency"); currency && !currency->empty()) out += " " + *currency;
  return out;
}

// The customer the event is about, if any: archive_for_customer finds the
// notification by it.
std::vector<std::string> customer_of(const EventEnvelope& e) {
  if (auto customer = e.uuid("customerId")) return {*customer};
  return {};
}

// The requester hears the decision; the comment, if any, is in the body.
void notify_decision(crm::Call& call, const char* kind, const char* verb) {
  const EventEnvelope e(call.input());
  const auto requester = e.uuid("requesterId");
  if (!requester) return reply_notified(call, false);
  std::string body = std::string(verb) + " (" + amount_of(e) + ").";
  if (auto comment = e.text("comment"); comment && !comment->empty()) body += " Comment: " + *comment;
  reply_notified(call,
                 create_notification(call, {.user_id = *requester,
                                            .kind = kind,
                                            .title = std::string(verb) + ": " + e.text("title").value_or("approval"),
                                            .body = body,
                                            .resource_type = "approval",
                                            .resource_id = e.uuid("id"),
                                            .customer_ids = customer_of(e),
                                            .event_id = e.id()}));
}

} // namespace

void notify_approval_assigned(crm::Call& call) {
  const EventEnvelope e(call.input());
  const auto approver = e.uuid("currentApproverId");
  if (!approver) return reply_notified(call, false);
  const bool escalated = e.flag("escalated");
  std::string body = amount_of(e);
  if (auto level = e.text("level"), levels = e.text("requiredLevels"); level && levels)
    body += ", level " + *level + " of " + *levels;
  body += escalated ? ". Escalated to you: it was not decided in time." : ". Waiting for your decision.";
  reply_notified(call, create_notification(call, {.user_id = *approver,
                                                  .kind = escalated ? "APPROVAL_ESCALATED" : "APPROVAL_ASSIGNED",
                                                  .title = "Approval needed: " + e.text("title").value_or("approval"),
                                                  .body = body,
                                                  .resource_type = "approval",
                                                  .resource_id = e.uuid("id"),
                                                  .customer_ids = customer_of(e),
                                                  .event_id = e.id()}));
}

void notify_approval_approved(crm::Call& call) { notify_decision(call, "APPROVAL_APPROVED", "Approved"); }

void notify_approval_rejected(crm::Call& call) { notify_decision(call, "APPROVAL_REJECTED", "Rejected"); }

void notify_task_due_soon(crm::Call& call) {
  const EventEnvelope e(call.input());
  const auto assignee = e.uuid("assigneeId");
  if (!assignee) return reply_notified(call, false);
  reply_notified(call, create_notification(call, {.user_id = *assignee,
                                                  .kind = "TASK_DUE_SOON",
                                                  .title = "Task due soon: " + e.text("title").value_or("task"),
                                                  .body = "Due " + e.text("dueAt").value_or("soon") + ".",
                                                  .resource_type = "task",
                                                  .resource_id = e.uuid("id"),
                                                  .customer_ids = customer_of(e),
                                                  .event_id = e.id()}));
}

// One event moves up to a batch of customers: one notification for all of
// them, pointing at the customer when there is just one.
void notify_customer_reassigned(crm::Call& call) {
  const EventEnvelope e(call.input());
  const auto owner = e.uuid("toUserId");
  const auto ids = e.uuids("ids");
  if (!owner || ids.empty()) return reply_notified(call, false);
  // A batch of a saga's transfer: the saga sends one summary at its end.
  if (e.text("transfer")) return reply_notified(call, false);
  const bool one = ids.size() == 1;
  reply_notified(
      call, create_notification(call, {.user_id = *owner,
                                       .kind = "CUSTOMER_REASSIGNED",
                                       .title = one ? std::string("A customer was reassigned to you")
                                                    : std::to_string(ids.size()) + " customers were reassigned to you",
                                       .body = one ? "You are now its owner." : "You are now their owner.",
                                       .resource_type = "customer",
                                       .resource_id = one ? std::optional<std::string>(ids.front()) : std::nullopt,
                                       .customer_ids = ids,
                                       .event_id = e.id()}));
}

} // namespace analytics
