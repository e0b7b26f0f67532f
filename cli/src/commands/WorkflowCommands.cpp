// WorkflowCommands: workflows list|show|validate|deploy|instances. validate
// and deploy send a .lua file (the workflow's name is the file's stem) and
// report its errors like a compiler, `FILE:LINE: message` on stderr, exit 1.
#include "Commands.hpp"

#include "Errors.hpp"
#include "InstanceFollower.hpp"
#include "Json.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace crmctl {

namespace {

namespace fs = std::filesystem;

// Functions, not statics: nothing is built before main().
std::vector<std::string> statuses() {
  return {"RUNNING", "WAITING", "COMPLETED", "FAILED", "COMPENSATED", "CANCELLED"};
}

std::string error_count(const json::Value& o) {
  const size_t n = o.get("errors").size();
  return n ? std::to_string(n) : std::string();
}

std::vector<Column> definition_columns() {
  return {text_column("NAME", "name"),       text_column("KIND", "kind"),
          text_column("TRIGGER", "trigger"), text_column("VERSION", "version", 16),
          status_column("STATUS", "status"), {"ERRORS", "errors", Column::Kind::Text, 0, error_count},
          text_column("FILE", "file")};
}

// A workflow file: its name (the stem) and its source. UsageError (exit 1)
// when it cannot be read, as a compiler does for a missing input.
struct SourceFile {
  std::string path, name, source;
};

SourceFile read_source(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read " + path + ": " + (fs::exists(path) ? "permission denied" : "no such file"));
  std::stringstream text;
  text << in.rdbuf();
  SourceFile f{path, fs::path(path).stem().string(), text.str()};
  if (f.name.empty()) throw UsageError(path + ": the file name gives the workflow's name; it has none");
  return f;
}

// Prints the errors of a 422 on stderr as a compiler does, FILE:LINE: message
// (FILE: message for the file as a whole); in json mode the answer goes to
// stdout as well.
void print_definition_errors(Printer& out, const SourceFile& f, const HttpResponse& r) {
  Problem p = parse_problem(r.status, r.body);
  const std::string file = out.err_colour() ? term::paint(f.path, term::Style::Bold, true) : f.path;
  std::string text;
  for (const auto& [line, message] : p.line_errors)
    text += file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + message + "\n";
  for (const auto& e : p.errors) text += file + ": " + e.field + ": " + e.message + "\n";
  if (p.line_errors.empty() && p.errors.empty())
    text += file + ": " + (p.detail.empty() ? p.headline() : p.detail) + "\n";
  text.pop_back();
  out.note(text);
  if (out.format() == Format::Json) out.json(parse_answer(r, "the definition check"));
}

void validate(Context& ctx, const std::vector<std::string>& files) {
  ApiClient& api = ctx.api();
  Printer& out = ctx.out();
  int failed = 0;
  for (const auto& path : files) {
    SourceFile f = read_source(path);
    const std::string target = "/api/workflows/" + f.name + "/validate";
    auto r = api.call_unchecked("POST", target, f.source, "text/x-lua");
    if (r.status == 422) {
      print_definition_errors(out, f, r);
      ++failed;
      continue;
    }
    if (r.status >= 400) api.call("POST", target, f.source, "text/x-lua"); // throws the refusal as usual
    auto answer = parse_object(r, "POST " + target);
    if (out.format() == Format::Json) {
      out.json(answer);
    } else if (out.format() == Format::Csv) {
      out.record(answer, {{"FILE", "file", Column::Kind::Text, 0, [path](const auto&) { return path; }},
                          text_column("NAME", "name"),
                          text_column("KIND", "kind"),
                          text_column("TRIGGER", "trigger")});
    } else {
      const json::Value& steps = answer.get("steps");
      const json::Value& states = answer.get("states");
      auto count = [](size_t n, const char* one, const char* many) {
        return std::to_string(n) + (n == 1 ? one : many);
      };
      std::string shape = steps.is_array()    ? count(steps.size(), " step", " steps")
                          : states.is_array() ? count(states.size(), " state", " states")
                                              : std::string();
      out.line(path + ": ok (" + json::text(answer, "kind") + ", trigger " + json::text(answer, "trigger") +
               (shape.empty() ? "" : ", " + shape) + ")");
    }
  }
  if (failed) throw ExitStatus(kExitUsage);
}

void deploy(Context& ctx, const std::string& path) {
  ApiClient& api = ctx.api();
  Printer& out = ctx.out();
  SourceFile f = read_source(path);
  const std::string target = "/api/workflows/" + f.name;
  auto r = api.call_unchecked("PUT", target, f.source, "text/x-lua");
  if (r.status == 422) {
    print_definition_errors(out, f, r);
    out.note(f.name + ": not deployed; the live version is unchanged");
    throw ExitStatus(kExitUsage);
  }
  if (r.status >= 400) api.call("PUT", target, f.source, "text/x-lua");
  auto answer = parse_object(r, "PUT " + target);
  if (out.human())
    out.line("Deployed " + f.name + " version " + json::text(answer, "version") +
             (r.status == 201 ? " (new workflow)" : "") + "; live now");
  else
    out.record(answer, definition_columns());
}

void show(Context& ctx, const std::string& name, bool source_only) {
  Printer& out = ctx.out();
  auto detail = ctx.api().get_object("/api/workflows/" + name);
  if (source_only) {
    std::cout << json::text(detail, "source");
    return;
  }
  if (!out.human()) {
    out.record(detail, definition_columns());
    return;
  }
  out.record(detail, definition_columns());
  if (const json::Value& errors = detail.get("errors"); errors.size()) {
    out.line("");
    out.list(errors, {text_column("LINE", "line"), text_column("ERROR", "message")});
  }
  if (const json::Value& versions = detail.get("versions"); versions.size()) {
    out.line("");
    out.list(versions, {text_column("VERSION", "version"), time_column("CREATED", "createdAt")});
  }
}

struct InstancesOptions {
  std::string name, status, cursor;
  int limit = 50;
  bool all = false;
};

void instances(Context& ctx, const InstancesOptions& o) {
  Query q;
  q.add("name", o.name).add("status", o.status).add("limit", std::to_string(o.all ? 500 : o.limit));
  print_page(
      ctx, "/api/workflow-instances" + q.str(), o.all, o.cursor,
      {text_column("ID", "id"),
       text_column("NAME", "name"),
       text_column("KIND", "kind"),
       status_column("STATUS", "status"),
       text_column("STATE", "state"),
       time_column("CREATED", "createdAt"),
       time_column("FINISHED", "finishedAt"),
       {"ERROR", "error", Column::Kind::Text, 50, [](const auto& i) { return error_text(json::at(i, "error")); }}},
      "no instances");
}

} // namespace

void add_workflow_commands(CLI::App& app, Context& ctx) {
  CLI::App* wf = command(app, "workflows", "Workflow definitions (Lua) and their instances",
                         "crmctl workflows validate workflows/deal_approval.lua\ncrmctl workflows list");
  wf->require_subcommand(1);

  CLI::App* ls =
      command(*wf, "list", "List the definitions: kind, trigger, live version, status", "crmctl workflows list");
  ls->callback(
      [&ctx] { ctx.out().list(ctx.api().page("/api/workflows").items, definition_columns(), "no workflows"); });

  auto name = std::make_shared<std::string>();
  auto source_only = std::make_shared<bool>(false);
  CLI::App* sh = command(*wf, "show", "Show one definition with its errors and versions",
                         "crmctl workflows show reassignment\ncrmctl workflows show reassignment --source > r.lua");
  sh->add_option("name", *name, "The workflow's name")->required();
  sh->add_flag("--source", *source_only, "Print only the live version's Lua source");
  sh->callback([&ctx, name, source_only] { show(ctx, *name, *source_only); });

  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* v = command(*wf, "validate",
                        "Check workflow files against the running host without storing them; errors print as "
                        "FILE:LINE: message, exit 1",
                        "crmctl workflows validate workflows/*.lua");
  v->add_option("file", *files, "The .lua files (the name of each is its file's stem)")->required()->type_name("FILE");
  v->callback([&ctx, files] { validate(ctx, *files); });

  auto file = std::make_shared<std::string>();
  CLI::App* d = command(*wf, "deploy",
                        "Store a workflow file as a new version, live at once (refused with FILE:LINE errors, "
                        "exit 1, when invalid)",
                        "crmctl workflows deploy workflows/reassignment.lua");
  d->add_option("file", *file, "The .lua file (the workflow's name is its stem)")->required()->type_name("FILE");
  d->callback([&ctx, file] { deploy(ctx, *file); });

  auto io = std::make_shared<InstancesOptions>();
  CLI::App* in = command(*wf, "instances", "List workflow instances of every kind, newest first",
                         "crmctl workflows instances --name deal_approval --status WAITING");
  in->add_option("--name", io->name, "Only this workflow");
  in->add_option("--status", io->status, "Only this status")->check(CLI::IsMember(statuses()));
  in->add_option("--limit", io->limit, "Instances per page")->check(CLI::Range(1, 500))->capture_default_str();
  in->add_option("--cursor", io->cursor, "Start at this page (from the previous page's hint)");
  in->add_flag("--all", io->all, "Every page");
  in->callback([&ctx, io] { instances(ctx, *io); });
}

} // namespace crmctl
