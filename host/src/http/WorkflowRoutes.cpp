// WorkflowRoutes: the host's workflow endpoints on the request pipeline, all
// ADMIN only.
// - GET /api/workflows: the definitions, with kind, trigger, live version,
//   status (LIVE, or INVALID with errors[{line, message}]).
// - GET /api/workflows/{name}: the same with the live source and every version.
// - PUT /api/workflows/{name}: the body is the Lua source (or {"source": ...});
//   checked, stored as a new version, live at once (201 when new, 200 when it
//   replaced a version), 422 with errors[{line, message}].
// - POST /api/workflows/{name}/validate: the same checks, nothing stored.
// - POST /api/workflows/{name}/instances: {input} -> 201 {id, name, version, status}.
// - GET /api/workflow-instances?name=&status=&limit=&cursor=, GET
//   /api/workflow-instances/{id} (with its steps), POST .../{id}/retry and
//   .../{id}/cancel.
#include "http/ApiRequestHandler.hpp"

#include "http/RequestInput.hpp"
#include "log/Log.hpp"
#include "workflows/WorkflowValidation.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <istream>

namespace crm::http {

namespace {

// The whole body, up to `max` bytes; false (reply set to 413) when larger.
bool read_body(Poco::Net::HTTPServerRequest& request, size_t max, std::string& body) {
  char buffer[8192];
  std::istream& in = request.stream();
  while (in) {
    in.read(buffer, sizeof buffer);
    body.append(buffer, static_cast<size_t>(in.gcount()));
    if (body.size() > max) return false;
  }
  return true;
}

} // namespace

bool ApiRequestHandler::workflow_endpoint(Poco::Net::HTTPServerRequest& request, std::string_view path, Reply& reply) {
  // Which route: the segments after /api/workflows or /api/workflow-instances.
  const bool instances = path.rfind("/api/workflow-instances", 0) == 0;
  const std::string_view base = instances ? "/api/workflow-instances" : "/api/workflows";
  std::string_view rest = path.substr(base.size());
  if (!rest.empty() && rest.front() != '/') return false;
  if (!rest.empty()) rest.remove_prefix(1);
  std::string first(rest.substr(0, rest.find('/')));
  std::string second = rest.find('/') == std::string_view::npos ? std::string() : std::string(rest.substr(rest.find('/') + 1));
  if (second.find('/') != std::string::npos || (!rest.empty() && first.empty())) return false;

  const char* allowed = nullptr;
  if (!instances) {
    if (first.empty()) reply.operation = "workflows.list", allowed = "GET";
    else if (second.empty()) reply.operation = request.getMethod() == "PUT" ? "workflows.put" : "workflows.get", allowed = "GET, PUT";
    else if (second == "validate") reply.operation = "workflows.validate", allowed = "POST";
    else if (second == "instances") reply.operation = "workflows.start", allowed = "POST";
    else return false;
  } else {
    if (first.empty()) reply.operation = "workflow_instances.list", allowed = "GET";
    else if (second.empty()) reply.operation = "workflow_instances.get", allowed = "GET";
    else if (second == "retry") reply.operation = "workflow_instances.retry", allowed = "POST";
    else if (second == "cancel") reply.operation = "workflow_instances.cancel", allowed = "POST";
    else return false;
  }
  const std::string& method = request.getMethod();
  const std::string_view allow(allowed);
  const bool get_like = method == "GET" || method == "HEAD";
  const bool method_ok = get_like ? allow.find("GET") != std::string_view::npos
                                  : allow.find(method) != std::string_view::npos && method != "GET";
  if (!method_ok) {
    reply.headers.emplace_back("Allow", allowed);
    problem(reply, Problem{405, "", method + " is not allowed here", "", {}}, path);
    return true;
  }
  if (!admit_admin(request, path, reply, "only an ADMIN may manage workflows")) return true;
  if (!instances && second == "validate") return workflow_validate_endpoint(request, first, path, reply);
  if (!s_.workflows || !s_.engine) {
    problem(reply, Problem{503, "", "workflows are not configured on this host", "", {}}, path);
    return true;
  }

  try {
    if (!instances && first.empty()) {
      reply.body = s_.workflows->list_json();
      return true;
    }
    if (!instances && second.empty() && get_like) {
      reply.body = s_.workflows->detail_json(first);
      if (reply.body.empty()) problem(reply, Problem{404, "", "no workflow " + first, "", {}}, path);
      return true;
    }

    workflows::EngineReply answer;
    if (!instances) {
      std::string body;
      reply.body_read = true;
      if (!read_body(request, s_.max_body_bytes, body)) {
        problem(reply,
                Problem{413, "", "the body is larger than " + std::to_string(s_.max_body_bytes) + " bytes", "", {}},
                path);
        return true;
      }
      if (second.empty()) return workflow_put(request, first, std::move(body), path, reply);
      answer = s_.engine->start_manual(first, body);
    } else if (first.empty()) {
      const std::string& uri = request.getURI();
      const auto q = uri.find('?');
      std::string name, status, limit, cursor;
      for (const auto& [k, v] : parse_query(q == std::string::npos ? std::string_view() : std::string_view(uri).substr(q + 1))) {
        if (k == "name") name = v;
        else if (k == "status") status = v;
        else if (k == "limit") limit = v;
        else if (k == "cursor") cursor = v;
      }
      answer = s_.engine->list(name, status, limit, cursor);
    } else if (second.empty()) {
      answer = s_.engine->detail(first);
    } else if (second == "retry") {
      answer = s_.engine->retry(first);
    } else {
      answer = s_.engine->cancel(first);
    }
    answer_with(std::move(answer), path, reply);
  } catch (const std::exception& e) {
    log::warn("http", std::string("workflows: ") + e.what(), {});
    problem(reply, Problem{503, "", "the database is unavailable; try again", "", {}}, path);
  }
  return true;
}

// The source from a body: Lua text, or {"source": "..."} as JSON. False (reply
// set) when a JSON body has no source.
static bool source_of(const Poco::Net::HTTPServerRequest& request, std::string& body) {
  if (request.getContentType().rfind("application/json", 0) != 0) return true;
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (!o->has("source") || !o->get("source").isString()) return false;
    body = o->getValue<std::string>("source");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool ApiRequestHandler::workflow_put(Poco::Net::HTTPServerRequest& request, const std::string& name, std::string body,
                                     std::string_view path, Reply& reply) {
  if (!source_of(request, body)) {
    problem(reply, Problem{422, "", "send the Lua source, or {\"source\": \"...\"}", "", {{"source", "is required"}}},
            path);
    return true;
  }
  std::string version;
  bool created = false;
  auto errors = s_.workflows->put(name, body, version, created);
  if (!errors.empty()) {
    reply.status = 422;
    reply.content_type = "application/problem+json";
    reply.body = workflows::errors_problem("the definition of " + name + " has errors; the live version is unchanged",
                                           std::string(path), errors);
    return true;
  }
  log::info("workflows", "workflow " + name + " version " + version + " deployed through the API", {{"workflow", name}});
  reply.status = created ? 201 : 200;
  reply.body = s_.workflows->detail_json(name);
  return true;
}

bool ApiRequestHandler::workflow_validate_endpoint(Poco::Net::HTTPServerRequest& request, const std::string& name,
                                                   std::string_view path, Reply& reply) {
  std::string body;
  reply.body_read = true;
  if (!read_body(request, s_.max_body_bytes, body)) {
    problem(reply, Problem{413, "", "the body is larger than " + std::to_string(s_.max_body_bytes) + " bytes", "", {}},
            path);
    return true;
  }
  if (!source_of(request, body)) {
    problem(reply, Problem{422, "", "send the Lua source, or {\"source\": \"...\"}", "", {{"source", "is required"}}},
            path);
    return true;
  }
  auto result = workflows::validate_workflow(name, body, *s_.registry->snapshot(), std::string(path),
                                             s_.workflows ? s_.workflows->lib_dir() : std::filesystem::path());
  reply.status = result.status;
  reply.body = std::move(result.body);
  if (result.status != 200) reply.content_type = "application/problem+json";
  return true;
}

} // namespace crm::http

namespace crm::http {

// POST /api/sagas/{name}: any signed-in user; the saga's api block decides
// who may (WorkflowEngine::start_saga).
bool ApiRequestHandler::saga_endpoint(Poco::Net::HTTPServerRequest& request, std::string_view path, Reply& reply) {
  const std::string name(path.substr(std::string_view("/api/sagas/").size()));
  if (name.empty() || name.find('/') != std::string::npos) return false;
  reply.operation = "sagas.start";
  if (request.getMethod() != "POST") {
    reply.headers.emplace_back("Allow", "POST");
    problem(reply, Problem{405, "", request.getMethod() + " is not allowed here", "", {}}, path);
    return true;
  }
  auto caller = signed_in(authenticate(request), path, reply);
  if (!caller) return true;
  if (!s_.engine) {
    problem(reply, Problem{503, "", "workflows are not configured on this host", "", {}}, path);
    return true;
  }
  std::string body;
  reply.body_read = true;
  if (!read_body(request, s_.max_body_bytes, body)) {
    problem(reply, Problem{413, "", "the body is larger than " + std::to_string(s_.max_body_bytes) + " bytes", "", {}},
            path);
    return true;
  }
  try {
    answer_with(s_.engine->start_saga(name, body, *caller), path, reply);
  } catch (const std::exception& e) {
    log::warn("http", std::string("sagas: ") + e.what(), {});
    problem(reply, Problem{503, "", "the database is unavailable; try again", "", {}}, path);
  }
  return true;
}

} // namespace crm::http
