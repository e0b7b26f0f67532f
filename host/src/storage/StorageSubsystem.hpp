// StorageSubsystem: the platform database as configuration names it, the
// host's own small pool used to answer /health/ready, and the pool the
// subsystems share for schema `platform`, and the sender of the wake-up
// NOTIFYs (PgNotifier).
#pragma once

#include "storage/ConnectionPool.hpp"
#include "storage/PgNotifier.hpp"

#include <Poco/Util/Subsystem.h>

#include <memory>
#include <string>

namespace crm::storage {

class StorageSubsystem : public Poco::Util::Subsystem {
public:
  const char* name() const override { return "storage"; }

  const std::string& conninfo() const { return conninfo_; }
  const std::string& password() const { return password_; }
  // True when PostgreSQL answers a trivial query now.
  bool postgres_ready();
  // Connections as the host's own user for schema `platform` (revocations,
  // audit log, dead letters, workflow definitions), shared by the subsystems.
  ConnectionPool& platform_pool() { return *platform_pool_; }
  // Sends the outbox and workflow wake-ups after the commits that call for them.
  PgNotifier& notifier() { return *notifier_; }

protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

private:
  std::string conninfo_;
  std::string password_;
  std::unique_ptr<ConnectionPool> health_pool_;   // the readiness probe's own, so a busy host still answers it
  std::unique_ptr<ConnectionPool> platform_pool_;
  std::unique_ptr<PgNotifier> notifier_;
};

} // namespace crm::storage
