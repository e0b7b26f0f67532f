// CrmctlHost: a crm-host with every plugin the build ships and every shipped
// workflow, on a fresh database (AuthHost), plus crmctl pointed at it with a
// private config folder, as an admin would set it up. Plugins and workflows
// that land later (opportunity, analytics, reassignment...) join by
// themselves, so the tests that wait for them start running when they exist.
#pragma once

#include "support/AuthHost.hpp"
#include "support/Crmctl.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace e2e {

using namespace itest;

inline AuthHostOptions all_shipped(std::map<std::string, std::string> env = {}) {
  AuthHostOptions options;
  const fs::path plugins = make_temp_dir("crmctl-e2e-plugins-");
  for (const auto& entry : fs::directory_iterator(CRM_PLUGIN_DIR))
    if (entry.path().extension() == ".so") fs::copy_file(entry.path(), plugins / entry.path().filename());
  const fs::path workflows = make_temp_dir("crmctl-e2e-workflows-");
  fs::copy(fs::path(CRM_SOURCE_DIR) / "workflows", workflows, fs::copy_options::recursive);
  options.env["CRM_PLUGINS_DIR"] = plugins.string();
  options.env["CRM_WORKFLOWS_DIR"] = workflows.string();
  options.env["CRM_WORKFLOWS_POLL_MS"] = "100";
  for (auto& [k, v] : env) options.env[k] = v;
  return options;
}

class CrmctlHost {
public:
  explicit CrmctlHost(std::map<std::string, std::string> env = {})
      : auth_(all_shipped(std::move(env))), config_(make_temp_dir("crmctl-e2e-config-")) {}

  AuthHost& auth() { return auth_; }
  std::string server() { return "http://127.0.0.1:" + std::to_string(auth_.host().port()); }
  const fs::path& config_home() const { return config_; }
  fs::path credentials_file() const { return config_ / "crmctl" / "credentials.json"; }

  // crmctl with XDG_CONFIG_HOME and CRMCTL_SERVER set for this host.
  CrmctlResult run(const std::vector<std::string>& args, CrmctlOptions options = {}) {
    options.env.emplace("XDG_CONFIG_HOME", config_.string());
    options.env.emplace("CRMCTL_SERVER", server());
    return run_crmctl(args, options);
  }

  // The same, requiring exit 0.
  CrmctlResult ok(const std::vector<std::string>& args, CrmctlOptions options = {}) {
    auto r = run(args, std::move(options));
    INFO(describe(args, r));
    REQUIRE(r.exit_code == 0);
    return r;
  }

  // crmctl login as the bootstrapped admin (password on stdin).
  void login_admin() { login(auth_.admin().email, auth_.admin().password); }

  void login(const std::string& email, const std::string& password) {
    CrmctlOptions o;
    o.stdin_text = password + "\n";
    ok({"login", "--email", email, "--password-stdin"}, o);
  }

  // A request straight to the API (set-up the CLI does not offer, checks).
  Response as(const std::string& token, const std::string& method, const std::string& path,
              const std::string& body = "") {
    return auth_.call(method, path, body, token);
  }

  // Whether the host serves `method path` yet: 404 (no route, or for
  // /api/sagas/{name} no live saga of that name) means not yet. A POST is
  // probed as a dry run, so it changes nothing where it is served.
  bool has_route(const std::string& method, const std::string& path) {
    auto r = as(auth_.admin().access_token, method, path, method == "GET" ? "" : R"({"dryRun":true})");
    return r.status != 404;
  }

private:
  AuthHost auth_;
  fs::path config_;
};

// File mode bits (0600...) of a path; -1 when it does not exist.
inline int mode_of(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

inline Poco::JSON::Object::Ptr json_object(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

inline Poco::JSON::Array::Ptr json_array(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Array::Ptr>();
}

inline void write_file(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

} // namespace e2e
