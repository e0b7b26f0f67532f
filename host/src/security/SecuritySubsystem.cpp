// SecuritySubsystem: see the header.
#include "security/SecuritySubsystem.hpp"

#include "log/Log.hpp"
#include "storage/PlatformSchema.hpp"
#include "storage/StorageSubsystem.hpp"

#include <Poco/Util/Application.h>

namespace crm::security {

void SecuritySubsystem::initialize(Poco::Util::Application& app) {
  auto& config = app.config();
  auto& storage = app.getSubsystem<storage::StorageSubsystem>();

  try {
    storage::PgConnection conn(storage.conninfo(), storage.password(), "set client_min_messages = warning");
    storage::ensure_platform_schema(conn);
  } catch (const std::exception& e) {
    // PostgreSQL may come later; the listener and the plugin loader retry.
    log::error("security", std::string("cannot prepare schema platform now: ") + e.what(), {});
  }

  TokenConfig tc;
  tc.keys = TokenVerifier::parse_keys(config.getString("jwt.keys", ""));
  tc.issuer = config.getString("jwt.issuer", "crm-host");
  tc.audience = config.getString("jwt.audience", "crm-api");
  tokens_ = std::make_unique<TokenVerifier>(tc);
  access_ttl_ = config.getInt("jwt.access_ttl", 900);

  revocations_ = std::make_unique<RevocationList>(storage.platform_pool());
  tokens_->set_revocation_check([list = revocations_.get()](const std::string& jti) { return list->is_revoked(jti); });
  principals_ = std::make_unique<PrincipalCache>(std::chrono::seconds(config.getInt("security.principal_cache_seconds", 60)));
  audit_ = std::make_unique<AuditLog>(storage.platform_pool());

  listener_ = std::make_unique<storage::PgListener>(
      storage.conninfo(), storage.password(), std::vector<std::string>{"crm_revoked", "crm_principal"},
      [this](storage::PgConnection& conn) {
        // Whatever happened while we were deaf: reload, forget.
        revocations_->reload(conn);
        principals_->clear();
      },
      [this](const std::string& channel, const std::string& payload) {
        if (channel == "crm_revoked") revocations_->learn(payload);
        else principals_->drop(payload);
      });
  listener_->start();
}

void SecuritySubsystem::uninitialize() {
  listener_.reset();
  audit_.reset();
  principals_.reset();
  revocations_.reset();
  tokens_.reset();
}

} // namespace crm::security
