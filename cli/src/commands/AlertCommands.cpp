// AlertCommands: `alerts list|create|delete` over /api/market/alerts, the
// caller's own price alert rules (ABOVE, BELOW, MOVE_PCT over a window).
// A rule fires once per crossing of its threshold and re-arms when the price
// crosses back; what it fired shows as ARMED and FIRED here.
#include "Commands.hpp"

#include "Errors.hpp"
#include "Json.hpp"

#include <cmath>
#include <cstdlib>
#include <memory>

namespace crmctl {

namespace {

std::vector<std::string> alert_kinds() { return {"ABOVE", "BELOW", "MOVE_PCT"}; }

std::vector<Column> rule_columns() {
  return {text_column("ID", "id"),
          text_column("SYMBOL", "symbol"),
          status_column("KIND", "kind"),
          text_column("THRESHOLD", "threshold"),
          text_column("WINDOW", "windowMinutes"),
          status_column("ARMED", "armed"),
          text_column("FIRED", "firedCount"),
          time_column("LAST FIRED", "lastFiredAt"),
          time_column("CREATED", "createdAt")};
}

struct ListOptions {
  std::string symbol, cursor;
  int limit = 50;
  bool all = false;
};

struct CreateOptions {
  std::string symbol, kind, threshold;
  int window = 0;
};

void list(Context& ctx, const ListOptions& o) {
  Query q;
  q.add("symbol", o.symbol).add("limit", std::to_string(o.all ? 200 : o.limit));
  print_page(ctx, "/api/market/alerts" + q.str(), o.all, o.cursor, rule_columns(), "no alert rules");
}

// The threshold as a JSON number, exactly as typed; UsageError when it is not one.
json::Value threshold_of(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value))
    throw UsageError("--threshold must be a number, e.g. 101.5 (a price) or 2.5 (per cent for MOVE_PCT)");
  return json::Value::number(text);
}

void create(Context& ctx, const CreateOptions& o) {
  json::Value body = json::Value::object();
  body.set("symbol", o.symbol);
  body.set("kind", o.kind);
  body.set("threshold", threshold_of(o.threshold));
  if (o.window > 0) body.set("windowMinutes", o.window);
  json::Value rule = ctx.api().send_json("POST", "/api/market/alerts", body);
  if (ctx.out().human())
    ctx.out().line("Created " + json::text(rule, "id") + ": " + json::text(rule, "symbol") + " " +
                   json::text(rule, "kind") + " " + json::text(rule, "threshold") +
                   (json::text(rule, "armed") == "true" ? " (armed)" : " (holds already: armed once it crosses back)"));
  else
    ctx.out().record(rule, rule_columns());
}

void remove(Context& ctx, const std::string& id) {
  ctx.api().call("DELETE", "/api/market/alerts/" + id);
  if (ctx.out().human()) {
    ctx.out().line("Deleted alert rule " + id);
    return;
  }
  json::Value deleted = json::Value::object();
  deleted.set("id", id);
  deleted.set("deleted", true);
  ctx.out().record(deleted, {text_column("ID", "id"), text_column("DELETED", "deleted")});
}

} // namespace

void add_alert_commands(CLI::App& app, Context& ctx) {
  CLI::App* alerts = command(app, "alerts", "Your price alert rules: list, create, delete",
                             "crmctl alerts list\ncrmctl alerts create --symbol ACME --kind ABOVE --threshold 101.5");
  alerts->require_subcommand(1);

  auto lo = std::make_shared<ListOptions>();
  CLI::App* ls =
      command(*alerts, "list", "List your alert rules, oldest first", "crmctl alerts list --symbol ACME -o csv");
  ls->add_option("--symbol", lo->symbol, "Only this symbol's");
  ls->add_option("--limit", lo->limit, "Rules per page")->check(CLI::Range(1, 200))->capture_default_str();
  ls->add_option("--cursor", lo->cursor, "Start at this page (from the previous page's hint)");
  ls->add_flag("--all", lo->all, "Every page");
  ls->callback([&ctx, lo] { list(ctx, *lo); });

  auto co = std::make_shared<CreateOptions>();
  CLI::App* c = command(*alerts, "create",
                        "Make an alert rule: ABOVE or BELOW a price, or MOVE_PCT (a move of at least THRESHOLD "
                        "per cent within --window minutes)",
                        "crmctl alerts create --symbol ACME --kind BELOW --threshold 90\n"
                        "crmctl alerts create --symbol ACME --kind MOVE_PCT --threshold 5 --window 60");
  c->add_option("--symbol", co->symbol, "The instrument's symbol")->required();
  c->add_option("--kind", co->kind, "ABOVE, BELOW or MOVE_PCT")->required()->check(CLI::IsMember(alert_kinds()));
  c->add_option("--threshold", co->threshold, "A price (ABOVE, BELOW) or a percentage (MOVE_PCT)")->required();
  c->add_option("--window", co->window, "MOVE_PCT's window in minutes (1 to 10080)");
  c->callback([&ctx, co] { create(ctx, *co); });

  auto did = std::make_shared<std::string>();
  CLI::App* d = command(*alerts, "delete", "Delete one of your alert rules", "crmctl alerts delete 3f0c1d2e-...");
  d->add_option("id", *did, "The rule's id")->required();
  d->callback([&ctx, did] { remove(ctx, *did); });
}

} // namespace crmctl
