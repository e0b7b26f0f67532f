// CommandKit: the helpers Commands.hpp declares for every command family.
#include "Commands.hpp"

#include "Errors.hpp"
#include "Terminal.hpp"

#include <iostream>
#include <iterator>

namespace crmctl {

CLI::App* command(CLI::App& parent, const std::string& name, const std::string& description,
                  const std::string& examples) {
  CLI::App* sub = parent.add_subcommand(name, description);
  sub->footer("Example" + std::string(examples.find('\n') == std::string::npos ? "" : "s") + ":\n  " + [&] {
    std::string indented;
    for (char c : examples) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
    return indented;
  }());
  return sub;
}

void print_page(Context& ctx, const std::string& target, bool all, const std::string& cursor,
                const std::vector<Column>& columns, const std::string& empty_note) {
  ApiClient& api = ctx.api();
  if (all) {
    ctx.out().list(api.all_items(target), columns, empty_note);
    return;
  }
  std::string page_target = target;
  if (!cursor.empty())
    page_target += (target.find('?') == std::string::npos ? "?" : "&") + Query().add("cursor", cursor).str().substr(1);
  Page page = api.page(page_target);
  ctx.out().list(page.items, columns, empty_note);
  if (!page.next_cursor.empty())
    ctx.out().note("more: repeat the command with --cursor " + page.next_cursor + ", or use --all");
}

std::string read_stdin_secret() {
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty()) throw UsageError("--password-stdin: standard input is empty");
  return text;
}

std::string new_password(bool from_stdin, const std::string& email) {
  if (from_stdin) return read_stdin_secret();
  auto first = term::ask_secret("New password for " + email + ": ");
  if (!first) throw UsageError("no terminal to ask the password on: pipe it in with --password-stdin");
  auto second = term::ask_secret("Again: ");
  if (!second || *first != *second) throw UsageError("the two passwords differ; nothing was changed");
  return *first;
}

} // namespace crmctl
