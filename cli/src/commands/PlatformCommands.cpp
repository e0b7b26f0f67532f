// PlatformCommands: the host itself: health (/health/ready), plugins list
// (/api/plugins) and events dlq list|replay (/api/events/dlq).
#include "Commands.hpp"

#include "Errors.hpp"
#include "Json.hpp"

#include <memory>

namespace crmctl {

namespace {

// GET /health/ready needs no token: 200 ok or degraded (exit 0), 503 when
// PostgreSQL is down (printed, then exit 3).
void health(Context& ctx) {
  ApiClient& api = ctx.api();
  Printer& out = ctx.out();
  auto r = api.call_unchecked("GET", "/health/ready", {}, {}, ApiClient::Auth::None);
  auto answer = json::try_parse_object(r.body);
  if (!answer || !answer->has("status")) {
    if (r.status >= 400) throw ServerError(parse_problem(r.status, r.body));
    throw UnreachableError("the answer to GET /health/ready is not a readiness report (HTTP " +
                           std::to_string(r.status) + ")");
  }
  if (out.format() == Format::Json) {
    out.json(*answer);
  } else {
    Table t{{"CHECK", "STATUS"}, {{"server", api.server()}, {"status", json::text(*answer, "status")}}};
    for (const auto& [name, value] : answer->get("checks").members()) t.rows.push_back({name, json::display(value)});
    if (out.format() == Format::Csv) {
      // One row, a column per check: easy to graph.
      Table wide;
      for (const auto& row : t.rows) {
        wide.headers.push_back(row[0]);
        if (wide.rows.empty()) wide.rows.emplace_back();
        wide.rows[0].push_back(row[1]);
      }
      out.table(wide, wide.headers);
    } else {
      out.table(t, {"check", "status"}, {Column::Kind::Text, Column::Kind::Status});
    }
  }
  if (r.status >= 500)
    throw CliError(api.server() + " is not ready (" + json::text(*answer, "status") + ")", kExitUnavailable);
}

std::vector<Column> plugin_columns() {
  return {text_column("NAME", "name"),
          text_column("VERSION", "version"),
          text_column("ABI", "abi"),
          status_column("STATUS", "status"),
          {"OPERATIONS", "operations", Column::Kind::Text, 0,
           [](const auto& p) { return std::to_string(p.get("operations").size()); }},
          text_column("FILE", "file"),
          text_column("ERROR", "error", 60)};
}

struct DlqOptions {
  std::string status = "open", cursor;
  int limit = 50;
  bool all = false;
};

void dlq_list(Context& ctx, const DlqOptions& o) {
  Query q;
  q.add("status", o.status).add("limit", std::to_string(o.all ? 200 : o.limit));
  print_page(ctx, "/api/events/dlq" + q.str(), o.all, o.cursor,
             {text_column("ID", "id"), text_column("EVENT", "eventType"), text_column("CONSUMER", "consumer"),
              text_column("ATTEMPTS", "attempts"), time_column("FAILED AT", "failedAt"),
              time_column("REPLAYED AT", "replayedAt"), text_column("ERROR", "error", 60)},
             o.status == "open" ? "no dead letters" : "no " + o.status + " dead letters");
}

void dlq_replay(Context& ctx, const std::string& id) {
  auto r = ctx.api().call("POST", "/api/events/dlq/" + id + "/replay");
  if (ctx.out().human())
    ctx.out().line("Replayed dead letter " + id + " to its consumer");
  else
    ctx.out().json(parse_answer(r, "POST /api/events/dlq/" + id + "/replay"));
}

} // namespace

void add_platform_commands(CLI::App& app, Context& ctx) {
  CLI::App* h = command(app, "health", "Is the host ready? PostgreSQL, NATS and Redis as it sees them (no sign-in)",
                        "crmctl health\ncrmctl health --server http://10.0.0.5:8080 -o json");
  h->callback([&ctx] { health(ctx); });

  CLI::App* plugins = command(app, "plugins", "The host's plugins", "crmctl plugins list");
  plugins->require_subcommand(1);
  CLI::App* pl = command(*plugins, "list", "Loaded and refused plugins, with the reason for each refusal",
                         "crmctl plugins list -o json");
  pl->callback([&ctx] { ctx.out().list(ctx.api().page("/api/plugins").items, plugin_columns(), "no plugins"); });

  CLI::App* events = command(app, "events", "Domain events", "crmctl events dlq list");
  events->require_subcommand(1);
  CLI::App* dlq = command(*events, "dlq", "Dead letters: events a consumer gave up on",
                          "crmctl events dlq list\ncrmctl events dlq replay 7d1e...");
  dlq->require_subcommand(1);

  auto lo = std::make_shared<DlqOptions>();
  CLI::App* ls = command(*dlq, "list", "List dead letters, newest first", "crmctl events dlq list --status all");
  ls->add_option("--status", lo->status, "open (not replayed), replayed or all")
      ->check(CLI::IsMember({"open", "replayed", "all"}))
      ->capture_default_str();
  ls->add_option("--limit", lo->limit, "Per page")->check(CLI::Range(1, 200))->capture_default_str();
  ls->add_option("--cursor", lo->cursor, "Start at this page (from the previous page's hint)");
  ls->add_flag("--all", lo->all, "Every page");
  ls->callback([&ctx, lo] { dlq_list(ctx, *lo); });

  auto id = std::make_shared<std::string>();
  CLI::App* rp =
      command(*dlq, "replay", "Deliver a dead letter to its consumer again", "crmctl events dlq replay 7d1e0b2a-...");
  rp->add_option("id", *id, "The dead letter's id")->required();
  rp->callback([&ctx, id] { dlq_replay(ctx, *id); });
}

} // namespace crmctl
