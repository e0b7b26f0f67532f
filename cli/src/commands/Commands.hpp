// Commands: each file of this folder adds one family of crmctl commands to
// the command tree. A command's callback runs after the whole line is parsed
// (so global options given after it count), and reports failure by throwing
// one of Errors.hpp's exceptions.
#pragma once

#include "Context.hpp"

#include <CLI/CLI.hpp>

#include <string>

namespace crmctl {

void add_auth_commands(CLI::App& app, Context& ctx);     // login, logout, whoami
void add_user_commands(CLI::App& app, Context& ctx);     // users ...
void add_saga_commands(CLI::App& app, Context& ctx);     // reassign, sagas ...
void add_workflow_commands(CLI::App& app, Context& ctx); // workflows ...
void add_report_commands(CLI::App& app, Context& ctx);   // reports ...
void add_platform_commands(CLI::App& app, Context& ctx); // plugins, events, health
void add_order_commands(CLI::App& app, Context& ctx);    // orders ..., products ...
void add_market_commands(CLI::App& app, Context& ctx);   // market ...
void add_forecast_commands(CLI::App& app, Context& ctx); // market backtest
void add_alert_commands(CLI::App& app, Context& ctx);    // alerts ...

// A subcommand whose --help ends with its examples.
CLI::App* command(CLI::App& parent, const std::string& name, const std::string& description,
                  const std::string& examples);

// A list endpoint's items as a table/JSON/CSV: every page with `all`, else
// the page at `cursor`, and a hint to the next page on stderr. `target`
// holds the query already.
void print_page(Context& ctx, const std::string& target, bool all, const std::string& cursor,
                const std::vector<Column>& columns, const std::string& empty_note);

// The whole of standard input without its final line break (--password-stdin).
std::string read_stdin_secret();

// A password for `email`: standard input with `from_stdin`, else asked twice
// on the terminal; UsageError when neither is possible or the two differ.
std::string new_password(bool from_stdin, const std::string& email);

} // namespace crmctl
