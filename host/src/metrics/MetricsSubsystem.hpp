// MetricsSubsystem: the host's metrics registry. It starts first and stops
// last, so each subsystem registers its own metrics in its initialize() and
// the HTTP layer renders all of them at /metrics.
#pragma once

#include "metrics/Metrics.hpp"

#include <Poco/Util/Subsystem.h>

namespace crm::metrics {

class MetricsSubsystem : public Poco::Util::Subsystem {
public:
  const char* name() const override { return "metrics"; }
  Registry& registry() { return registry_; }

protected:
  void initialize(Poco::Util::Application&) override {}
  void uninitialize() override {}

private:
  Registry registry_;
};

} // namespace crm::metrics
