// HostApplication: crm-host, a Poco ServerApplication. It layers the
// configuration (built-in defaults, the properties file, CRM_* environment,
// *_file secrets), sets up JSON logging, and runs the subsystems in order:
// storage, plugins, http. SIGTERM or Ctrl-C stops them in reverse: requests in
// flight finish first, then plugins shut down.
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

private:
  void load_configuration();
  std::string config_file_;
  bool help_ = false;
};

} // namespace crm::app
