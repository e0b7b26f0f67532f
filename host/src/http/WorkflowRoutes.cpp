// WorkflowRoutes: the host's workflow endpoints on the request pipeline, all
// ADMIN only.
// - GET /api/workflows: the definitions, with kind, trigger, live version,
//   status (LIVE, or INVALID with errors[{line, message}]).
// - GET /api/workflows/{name}: the same with the live source and every version.
// - POST /api/workflows/{name}/validate: the body is the Lua source (or a JSON
//   object {"source": "..."}); 200 with what the definition declares, or 422
//   with errors[{line, message}]. Nothing is stored.
#include "http/ApiRequestHandler.hpp"

#include "workflows/WorkflowValidation.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <istream>

namespace crm::http {

bool ApiRequestHandler::workflow_endpoint(Poco::Net::HTTPServerRequest& request, std::string_view path, Reply& reply) {
  constexpr std::string_view prefix = "/api/workflows/", suffix = "/validate";
  const bool list = path == "/api/workflows";
  const bool validate = !list && path.size() > prefix.size() + suffix.size() &&
                        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  std::string name;
  if (!list) {
    name = std::string(path.substr(prefix.size(), path.size() - prefix.size() - (validate ? suffix.size() : 0)));
    if (name.empty() || name.find('/') != std::string::npos) return false; // instances etc.: not here yet
  }
  reply.operation = list ? "workflows.list" : validate ? "workflows.validate" : "workflows.get";
  const std::string& method = request.getMethod();
  const char* allowed = validate ? "POST" : "GET";
  if (method != allowed && !(method == "HEAD" && !validate)) {
    reply.headers.emplace_back("Allow", allowed);
    problem(reply, Problem{405, "", method + " is not allowed here", "", {}}, path);
    return true;
  }
  if (!admit_admin(request, path, reply, "only an ADMIN may manage workflows")) return true;
  if (validate) return workflow_validate_endpoint(request, name, path, reply);
  if (!s_.workflows) {
    problem(reply, Problem{503, "", "workflows are not configured on this host", "", {}}, path);
    return true;
  }
  if (list) {
    reply.body = s_.workflows->list_json();
    return true;
  }
  try {
    reply.body = s_.workflows->detail_json(name);
  } catch (const std::exception&) {
    problem(reply, Problem{503, "", "the database is unavailable; try again", "", {}}, path);
    return true;
  }
  if (reply.body.empty()) problem(reply, Problem{404, "", "no workflow " + name, "", {}}, path);
  return true;
}

bool ApiRequestHandler::workflow_validate_endpoint(Poco::Net::HTTPServerRequest& request, const std::string& name,
                                                   std::string_view path, Reply& reply) {
  std::string body;
  reply.body_read = true;
  char buffer[8192];
  std::istream& in = request.stream();
  while (in) {
    in.read(buffer, sizeof buffer);
    body.append(buffer, static_cast<size_t>(in.gcount()));
    if (body.size() > s_.max_body_bytes) {
      problem(reply, Problem{413, "", "the body is larger than " + std::to_string(s_.max_body_bytes) + " bytes", "", {}},
              path);
      return true;
    }
  }
  if (request.getContentType().rfind("application/json", 0) == 0) {
    try {
      Poco::JSON::Parser parser;
      auto o = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
      if (!o->has("source") || !o->get("source").isString()) throw std::invalid_argument("no source");
      body = o->getValue<std::string>("source");
    } catch (const std::exception&) {
      problem(reply, Problem{422, "", "send the Lua source, or {\"source\": \"...\"}", "", {{"source", "is required"}}},
              path);
      return true;
    }
  }
  auto result = workflows::validate_workflow(name, body, *s_.registry->snapshot(), std::string(path));
  reply.status = result.status;
  reply.body = std::move(result.body);
  if (result.status != 200) reply.content_type = "application/problem+json";
  return true;
}

} // namespace crm::http
