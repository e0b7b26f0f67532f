// StorageSubsystem: see the header.
#include "storage/StorageSubsystem.hpp"

#include <Poco/Util/Application.h>

namespace crm::storage {

void StorageSubsystem::initialize(Poco::Util::Application& app) {
  conninfo_ = app.config().getString("db.dsn");
  password_ = app.config().getString("db.password", "");
  PoolConfig health;
  health.conninfo = conninfo_;
  health.password = password_;
  health.max_size = 2;
  health.acquire_timeout = std::chrono::milliseconds(1000);
  health_pool_ = std::make_unique<ConnectionPool>(std::move(health));

  PoolConfig platform;
  platform.conninfo = conninfo_;
  platform.password = password_;
  platform.setup_sql = "set time zone 'UTC'";
  platform.max_size = 8;
  platform.acquire_timeout = std::chrono::milliseconds(app.config().getInt("db.acquire_timeout", 5) * 1000);
  platform_pool_ = std::make_unique<ConnectionPool>(std::move(platform));
  notifier_ = std::make_unique<PgNotifier>(conninfo_, password_);
  notifier_->start();
}

void StorageSubsystem::uninitialize() {
  notifier_.reset();
  platform_pool_.reset();
  health_pool_.reset();
}

bool StorageSubsystem::postgres_ready() {
  try {
    auto c = health_pool_->acquire();
    c->query("select 1", nullptr, 0);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

} // namespace crm::storage
