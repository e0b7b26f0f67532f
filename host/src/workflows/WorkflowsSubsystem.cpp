// WorkflowsSubsystem: see the header.
#include "workflows/WorkflowsSubsystem.hpp"

#include "events/EventsSubsystem.hpp"
#include "metrics/MetricsSubsystem.hpp"
#include "plugins/PluginSubsystem.hpp"
#include "storage/StorageSubsystem.hpp"

#include <Poco/Environment.h>
#include <Poco/Path.h>
#include <Poco/Util/Application.h>

namespace crm::workflows {

void WorkflowsSubsystem::initialize(Poco::Util::Application& app) {
  auto& config = app.config();
  auto& storage = app.getSubsystem<storage::StorageSubsystem>();
  auto& plugins = app.getSubsystem<plugins::PluginSubsystem>();
  // One run of workflow code, wherever it runs: instances, validation,
  // deployment (the catalog's checks, from the first scan on), saga checks.
  SandboxLimits limits;
  limits.max_memory_bytes = static_cast<size_t>(std::max(1, config.getInt("workflows.max_memory_mb", 16))) << 20;
  limits.max_instructions = static_cast<std::uint64_t>(config.getInt64("workflows.max_instructions", 50000000));
  limits.deadline = std::chrono::milliseconds(std::max(1, config.getInt("workflows.script_deadline_ms", 1000)));
  SandboxLimits::set_host(limits);
  const std::string dir = Poco::Path(config.getString("workflows.dir", "workflows")).absolute().toString();
  catalog_ = std::make_unique<WorkflowCatalog>(dir, plugins.registry(), storage.platform_pool());
  catalog_->scan();
  const int interval = config.getInt("workflows.watch_interval_ms", 1000);
  if (interval > 0) catalog_->start(std::chrono::milliseconds(interval));

  EngineConfig ec;
  ec.host_id = config.getString("workflows.host_id", "");
  if (ec.host_id.empty())
    ec.host_id = Poco::Environment::nodeName() + ":" + std::to_string(config.getInt("http.port", 8080));
  ec.workers = config.getInt("workflows.workers", 4);
  ec.lease_seconds = std::max(2, config.getInt("workflows.lease_seconds", 30));
  ec.poll_ms = std::max(20, config.getInt("workflows.poll_ms", 500));
  ec.limits = limits;
  ec.lib_dir = catalog_->lib_dir();
  ec.conninfo = storage.conninfo();
  ec.password = storage.password();
  ec.notifier = &storage.notifier();
  engine_ = std::make_unique<WorkflowEngine>(ec, *catalog_, plugins.registry(), plugins.invoker(),
                                             storage.platform_pool());
  auto& events = app.getSubsystem<events::EventsSubsystem>();
  engine_->start(&events.consumers(), events.nats().config().subject_prefix);
  register_metrics(app.getSubsystem<metrics::MetricsSubsystem>().registry());
}

void WorkflowsSubsystem::register_metrics(metrics::Registry& metrics) {
  metrics.add_gauge_callback("crm_workflow_instances", "Workflow instances, by workflow and status.",
                              [&engine = *engine_] { return engine.instance_counts(); });
  metrics.add_gauge_callback("crm_workflow_instances_overdue",
                              "RUNNING instances due for over a minute that no host holds, by workflow.",
                              [&engine = *engine_] { return engine.overdue_counts(); });
  metrics.add_gauge_callback("crm_workflow_step_seconds",
                              "Step (or state) latency on this host, by workflow: upper bound of the bucket "
                              "holding the quantile.",
                              [&engine = *engine_] { return engine.step_latency(); });
  metrics.add_gauge_callback("crm_workflow_steps", "Steps (and states) this host ran, by workflow.",
                              [&engine = *engine_] { return engine.steps_run(); });
}

void WorkflowsSubsystem::uninitialize() {
  engine_.reset(); // before the catalog it reads
  catalog_.reset();
}

} // namespace crm::workflows
