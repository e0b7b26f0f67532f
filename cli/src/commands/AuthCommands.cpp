// AuthCommands: login, logout, whoami. A login stores the session for its
// server (see Credentials.hpp); later commands use it and renew it.
#include "Commands.hpp"

#include "Errors.hpp"
#include "Json.hpp"
#include "Terminal.hpp"

#include <memory>

namespace crmctl {

namespace {

std::vector<Column> user_fields() {
  return {text_column("ID", "id"),
          text_column("EMAIL", "email"),
          text_column("NAME", "name"),
          text_column("ROLE", "role"),
          text_column("MANAGER", "managerId"),
          status_column("ACTIVE", "active"),
          time_column("LAST LOGIN", "lastLoginAt")};
}

struct LoginOptions {
  std::string email;
  bool password_stdin = false;
};

void login(Context& ctx, const LoginOptions& o) {
  ApiClient& api = ctx.api();
  std::string email = o.email;
  if (email.empty()) {
    auto asked = term::ask("Email for " + api.server() + ": ");
    if (!asked) throw UsageError("--email is required when there is no terminal to ask on");
    email = *asked;
  }
  std::string password;
  if (o.password_stdin) {
    password = read_stdin_secret();
  } else {
    auto asked = term::ask_secret("Password for " + email + ": ");
    if (!asked) throw UsageError("no terminal to ask the password on: pipe it in with --password-stdin");
    password = *asked;
  }
  const std::string body = "{\"email\":" + json::quote(email) + ",\"password\":" + json::quote(password) + "}";
  auto r = api.call_unchecked("POST", "/api/auth/login", body, "application/json", ApiClient::Auth::None);
  if (r.status >= 400) {
    // Not auth_hint(): "sign in again" is no advice to someone signing in.
    throw ServerError(parse_problem(r.status, r.body),
                      r.status == 401 ? "check the email and the password" : std::string());
  }
  json::Value answer = parse_object(r, "POST /api/auth/login");
  if (json::text(answer, "accessToken").empty())
    throw UnreachableError("the server's answer to POST /api/auth/login has no accessToken");
  api.session().store_login(answer);
  Printer& out = ctx.out();
  if (out.human()) {
    const auto& s = api.session().stored();
    out.line("Signed in to " + api.server() + " as " + s.email + " (" + s.role + ")");
  } else {
    out.record(answer.get("user"), user_fields());
  }
}

void logout(Context& ctx) {
  ApiClient& api = ctx.api();
  Session& session = api.session();
  if (session.source() == Session::Source::None) {
    ctx.out().note("not signed in to " + api.server());
    return;
  }
  const bool stored = session.source() == Session::Source::Stored;
  const std::string body =
      stored ? "{\"refreshToken\":" + json::quote(session.stored().refresh_token) + "}" : std::string("{}");
  std::string failure;
  try {
    auto r = api.call_unchecked("POST", "/api/auth/logout", body);
    // 401: the session had ended already, which is what was asked.
    if (r.status >= 400 && r.status != 401) failure = parse_problem(r.status, r.body).headline();
  } catch (const UnreachableError& e) {
    failure = e.what();
  } catch (const ServerError& e) {
    failure = e.what(); // a refresh on the way out failed: the session is dead anyway
  }
  if (stored) session.forget();
  if (!failure.empty())
    throw UnreachableError("signed out here, but the server could not revoke the session: " + failure);
  ctx.out().line(stored ? "Signed out of " + api.server()
                        : "Revoked the CRMCTL_TOKEN token on " + api.server() + " (nothing was stored)");
}

void whoami(Context& ctx) {
  ApiClient& api = ctx.api();
  auto me = api.get_object("/api/auth/me");
  auto fields = user_fields();
  const std::string server = api.server();
  fields.push_back({"SERVER", "server", Column::Kind::Text, 0, [server](const auto&) { return server; }});
  ctx.out().record(me, fields);
}

} // namespace

void add_auth_commands(CLI::App& app, Context& ctx) {
  auto login_options = std::make_shared<LoginOptions>();
  CLI::App* in = command(app, "login", "Sign in and keep the session for later commands",
                         "crmctl login --server http://127.0.0.1:8080 --email admin@example.com\n"
                         "printf '%s' \"$PASSWORD\" | crmctl login --email admin@example.com --password-stdin");
  in->add_option("--email", login_options->email, "Your email (asked on the terminal when left out)");
  in->add_flag("--password-stdin", login_options->password_stdin,
               "Read the password from standard input instead of asking");
  in->callback([&ctx, login_options] { login(ctx, *login_options); });

  CLI::App* out =
      command(app, "logout", "Sign out: revoke the session on the server and forget it here", "crmctl logout");
  out->callback([&ctx] { logout(ctx); });

  CLI::App* who = command(app, "whoami", "Show who you are signed in as, and where", "crmctl whoami -o json");
  who->callback([&ctx] { whoami(ctx); });
}

} // namespace crmctl
