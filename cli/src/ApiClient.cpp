// ApiClient: see the header.
#include "ApiClient.hpp"

#include "Errors.hpp"
#include "Json.hpp"

#include <cctype>

#include <thread>

namespace crmctl {

Query& Query::add(const std::string& key, const std::string& value) {
  if (!value.empty()) params_.emplace_back(key, value);
  return *this;
}

namespace {

// Percent-encoding of everything but RFC 3986's unreserved characters.
void encode(const std::string& text, std::string& out) {
  static const char hex[] = "0123456789ABCDEF";
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
}

} // namespace

std::string Query::str() const {
  std::string out;
  for (const auto& [k, v] : params_) {
    out += out.empty() ? '?' : '&';
    encode(k, out);
    out += '=';
    encode(v, out);
  }
  return out;
}

json::Value parse_answer(const HttpResponse& r, const std::string& what) {
  try {
    return json::parse(r.body);
  } catch (const std::exception&) {
    throw UnreachableError("the server's answer to " + what + " is not JSON (HTTP " + std::to_string(r.status) + ")");
  }
}

json::Value parse_object(const HttpResponse& r, const std::string& what) {
  json::Value v = parse_answer(r, what);
  if (!v.is_object()) throw UnreachableError("the server's answer to " + what + " is not a JSON object");
  return v;
}

std::string auth_hint(const Session& session, int status) {
  if (status == 403)
    return "signed in as " +
           (session.stored().email.empty() ? std::string("this token's user")
                                           : session.stored().email + " (" + session.stored().role + ")") +
           ", which may not do this";
  switch (session.source()) {
  case Session::Source::Environment:
    return "the token in CRMCTL_TOKEN was refused; set a valid one";
  case Session::Source::Stored:
    return "the session has ended; sign in again: crmctl login --server " + session.server();
  case Session::Source::None:
    break;
  }
  return "not signed in to " + session.server() + "; sign in: crmctl login --server " + session.server();
}

ApiClient::ApiClient(const std::string& server_flag, std::chrono::milliseconds timeout)
    : session_(server_flag, CredentialStore()), http_(session_.server(), timeout) {}

void ApiClient::require_token(Auth auth) {
  if (auth == Auth::None || session_.source() != Session::Source::None) return;
  Problem p;
  p.status = 401;
  p.title = "Unauthorized";
  p.detail = "no session for " + session_.server();
  throw ServerError(p, auth_hint(session_, 401));
}

Headers ApiClient::auth_headers(Auth auth) {
  if (auth == Auth::None || session_.access_token().empty()) return {};
  return {{"Authorization", "Bearer " + session_.access_token()}};
}

HttpResponse ApiClient::call_unchecked(const std::string& method, const std::string& target, const std::string& body,
                                       const std::string& content_type, Auth auth) {
  require_token(auth);
  // A session known to have expired is renewed before the request, saving a
  // refused round trip; one the server refuses anyway is renewed once after.
  if (auth == Auth::Required && session_.expired()) session_.refresh(http_);
  auto r = http_.send(method, target, body, content_type, auth_headers(auth));
  if (r.status == 401 && auth == Auth::Required && session_.can_refresh() && session_.refresh(http_))
    r = http_.send(method, target, body, content_type, auth_headers(auth));
  if (r.status == 429) {
    // A short wait is better than a failure; a long one is the admin's call.
    int seconds = -1;
    try {
      seconds = std::stoi(r.header("Retry-After"));
    } catch (const std::exception&) {
    }
    if (seconds >= 0 && seconds <= 5) {
      std::this_thread::sleep_for(std::chrono::seconds(seconds));
      r = http_.send(method, target, body, content_type, auth_headers(auth));
    }
  }
  return r;
}

HttpResponse ApiClient::call(const std::string& method, const std::string& target, const std::string& body,
                             const std::string& content_type, Auth auth) {
  auto r = call_unchecked(method, target, body, content_type, auth);
  if (r.status < 400) return r;
  Problem p = parse_problem(r.status, r.body);
  std::string hint;
  if (r.status == 401 || r.status == 403)
    hint = auth_hint(session_, r.status);
  else if (r.status == 429 && !r.header("Retry-After").empty())
    hint = "try again in " + r.header("Retry-After") + " s";
  throw ServerError(std::move(p), hint);
}

void ApiClient::stream(const std::string& target, const Headers& headers,
                       const std::function<bool(std::string_view)>& on_body, std::chrono::milliseconds idle) {
  require_token(Auth::Required);
  if (session_.expired()) session_.refresh(http_);
  auto with_auth = [&] {
    Headers all = auth_headers(Auth::Required);
    all.insert(all.end(), headers.begin(), headers.end());
    return all;
  };
  auto r = http_.stream(target, with_auth(), on_body, idle);
  if (r.status == 401 && session_.can_refresh() && session_.refresh(http_))
    r = http_.stream(target, with_auth(), on_body, idle);
  if (r.status < 400) return;
  std::string hint;
  if (r.status == 401 || r.status == 403) hint = auth_hint(session_, r.status);
  throw ServerError(parse_problem(r.status, r.body), hint);
}

json::Value ApiClient::get(const std::string& target, Auth auth) {
  return parse_answer(call("GET", target, {}, {}, auth), "GET " + target);
}

json::Value ApiClient::get_object(const std::string& target, Auth auth) {
  return parse_object(call("GET", target, {}, {}, auth), "GET " + target);
}

json::Value ApiClient::send_json(const std::string& method, const std::string& target, const json::Value& body) {
  auto r = call(method, target, json::write(body, 0), "application/json");
  if (r.body.empty()) return {};
  return parse_answer(r, method + " " + target);
}

Page ApiClient::page(const std::string& target) {
  json::Value object = get_object(target);
  Page p;
  p.items = object.get("items");
  if (!p.items.is_array()) throw UnreachableError("the server's answer to GET " + target + " has no items");
  p.next_cursor = json::text(object, "nextCursor");
  return p;
}

json::Value ApiClient::all_items(const std::string& target, size_t max) {
  json::Value all = json::Value::array();
  std::string cursor;
  const char joiner = target.find('?') == std::string::npos ? '?' : '&';
  for (;;) {
    std::string page_target = target;
    if (!cursor.empty()) page_target += joiner + Query().add("cursor", cursor).str().substr(1);
    Page p = page(page_target);
    for (const auto& item : p.items.items()) {
      if (max && all.size() >= max) return all;
      all.push(item);
    }
    if (p.next_cursor.empty() || p.next_cursor == cursor) return all;
    cursor = p.next_cursor;
  }
}

} // namespace crmctl
