// HostApplication: see the header.
#include "app/HostApplication.hpp"

#include "config/EnvOverrides.hpp"
#include "cache/CacheSubsystem.hpp"
#include "events/EventsSubsystem.hpp"
#include "http/HttpSubsystem.hpp"
#include "metrics/MetricsSubsystem.hpp"
#include "log/Log.hpp"
#include "plugins/PluginSubsystem.hpp"
#include "security/SecuritySubsystem.hpp"
#include "storage/StorageSubsystem.hpp"
#include "workflows/WorkflowsSubsystem.hpp"

#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <cstdlib>
#include <iostream>

namespace crm::app {

HostApplication::HostApplication() {
  // Order matters: each subsystem may use the ones before it.
  addSubsystem(new metrics::MetricsSubsystem); // first up, last down: the others register in it
  addSubsystem(new storage::StorageSubsystem);
  addSubsystem(new cache::CacheSubsystem);
  addSubsystem(new security::SecuritySubsystem);
  addSubsystem(new plugins::PluginSubsystem);
  addSubsystem(new events::EventsSubsystem);
  addSubsystem(new workflows::WorkflowsSubsystem);
  addSubsystem(new http::HttpSubsystem);
}

void HostApplication::defineOptions(Poco::Util::OptionSet& options) {
  ServerApplication::defineOptions(options);
  options.addOption(Poco::Util::Option("config", "c", "properties file (default: config/crm-host.properties)")
                        .required(false)
                        .repeatable(false)
                        .argument("FILE"));
  options.addOption(Poco::Util::Option("help", "h", "show this help").required(false).repeatable(false));
}

void HostApplication::handleOption(const std::string& name, const std::string& value) {
  ServerApplication::handleOption(name, value);
  if (name == "config") config_file_ = value;
  if (name == "help") {
    help_ = true;
    stopOptionsProcessing();
  }
}

void HostApplication::load_configuration() {
  std::string file = config_file_;
  if (file.empty() && Poco::File("config/crm-host.properties").exists()) file = "config/crm-host.properties";
  if (!file.empty()) config().add(new Poco::Util::PropertyFileConfiguration(file), "file", -100, false);
  // Environment wins over the file, for every key the file declares.
  // Writes land in the first writeable layer: this one, above everything.
  config().add(new Poco::Util::MapConfiguration, "env", -200, true);
  config::apply_env_overrides(config(), config::process_env());
}

void HostApplication::initialize(Poco::Util::Application& self) {
  if (help_) return;
  load_configuration();
  log::setup(config().getString("log.level", "info"));
  log::info("host", "crm-host " CRM_VERSION " starting; configuration: " + config::describe(config()), {});
  try {
    ServerApplication::initialize(self); // the subsystems, in order
  } catch (const plugins::StartupFailed& e) {
    fail_start(e.what());
  }
}

void HostApplication::fail_start(const std::string& reason) {
  log::error("host", "start-up failed, stopping: " + reason, {});
  // One plain line too, the last one, for people and scripts reading stderr.
  std::cerr << "crm-host: start-up failed: " << reason << std::endl;
  // Nothing after the plugins started (no events, no workflows, no HTTP);
  // the plugins that came up were shut down. The subsystems before them hold
  // only connections and their threads, which Poco would not uninitialize
  // after a failed initialize: end the process here, without unwinding
  // through them.
  std::_Exit(kStartFailed);
}

int HostApplication::main(const std::vector<std::string>&) {
  if (help_) {
    Poco::Util::HelpFormatter help(options());
    help.setCommand(commandName());
    help.setUsage("[--config=FILE]");
    help.setHeader("crm-host: the CRM workflow platform's host. Every configuration key can also be set "
                   "from the environment as CRM_<KEY> (http.port -> CRM_HTTP_PORT).");
    help.format(std::cout);
    return EXIT_OK;
  }
  log::info("host", "ready", {{"port", std::to_string(getSubsystem<http::HttpSubsystem>().port())}});
  waitForTerminationRequest();
  log::info("host", "termination requested", {});
  return EXIT_OK;
}

} // namespace crm::app
