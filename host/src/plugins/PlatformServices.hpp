// PlatformServices: the host parts behind the ABI 1.1 functions of the host
// API (tokens, revocation, audit, shared counters, principal changes). Owned
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

namespace crm::plugins {

struct PlatformServices {
  security::TokenVerifier* tokens = nullptr;
  security::RevocationList* revocations = nullptr;
  security::AuditLog* audit = nullptr;
  security::PrincipalCache* principals = nullptr;
  cache::SharedCounters* counters = nullptr;
  cache::PluginCache* cache = nullptr;
  int access_ttl_seconds = 900;
};

} // namespace crm::plugins
