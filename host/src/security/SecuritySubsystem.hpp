// SecuritySubsystem: access tokens (signing, verification, revocation), the
// principal cache, and the audit log reader. One LISTEN connection keeps the
// revocation list and the principal cache in step with the other hosts.
#pragma once

#include "security/AuditLog.hpp"
#include "security/PrincipalCache.hpp"
#include "security/RevocationList.hpp"
#include "security/TokenVerifier.hpp"
#include "storage/PgListener.hpp"

#include <Poco/Util/Subsystem.h>

#include <memory>

namespace crm::security {

class SecuritySubsystem : public Poco::Util::Subsystem {
public:
  const char* name() const override { return "security"; }
  TokenVerifier& tokens() { return *tokens_; }
  RevocationList& revocations() { return *revocations_; }
  PrincipalCache& principals() { return *principals_; }
  AuditLog& audit() { return *audit_; }
  int access_ttl_seconds() const { return access_ttl_; }

protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

private:
  std::unique_ptr<TokenVerifier> tokens_;
  std::unique_ptr<RevocationList> revocations_;
  std::unique_ptr<PrincipalCache> principals_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<storage::PgListener> listener_;
  int access_ttl_ = 900;
};

} // namespace crm::security
