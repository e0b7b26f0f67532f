// OrderRecord: reading and moving one order, shared by every handler that
// changes its status: the order locked for the change (optionally only when
// the caller may see it), and a status change recorded and announced in the
// call's transaction (record_status() in Migrations.hpp makes the timeline
// entry; order.status_changed carries it).
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>

namespace orders {

struct LockedOrder {
  std::string id;
  std::string status;
  std::string owner_id;
  std::string placed_by;
  bool cancel_requested = false;
  std::optional<std::string> confirmation_sent_at;
};

// The order `id`, locked FOR UPDATE; nullopt when there is none or (with
// `owners`, a uuid[] literal from OwnerScope::owners_array) the caller may
// not see it.
inline std::optional<LockedOrder> lock_order(crm::Call& call, const std::string& id,
                                             const std::optional<std::string>& owners = std::nullopt) {
  auto rows = call.sql(R"sql(
    select id, status, owner_id, placed_by, cancel_requested, confirmation_sent_at from orders
    where id = $1::uuid and ($2::uuid[] is null or owner_id = any ($2::uuid[]))
    for update)sql",
                       {id, owners});
  if (rows.empty()) return std::nullopt;
  LockedOrder o;
  o.id = std::string(*rows.at(0, 0));
  o.status = std::string(*rows.at(0, 1));
  o.owner_id = std::string(*rows.at(0, 2));
  o.placed_by = std::string(*rows.at(0, 3));
  o.cancel_requested = *rows.at(0, 4) == "t";
  if (auto sent = rows.at(0, 5)) o.confirmation_sent_at = std::string(*sent);
  return o;
}

// Moves the locked order to `status`, appends the timeline entry `event`
// and emits order.status_changed with it. Returns the entry (the event's data).
inline std::string change_status(crm::Call& call, const std::string& id, const std::string& status,
                                 const std::string& event, const std::optional<std::string>& reason = std::nullopt) {
  auto rows = call.sql("select record_status($1::uuid, $2, $3, $4)::text", {id, status, event, reason});
  const std::string entry(*rows.at(0, 0));
  call.emit("order.status_changed", id, entry);
  return entry;
}

// The order as GET gives it; the caller has checked that it exists.
inline std::string order_json(crm::Call& call, const std::string& id) {
  auto rows = call.sql("select order_json(o) from orders o where o.id = $1::uuid", {id});
  if (rows.empty()) throw crm::not_found("order");
  return std::string(*rows.at(0, 0));
}

// The statuses an order passes through forward, in order.
inline int forward_rank(const std::string& status) {
  if (status == "PENDING") return 0;
  if (status == "RESERVED") return 1;
  if (status == "PAID") return 2;
  if (status == "SHIPPED") return 3;
  if (status == "DELIVERED") return 4;
  return -1; // FAILED, CANCELLED: off the forward path
}

inline bool is_final(const std::string& status) {
  return status == "DELIVERED" || status == "FAILED" || status == "CANCELLED";
}

} // namespace orders
