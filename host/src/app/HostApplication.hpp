// HostApplication: crm-host, a Poco ServerApplication. It layers the
// configuration (built-in defaults, the properties file, CRM_* environment,
// *_file secrets), sets up JSON logging, and runs the subsystems in order:
// storage, plugins, http. SIGTERM or Ctrl-C stops them in reverse: requests in
// flight finish first, then plugins shut down.
//
// A start that cannot finish (a start-up operation or a migration of a plugin
// present at start failed) ends the process with kStartFailed, the reason in
// the log and as the last line of stderr ("crm-host: start-up failed: ..."),
// before anything answers.
#pragma once

#include <Poco/Util/ServerApplication.h>

#include <string>
#include <vector>

namespace crm::app {

class HostApplication : public Poco::Util::ServerApplication {
public:
  HostApplication();

protected:
  void initialize(Poco::Util::Application& self) override;
  void defineOptions(Poco::Util::OptionSet& options) override;
  void handleOption(const std::string& name, const std::string& value) override;
  int main(const std::vector<std::string>& args) override;

public:
  // The exit status of a start that could not finish (EX_SOFTWARE).
  static constexpr int kStartFailed = EXIT_SOFTWARE;

private:
  void load_configuration();
  [[noreturn]] void fail_start(const std::string& reason);
  std::string config_file_;
  bool help_ = false;
};

} // namespace crm::app
