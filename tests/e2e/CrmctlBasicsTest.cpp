// What crmctl does before or without a server: usage errors exit 1 with
// CLI11's message, every command's --help has an example, an unreachable
// server exits 3, and the bash completion script works in bash.
#include "support/Crmctl.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

using namespace e2e;

namespace {

// A server address where nothing listens.
std::string dead_server() { return "http://127.0.0.1:" + std::to_string(free_port()); }

CrmctlOptions against(const std::string& server, const std::string& token = {}) {
  CrmctlOptions o;
  o.env["CRMCTL_SERVER"] = server;
  o.env["XDG_CONFIG_HOME"] = make_temp_dir("crmctl-e2e-config-").string();
  if (!token.empty()) o.env["CRMCTL_TOKEN"] = token;
  return o;
}

} // namespace

TEST_CASE("a server that is down exits 3 with one line saying so", "[crmctl][errors]") {
  const std::string server = dead_server();
  auto health = run_crmctl({"health"}, against(server));
  INFO(describe({"health"}, health));
  CHECK(health.exit_code == 3);
  CHECK(health.out.empty());
  CHECK(health.err == "crmctl: cannot reach " + server + ": connection refused (is crm-host running?)\n");

  auto list = run_crmctl({"users", "list", "-o", "json"}, against(server, "some-token"));
  INFO(describe({"users", "list"}, list));
  CHECK(list.exit_code == 3);
  CHECK(list.out.empty());
  CHECK(list.err == "crmctl: cannot reach " + server + ": connection refused (is crm-host running?)\n");

  auto flag = run_crmctl({"health", "--server", server}, against("http://127.0.0.1:1"));
  CHECK(flag.exit_code == 3);
  CHECK(contains(flag.err, server));
}

TEST_CASE("colour only on a terminal and never with NO_COLOR", "[crmctl][colour]") {
  const std::string server = dead_server();
  const std::string config = make_temp_dir("crmctl-e2e-config-").string();
  auto coloured = run_on_terminal({"health"}, {{"CRMCTL_SERVER", server}, {"XDG_CONFIG_HOME", config}});
  INFO(coloured.out);
  CHECK(coloured.exit_code == 3);
  CHECK(starts_with(coloured.out, "\033[31mcrmctl:\033[0m cannot reach " + server));

  auto plain = run_on_terminal({"health"}, {{"CRMCTL_SERVER", server}, {"XDG_CONFIG_HOME", config}, {"NO_COLOR", "1"}});
  INFO(plain.out);
  CHECK(plain.exit_code == 3);
  CHECK(starts_with(plain.out, "crmctl: cannot reach " + server));
  CHECK(plain.out.find('\033') == std::string::npos);

  auto piped = run_crmctl({"health"}, against(server));
  CHECK(piped.err.find('\033') == std::string::npos);
}

TEST_CASE("usage errors exit 1 with CLI11's message and no trace", "[crmctl][errors]") {
  const auto o = against(dead_server());
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases{
      {{}, "A subcommand is required"},
      {{"users"}, "A subcommand is required"},
      {{"users", "frobnicate"}, "frobnicate"},
      {{"users", "list", "--role", "BOSS"}, "--role"},
      {{"users", "get"}, "user is required"},
      {{"reports", "sales-summary", "--from", "yesterday"}, "expected a date"},
      {{"health", "-o", "yaml"}, "--output"},
      {{"health", "--server", "https://example.com"}, "https is not supported"},
      {{"workflows", "validate", "/no/such/file.lua"}, "cannot read /no/such/file.lua: no such file"},
  };
  for (const auto& c : cases) {
    auto r = run_crmctl(c.args, o);
    INFO(describe(c.args, r));
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(contains(r.err, c.says));
    CHECK(!contains(r.err, "terminate called"));
  }
}

TEST_CASE("every command has help with an example", "[crmctl][help]") {
  const std::vector<std::vector<std::string>> commands{{"login"},
                                                       {"logout"},
                                                       {"whoami"},
                                                       {"users"},
                                                       {"users", "list"},
                                                       {"users", "get"},
                                                       {"users", "create"},
                                                       {"users", "update"},
                                                       {"users", "deactivate"},
                                                       {"users", "delete"},
                                                       {"reassign"},
                                                       {"sagas"},
                                                       {"sagas", "list"},
                                                       {"sagas", "show"},
                                                       {"sagas", "watch"},
                                                       {"sagas", "retry"},
                                                       {"sagas", "cancel"},
                                                       {"workflows"},
                                                       {"workflows", "list"},
                                                       {"workflows", "show"},
                                                       {"workflows", "validate"},
                                                       {"workflows", "deploy"},
                                                       {"workflows", "instances"},
                                                       {"reports"},
                                                       {"reports", "sales-summary"},
                                                       {"reports", "pipeline"},
                                                       {"reports", "dashboard"},
                                                       {"plugins"},
                                                       {"plugins", "list"},
                                                       {"events"},
                                                       {"events", "dlq"},
                                                       {"events", "dlq", "list"},
                                                       {"events", "dlq", "replay"},
                                                       {"health"},
                                                       {"completion"},
                                                       {"completion", "bash"}};
  for (auto args : commands) {
    args.push_back("--help");
    auto r = run_crmctl(args);
    INFO(describe(args, r));
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "Example"));
    CHECK(contains(r.out, "crmctl " + args[0]));
  }
  auto root = run_crmctl({"--help"});
  CHECK(root.exit_code == 0);
  CHECK(contains(root.out, "Exit status:"));
  auto version = run_crmctl({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(starts_with(version.out, "crmctl "));
}

TEST_CASE("the bash completion script completes commands, choices and files", "[crmctl][completion]") {
  auto r = run_crmctl({"completion", "bash"});
  INFO(describe({"completion", "bash"}, r));
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "complete -F _crmctl crmctl"));
  const fs::path dir = make_temp_dir("crmctl-e2e-completion-");
  std::ofstream(dir / "crmctl.bash") << r.out;
  std::ofstream(dir / "flow.lua") << "-- a workflow\n";
  // Completes the words after the last one given, in bash itself.
  auto complete = [&](const std::string& words) {
    std::ofstream(dir / "probe.sh") << "source " << (dir / "crmctl.bash").string() << "\ncd " << dir.string()
                                    << "\nCOMP_WORDS=(" << words << ")\nCOMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
                                    << "_crmctl\necho \"${COMPREPLY[*]}\"\n";
    const fs::path out = dir / "out";
    const std::string cmd = "bash " + (dir / "probe.sh").string() + " > " + out.string() + " 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::string text = read_text(out);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  };
  CHECK(complete("crmctl us") == "users");
  CHECK(complete("crmctl users l") == "list");
  CHECK(complete("crmctl users list --ro") == "--role");
  CHECK(complete("crmctl users list --role ''") == "ADMIN MANAGER SALES");
  CHECK(complete("crmctl -o j") == "json");
  CHECK(complete("crmctl users list -o c") == "csv");
  CHECK(complete("crmctl workflows validate fl") == "flow.lua");
  CHECK(complete("crmctl events dlq ''") == "list replay");
}
