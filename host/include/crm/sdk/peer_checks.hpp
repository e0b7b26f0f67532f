// peer_checks.hpp: facts a plugin does not own, asked of the plugins that do,
// through their operations (never their schemas): does a customer exist and
// may the caller see it (customer.get), is a user real and active
// (auth.users_get). Each runs as the caller, so the owning plugin applies its
// own record rules.
//
// One mapping of the peer's answer for every plugin: the peer says no (not
// found, not visible, refused) -> 422 on the caller's field; the peer is down
// or not loaded at all (the host has no such operation) -> 503, since that is
// not the caller's mistake; anything else keeps the peer's status.
//
// Call them before the handler's first SQL statement where possible: each is
// its own transaction on another pool, and the handler's is not open yet.
#pragma once

#include <crm/plugin.hpp>
#include <crm/sdk/json_scan.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace crm {

// How a peer answered an invoke.
enum class PeerAnswer { yes, no, unavailable, failed };

namespace detail {
// The host's answer to an invoke of an operation no loaded plugin offers
// (Call::invoke maps an older host's "no operation " text to it too).
inline bool is_missing_operation(const Error& e) { return e.status() == CRM_E_NO_OPERATION; }
} // namespace detail

// The answer an invoke's failure stands for.
inline PeerAnswer peer_answer_of(const Error& e) {
  if (e.status() == CRM_E_UNAVAILABLE || detail::is_missing_operation(e)) return PeerAnswer::unavailable;
  if (e.status() == CRM_E_NOT_FOUND || e.status() == CRM_E_FORBIDDEN || e.status() == CRM_E_INVALID)
    return PeerAnswer::no;
  return PeerAnswer::failed;
}

// Invokes `operation` with {"id": id}. The reply, or nullopt when the peer
// says no; throws 503 (`what` " cannot be checked right now") when it cannot
// answer, and the peer's own error otherwise.
inline std::optional<std::string> ask_peer(Call& call, const char* operation, std::string_view id,
                                           std::string_view what) {
  try {
    return call.invoke(operation, JsonObject().field("id", id).str());
  } catch (const Error& e) {
    switch (peer_answer_of(e)) {
    case PeerAnswer::no: return std::nullopt;
    case PeerAnswer::unavailable: throw Error(CRM_E_UNAVAILABLE, std::string(what) + " cannot be checked right now");
    default: throw;
    }
  }
}

// Throws invalid(field) unless customer.get answers for `customer_id`.
inline void require_visible_customer(Call& call, std::string_view customer_id, const std::string& field) {
  if (!ask_peer(call, "customer.get", customer_id, "customers"))
    throw invalid(field, "must be an existing customer you can see");
}

// Throws invalid(field) unless auth.users_get finds an active user.
inline void require_active_user(Call& call, std::string_view user_id, const std::string& field) {
  const auto user = ask_peer(call, "auth.users_get", user_id, "users");
  if (!user) throw invalid(field, "must be an existing user");
  const auto active = json_scan::member(*user, "active");
  if (!active || *active != "true") throw invalid(field, "must be an active user");
}

} // namespace crm
