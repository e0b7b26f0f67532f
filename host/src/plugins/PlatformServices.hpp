// PlatformServices: the host parts behind the ABI 1.1 functions of the host
// API (tokens, revocation, audit, shared counters, principal changes), and
// the wake-up notifications sent after commits. Owned
// by their subsystems; the invoker only points at them. Any may be null in a
// host assembled without them (tests), and the functions then answer
// CRM_E_UNAVAILABLE.
#pragma once

namespace crm::cache {
class SharedCounters;
class PluginCache;
} // namespace crm::cache
namespace crm::security {
class TokenVerifier;
class RevocationList;
class AuditLog;
class PrincipalCache;
} // namespace crm::security
namespace crm::storage {
class PgNotifier;
} // namespace crm::storage

namespace crm::plugins {

struct PlatformServices {
  security::TokenVerifier* tokens = nullptr;
  security::RevocationList* revocations = nullptr;
  security::AuditLog* audit = nullptr;
  security::PrincipalCache* principals = nullptr;
  cache::SharedCounters* counters = nullptr;
  cache::PluginCache* cache = nullptr;
  storage::PgNotifier* notifier = nullptr; // wakes the relays after a commit that emitted events
  int access_ttl_seconds = 900;
};

} // namespace crm::plugins
