// UserCommands: users list|get|create|update|deactivate|delete over
// /api/auth/users. Every USER argument is an id or an email (UserRef).
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
std::vector<std::string> roles() { return {"ADMIN", "MANAGER", "SALES"}; }

std::vector<Column> list_columns() {
  return {text_column("ID", "id"),
          text_column("EMAIL", "email"),
          text_column("NAME", "name", 30),
          text_column("ROLE", "role"),
          text_column("MANAGER", "managerId"),
          status_column("ACTIVE", "active"),
          time_column("LAST LOGIN", "lastLoginAt")};
}

std::vector<Column> record_fields() {
  auto fields = list_columns();
  fields.push_back(time_column("CREATED", "createdAt"));
  fields.push_back(time_column("UPDATED", "updatedAt"));
  return fields;
}

std::string user_path(const std::string& id) { return "/api/auth/users/" + id; }

struct ListOptions {
  std::string role, active, query, cursor;
  int limit = 50;
  bool all = false;
};

struct CreateOptions {
  std::string email, name, role = "SALES", manager;
  bool password_stdin = false;
};

struct UpdateOptions {
  std::string user, name, role, manager, active;
  bool password = false, password_stdin = false;
};

struct DeleteOptions {
  std::string user, reassign_to;
  bool wait = false;
};

void list(Context& ctx, const ListOptions& o) {
  Query q;
  q.add("role", o.role).add("active", o.active).add("q", o.query).add("limit", std::to_string(o.all ? 200 : o.limit));
  print_page(ctx, "/api/auth/users" + q.str(), o.all, o.cursor, list_columns(), "no users");
}

void get(Context& ctx, const std::string& ref) {
  ApiClient& api = ctx.api();
  ctx.out().record(api.get_object(user_path(resolve_user(api, ref, "user"))), record_fields());
}

void create(Context& ctx, const CreateOptions& o) {
  ApiClient& api = ctx.api();
  json::Value body = json::Value::object();
  body.set("email", o.email);
  body.set("name", o.name);
  body.set("role", o.role);
  if (!o.manager.empty()) body.set("managerId", resolve_user(api, o.manager, "--manager"));
  body.set("password", new_password(o.password_stdin, o.email));
  json::Value user = api.send_json("POST", "/api/auth/register", body);
  if (!user.is_object()) throw UnreachableError("the server's answer to POST /api/auth/register is not a user");
  if (ctx.out().human())
    ctx.out().line("Created " + json::text(user, "email") + " (" + json::text(user, "role") + ") " +
                   json::text(user, "id"));
  else
    ctx.out().record(user, record_fields());
}

void update(Context& ctx, const UpdateOptions& o) {
  ApiClient& api = ctx.api();
  const std::string id = resolve_user(api, o.user, "user");
  json::Value body = json::Value::object();
  if (!o.name.empty()) body.set("name", o.name);
  if (!o.role.empty()) body.set("role", o.role);
  if (o.manager == "none")
    body.set("managerId", json::Value());
  else if (!o.manager.empty())
    body.set("managerId", resolve_user(api, o.manager, "--manager"));
  if (!o.active.empty()) body.set("active", o.active == "true");
  if (o.password || o.password_stdin) body.set("password", new_password(o.password_stdin, o.user));
  if (body.size() == 0) throw UsageError("nothing to change: give --name, --role, --manager, --active or --password");
  json::Value user = api.send_json("PATCH", user_path(id), body);
  if (!user.is_object()) throw UnreachableError("the server's answer to PATCH " + user_path(id) + " is not a user");
  if (ctx.out().human())
    ctx.out().line("Updated " + json::text(user, "email") + " " + json::text(user, "id"));
  else
    ctx.out().record(user, record_fields());
}

void deactivate(Context& ctx, const std::string& ref) {
  ApiClient& api = ctx.api();
  const std::string id = resolve_user(api, ref, "user");
  json::Value body = json::Value::object();
  body.set("active", false);
  json::Value user = api.send_json("PATCH", user_path(id), body);
  if (!user.is_object()) throw UnreachableError("the server's answer to PATCH " + user_path(id) + " is not a user");
  if (ctx.out().human())
    ctx.out().line("Deactivated " + json::text(user, "email") + " " + id + " (signed out everywhere)");
  else
    ctx.out().record(user, record_fields());
}

void remove(Context& ctx, const DeleteOptions& o) {
  ApiClient& api = ctx.api();
  const std::string id = resolve_user(api, o.user, "user");
  Query q;
  if (!o.reassign_to.empty()) q.add("reassignTo", resolve_user(api, o.reassign_to, "--reassign-to"));
  const auto started = std::chrono::steady_clock::now();
  auto r = api.call("DELETE", user_path(id) + q.str());
  json::Value answer = parse_object(r, "DELETE " + user_path(id));
  const std::string instance = json::text(answer, "workflowInstanceId");
  Printer& out = ctx.out();
  if (out.human()) {
    out.line("Deactivated " + o.user + "; " +
             (instance.empty() ? std::string("no offboarding workflow was started (none is deployed)")
                               : "offboarding " + instance));
  } else if (!o.wait || instance.empty()) {
    out.json(answer);
  }
  if (!o.wait || instance.empty()) return;
  auto done = InstanceFollower(api, out).follow(instance, std::chrono::seconds(30));
  report_outcome(out, done,
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
}

} // namespace

void add_user_commands(CLI::App& app, Context& ctx) {
  CLI::App* users = command(app, "users", "Manage users: list, look up, create, change, deactivate, delete",
                            "crmctl users list --role SALES\ncrmctl users get ann@example.com -o json");
  users->require_subcommand(1);

  auto lo = std::make_shared<ListOptions>();
  CLI::App* ls = command(*users, "list", "List users (a MANAGER sees its team)",
                         "crmctl users list --role SALES --active true\ncrmctl users list -q ann --all -o csv");
  ls->add_option("--role", lo->role, "Only this role")->check(CLI::IsMember(roles()));
  ls->add_option("--active", lo->active, "Only active (true) or inactive (false) users")
      ->check(CLI::IsMember({"true", "false"}));
  ls->add_option("-q,--query", lo->query, "Text found in the email or the name");
  ls->add_option("--limit", lo->limit, "Users per page")->check(CLI::Range(1, 200))->capture_default_str();
  ls->add_option("--cursor", lo->cursor, "Start at this page (from the previous page's hint)");
  ls->add_flag("--all", lo->all, "Every page");
  ls->callback([&ctx, lo] { list(ctx, *lo); });

  auto ref = std::make_shared<std::string>();
  CLI::App* g = command(*users, "get", "Show one user", "crmctl users get ann@example.com");
  g->add_option("user", *ref, "The user's id or email")->required();
  g->callback([&ctx, ref] { get(ctx, *ref); });

  auto co = std::make_shared<CreateOptions>();
  CLI::App* c = command(*users, "create", "Create a user (the password is asked, or read with --password-stdin)",
                        "crmctl users create --email bob@example.com --name 'Bob B' --role SALES "
                        "--manager ann@example.com\n"
                        "printf '%s' \"$PW\" | crmctl users create --email x@example.com --name X --password-stdin");
  c->add_option("--email", co->email, "Sign-in email")->required();
  c->add_option("--name", co->name, "Full name")->required();
  c->add_option("--role", co->role, "Role")->check(CLI::IsMember(roles()))->capture_default_str();
  c->add_option("--manager", co->manager, "The manager's id or email");
  c->add_flag("--password-stdin", co->password_stdin, "Read the password from standard input");
  c->callback([&ctx, co] { create(ctx, *co); });

  auto uo = std::make_shared<UpdateOptions>();
  CLI::App* u = command(*users, "update", "Change a user's name, role, manager, activity or password",
                        "crmctl users update bob@example.com --role MANAGER --manager none\n"
                        "crmctl users update bob@example.com --password");
  u->add_option("user", uo->user, "The user's id or email")->required();
  u->add_option("--name", uo->name, "New full name");
  u->add_option("--role", uo->role, "New role")->check(CLI::IsMember(roles()));
  u->add_option("--manager", uo->manager, "New manager's id or email; none removes it");
  u->add_option("--active", uo->active, "Activate (true) or deactivate (false)")
      ->check(CLI::IsMember({"true", "false"}));
  auto* pw = u->add_flag("--password", uo->password, "Set a new password, asked on the terminal");
  u->add_flag("--password-stdin", uo->password_stdin, "Set a new password read from standard input")->excludes(pw);
  u->callback([&ctx, uo] { update(ctx, *uo); });

  auto dref = std::make_shared<std::string>();
  CLI::App* d = command(*users, "deactivate", "Deactivate a user: sign-in refused, sessions ended, records kept",
                        "crmctl users deactivate bob@example.com");
  d->add_option("user", *dref, "The user's id or email")->required();
  d->callback([&ctx, dref] { deactivate(ctx, *dref); });

  auto del = std::make_shared<DeleteOptions>();
  CLI::App* rm = command(*users, "delete",
                         "Delete a user: deactivate, then offboard (its records go to --reassign-to, by default "
                         "its manager)",
                         "crmctl users delete bob@example.com --reassign-to ann@example.com --wait");
  rm->add_option("user", del->user, "The user's id or email")->required();
  rm->add_option("--reassign-to", del->reassign_to, "Who takes over the user's records (id or email)");
  rm->add_flag("--wait", del->wait, "Follow the offboarding workflow to its end (Ctrl-C stops following only)");
  rm->callback([&ctx, del] { remove(ctx, *del); });
}

} // namespace crmctl
