// SagaCommands: `reassign` (POST /api/sagas/reassignment) and `sagas
// list|show|retry|cancel`, the workflow instances of saga kind.
#include "Commands.hpp"

#include "Errors.hpp"
#include "InstanceFollower.hpp"
#include "Json.hpp"
#include "UserRef.hpp"

#include <chrono>
#include <memory>

namespace crmctl {

namespace {

// Functions, not statics: nothing is built before main().
std::vector<std::string> statuses() {
  return {"RUNNING", "WAITING", "COMPLETED", "FAILED", "COMPENSATED", "CANCELLED"};
}

std::vector<Column> instance_columns() {
  return {text_column("ID", "id"),
          text_column("NAME", "name"),
          status_column("STATUS", "status"),
          text_column("STEP", "state"),
          time_column("CREATED", "createdAt"),
          time_column("FINISHED", "finishedAt"),
          {"ERROR", "error", Column::Kind::Text, 50, [](const auto& o) { return error_text(json::at(o, "error")); }}};
}

double since_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// "12 ms" from "12.345"; "" when there is no number.
std::string duration_of(const std::string& ms) {
  try {
    return ms.empty() ? ms : duration_text(std::stod(ms));
  } catch (const std::exception&) {
    return ms;
  }
}

std::string instance_path(const std::string& id) { return "/api/workflow-instances/" + id; }

struct ReassignOptions {
  std::string from, to;
  bool dry_run = false, wait = false;
};

// The counts of a dry run, whatever shape they come in: {counts: {kind: n}},
// {kinds: [{kind, count}]}, or numbers at the top.
Table dry_run_counts(const json::Value& answer) {
  Table t{{"KIND", "COUNT"}, {}};
  const json::Value& counts = answer.get("counts").is_object() ? answer.get("counts") : answer;
  for (const auto& [key, value] : counts.members()) {
    if (value.is_array()) {
      for (const auto& item : value.items())
        if (item.is_object()) t.rows.push_back({json::text(item, "kind"), json::text(item, "count")});
    } else if (value.is_number()) {
      t.rows.push_back({key, json::display(value)});
    }
  }
  return t;
}

void reassign(Context& ctx, const ReassignOptions& o) {
  ApiClient& api = ctx.api();
  Printer& out = ctx.out();
  json::Value body = json::Value::object();
  body.set("fromUserId", resolve_user(api, o.from, "--from"));
  body.set("toUserId", resolve_user(api, o.to, "--to"));
  if (o.dry_run) body.set("dryRun", true);
  const auto started = std::chrono::steady_clock::now();
  json::Value answer = api.send_json("POST", "/api/sagas/reassignment", body);
  if (!answer.is_object())
    throw UnreachableError("the server's answer to POST /api/sagas/reassignment is not an object");
  if (o.dry_run) {
    if (out.format() == Format::Json)
      out.json(answer);
    else
      out.table(dry_run_counts(answer), {"kind", "count"});
    if (out.human()) out.note("dry run: nothing was changed");
    return;
  }
  const std::string id = json::text(answer, "workflowInstanceId");
  if (id.empty())
    throw UnreachableError("the server's answer to POST /api/sagas/reassignment has no workflowInstanceId");
  if (!o.wait) {
    if (out.format() == Format::Json)
      out.json(answer);
    else if (out.format() == Format::Csv)
      out.table(Table{{"workflowInstanceId"}, {{id}}}, {"workflowInstanceId"});
    else
      out.line(id);
    return;
  }
  out.note("reassignment " + id + " started");
  auto done = InstanceFollower(api, out).follow(id);
  report_outcome(out, done, since_ms(started));
}

struct ListOptions {
  std::string name, status;
  int limit = 50;
  bool all = false;
};

// The instance list has no kind filter: pages are read until `limit` sagas
// are found (or all of them with --all). Named with --name, a workflow's
// instances are listed whatever its kind: user_offboarding, a state machine
// that waits for its reassignment, is one an admin asks for by name.
void list(Context& ctx, const ListOptions& o) {
  ApiClient& api = ctx.api();
  json::Value sagas = json::Value::array();
  std::string cursor;
  bool more = false;
  for (;;) {
    Query q;
    q.add("name", o.name).add("status", o.status).add("limit", "200").add("cursor", cursor);
    Page page = api.page("/api/workflow-instances" + q.str());
    for (const auto& item : page.items.items()) {
      if (o.name.empty() && json::text(item, "kind") != "saga") continue;
      if (!o.all && sagas.size() >= static_cast<size_t>(o.limit)) {
        more = true;
        break;
      }
      sagas.push(item);
    }
    if (more || page.next_cursor.empty()) break;
    cursor = page.next_cursor;
  }
  ctx.out().list(sagas, instance_columns(), "no sagas");
  if (more) ctx.out().note("more sagas than --limit " + std::to_string(o.limit) + "; use --all to see every one");
}

void show(Context& ctx, const std::string& id) {
  Printer& out = ctx.out();
  auto instance = ctx.api().get_object(instance_path(id));
  if (!out.human()) {
    out.record(instance, instance_columns());
    return;
  }
  auto fields = instance_columns();
  fields.insert(fields.begin() + 2, text_column("KIND", "kind"));
  fields.insert(fields.begin() + 3, text_column("VERSION", "version"));
  fields.push_back(time_column("UPDATED", "updatedAt"));
  fields.push_back(text_column("INPUT", "input"));
  out.record(instance, fields);
  const json::Value& steps = instance.get("steps");
  if (steps.size() == 0) return;
  out.line("");
  out.list(steps, {text_column("STEP", "name"),
                   text_column("PHASE", "phase"),
                   status_column("STATUS", "status"),
                   text_column("ATTEMPT", "attempt"),
                   time_column("STARTED", "startedAt"),
                   {"DURATION", "durationMs", Column::Kind::Text, 0,
                    [](const auto& s) { return duration_of(json::text(s, "durationMs")); }},
                   {"ERROR", "error", Column::Kind::Text, 60,
                    [](const auto& s) { return error_text(json::at(s, "error")); }}});
}

struct SteerOptions {
  std::string id;
  bool wait = false;
};

void retry(Context& ctx, const SteerOptions& o) {
  ApiClient& api = ctx.api();
  const auto started = std::chrono::steady_clock::now();
  auto r = api.call("POST", instance_path(o.id) + "/retry");
  json::Value instance = parse_object(r, "POST " + instance_path(o.id) + "/retry");
  if (!o.wait) {
    if (ctx.out().human())
      ctx.out().line("Retrying " + json::text(instance, "name") + " " + o.id);
    else
      ctx.out().record(instance, instance_columns());
    return;
  }
  report_outcome(ctx.out(), InstanceFollower(api, ctx.out()).follow(o.id), since_ms(started));
}

void cancel(Context& ctx, const SteerOptions& o) {
  ApiClient& api = ctx.api();
  const auto started = std::chrono::steady_clock::now();
  auto r = api.call("POST", instance_path(o.id) + "/cancel");
  if (!o.wait) {
    if (ctx.out().human())
      ctx.out().line("Cancel requested for " + o.id + "; completed steps will be compensated");
    else
      ctx.out().json(parse_answer(r, "POST " + instance_path(o.id) + "/cancel"));
    return;
  }
  auto done = InstanceFollower(api, ctx.out()).follow(o.id);
  // Cancelling succeeded when the saga ended CANCELLED.
  if (json::text(done, "status") == "CANCELLED") {
    if (ctx.out().human())
      ctx.out().line(json::text(done, "name") + " " + o.id + " CANCELLED after " + duration_text(since_ms(started)));
    else
      ctx.out().record(done, instance_columns());
    return;
  }
  report_outcome(ctx.out(), done, since_ms(started));
}

} // namespace

void add_saga_commands(CLI::App& app, Context& ctx) {
  auto ro = std::make_shared<ReassignOptions>();
  CLI::App* re = command(app, "reassign",
                         "Move one user's customers, meetings, open tasks and pending approvals to another "
                         "(the reassignment saga)",
                         "crmctl reassign --from ann@example.com --to bob@example.com --dry-run\n"
                         "crmctl reassign --from ann@example.com --to bob@example.com --wait");
  re->add_option("--from", ro->from, "Whose records move (id or email)")->required();
  re->add_option("--to", ro->to, "Who receives them (id or email)")->required();
  re->add_flag("--dry-run", ro->dry_run, "Only count what would move, per kind");
  re->add_flag("--wait", ro->wait,
               "Follow the saga step by step to its end; exit 4 unless it completes (Ctrl-C stops following only)");
  re->callback([&ctx, ro] { reassign(ctx, *ro); });

  CLI::App* sagas = command(app, "sagas",
                            "Look at and steer saga instances (reassignments, customer deletions; offboardings by --name)",
                            "crmctl sagas list --status FAILED\ncrmctl sagas list --name user_offboarding\n"
                            "crmctl sagas retry 3f0c...");
  sagas->require_subcommand(1);

  auto lo = std::make_shared<ListOptions>();
  CLI::App* ls = command(*sagas, "list", "List saga instances, newest first",
                         "crmctl sagas list --name reassignment --status RUNNING");
  ls->add_option("--name", lo->name, "Only this workflow (of any kind, e.g. user_offboarding)");
  ls->add_option("--status", lo->status, "Only this status")->check(CLI::IsMember(statuses()));
  ls->add_option("--limit", lo->limit, "At most this many")->check(CLI::Range(1, 10000))->capture_default_str();
  ls->add_flag("--all", lo->all, "Every one");
  ls->callback([&ctx, lo] { list(ctx, *lo); });

  auto id = std::make_shared<std::string>();
  CLI::App* sh = command(*sagas, "show", "Show one instance with its steps, attempts, timings and errors",
                         "crmctl sagas show 3f0c1d2e-...");
  sh->add_option("id", *id, "The instance id")->required();
  sh->callback([&ctx, id] { show(ctx, *id); });

  auto wid = std::make_shared<std::string>();
  CLI::App* w = command(*sagas, "watch",
                        "Follow an instance step by step until it ends; exit 4 unless it completes (Ctrl-C stops "
                        "following only)",
                        "crmctl sagas watch 3f0c1d2e-...");
  w->add_option("id", *wid, "The instance id")->required();
  w->callback([&ctx, wid] {
    const auto started = std::chrono::steady_clock::now();
    report_outcome(ctx.out(), InstanceFollower(ctx.api(), ctx.out()).follow(*wid), since_ms(started));
  });

  auto rt = std::make_shared<SteerOptions>();
  CLI::App* r = command(*sagas, "retry", "Resume a FAILED instance (a COMPENSATED saga runs again from the start)",
                        "crmctl sagas retry 3f0c1d2e-... --wait");
  r->add_option("id", rt->id, "The instance id")->required();
  r->add_flag("--wait", rt->wait, "Follow it to its end");
  r->callback([&ctx, rt] { retry(ctx, *rt); });

  auto cn = std::make_shared<SteerOptions>();
  CLI::App* c = command(*sagas, "cancel", "Cancel an instance; a saga compensates the steps it completed",
                        "crmctl sagas cancel 3f0c1d2e-... --wait");
  c->add_option("id", cn->id, "The instance id")->required();
  c->add_flag("--wait", cn->wait, "Follow the compensation to its end");
  c->callback([&ctx, cn] { cancel(ctx, *cn); });
}

} // namespace crmctl
