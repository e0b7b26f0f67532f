// CliApp: see the header.
#include "CliApp.hpp"

#include "Completion.hpp"
#include "Errors.hpp"
#include "commands/Commands.hpp"

#include <iostream>

namespace crmctl {

namespace {

constexpr const char* kRootFooter = R"(Examples:
  crmctl login --server http://127.0.0.1:8080 --email admin@example.com
  crmctl users list --role SALES -o csv
  crmctl reassign --from ann@example.com --to bob@example.com --dry-run
  crmctl workflows validate workflows/*.lua

Users can be named by email wherever an id is asked.

Environment:
  CRMCTL_SERVER    server URL (--server wins)
  CRMCTL_TOKEN     access token to use instead of the stored session
  NO_COLOR         no colour even on a terminal
  XDG_CONFIG_HOME  sessions live in $XDG_CONFIG_HOME/crmctl (default ~/.config/crmctl)

Exit status:
  0 success, 1 usage error, 2 refused by the server, 3 server unreachable or failing,
  4 a followed workflow (--wait) did not complete, 130 interrupted (the workflow runs on))";

void add_completion_command(CLI::App& app) {
  CLI::App* completion =
      command(app, "completion", "Print a shell completion script", "source <(crmctl completion bash)");
  completion->require_subcommand(1);
  CLI::App* bash = command(*completion, "bash", "Print the bash completion script",
                           "crmctl completion bash > ~/.local/share/bash-completion/completions/crmctl");
  bash->callback([&app] { std::cout << bash_completion(app, "crmctl"); });
}

// CLI11 answers a mistyped command ("crmctl users lsit") with "A subcommand
// is required", because the word falls through to the parent. Walk the words
// first and name the culprit, as kubectl or git do; UsageError when one is
// not a command where only commands are expected.
void check_command_words(CLI::App& root, int argc, char** argv) {
  CLI::App* at = &root;
  std::string path = "crmctl";
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") return;
    if (word.size() > 1 && word[0] == '-') {
      if (word.find('=') != std::string::npos) continue;
      // An option that takes a value (here or in a parent): skip the value.
      for (CLI::App* a = at; a; a = a->get_parent()) {
        if (const CLI::Option* opt = a->get_option_no_throw(word)) {
          if (opt->get_type_size() > 0 && i + 1 < argc) ++i;
          break;
        }
      }
      continue;
    }
    std::vector<std::string> names;
    CLI::App* next = nullptr;
    for (CLI::App* sub : at->get_subcommands([](CLI::App*) { return true; })) {
      names.push_back(sub->get_name());
      if (sub->get_name() == word) next = sub;
    }
    if (next) {
      at = next;
      path += " " + word;
      continue;
    }
    // A leaf's positional arguments, or a command with none left to choose.
    if (names.empty() || !at->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty()) return;
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    throw UsageError("unknown command \"" + word + "\" for \"" + path + "\" (one of: " + known + ")");
  }
}

} // namespace

int run(int argc, char** argv) {
  Context ctx;
  CLI::App app("crmctl: administer the CRM platform through its REST API", "crmctl");
  app.set_version_flag("--version", std::string("crmctl ") + CRMCTL_VERSION);
  app.set_help_all_flag("--help-all", "Help for every command");
  // Global options work after any subcommand too: crmctl users list -o json.
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("-o,--output", ctx.options.output, "Output: table (for people), json or csv (for scripts)")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  app.add_flag("--no-headers", ctx.options.no_headers, "Leave out the header line of tables and CSV");
  app.add_option("--server", ctx.options.server,
                 "Server URL, e.g. http://127.0.0.1:8080 (default: $CRMCTL_SERVER, else the last login's)");
  app.add_option("--timeout", ctx.options.timeout_seconds, "Seconds to wait for each answer")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();

  add_auth_commands(app, ctx);
  add_user_commands(app, ctx);
  add_saga_commands(app, ctx);
  add_workflow_commands(app, ctx);
  add_report_commands(app, ctx);
  add_platform_commands(app, ctx);
  add_order_commands(app, ctx);
  add_market_commands(app, ctx);
  add_forecast_commands(app, ctx);
  add_alert_commands(app, ctx);
  add_completion_command(app);
  app.footer(kRootFooter); // after the subcommands: they would inherit it

  check_command_words(app, argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0; the rest are usage errors.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return kExitOk;
}

} // namespace crmctl
