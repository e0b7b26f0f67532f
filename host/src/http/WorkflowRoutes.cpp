// WorkflowRoutes: the host's workflow endpoints on the request pipeline.
// POST /api/workflows/{name}/validate (ADMIN): the body is the Lua source (or
// a JSON object {"source": "..."}); 200 with what the definition declares, or
// 422 with errors[{line, message}]. Nothing is stored.
#include "http/ApiRequestHandler.hpp"

#include "workflows/WorkflowValidation.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <istream>

namespace crm::http {

bool ApiRequestHandler::workflow_validate_endpoint(Poco::Net::HTTPServerRequest& request, std::string_view path,
                                                   Reply& reply) {
  constexpr std::string_view prefix = "/api/workflows/", suffix = "/validate";
  const std::string name(path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()));
  reply.operation = "workflows.validate";
  if (request.getMethod() != "POST") {
    reply.headers.emplace_back("Allow", "POST");
    problem(reply, Problem{405, "", request.getMethod() + " is not allowed here", "", {}}, path);
    return true;
  }
  auto p = authenticate(request);
  if (!p) {
    reply.headers.emplace_back("WWW-Authenticate", "Bearer");
    problem(reply, Problem{401, "", "a valid access token is required", "", {}}, path);
    return true;
  }
  if (p->role != "ADMIN") {
    problem(reply, Problem{403, "", "only an ADMIN may validate workflows", "", {}}, path);
    return true;
  }

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
