// POST /api/plugins/{name}/rebuild starts rebuilding a plugin's read-models
// from the event stream (202 with the rebuild's status; 409 while one runs);
// GET on the same path tells how the last one on this host went. ADMIN only.
#include "http/ApiRequestHandler.hpp"

#include <Poco/Net/HTTPServerRequest.h>

namespace crm::http {

bool ApiRequestHandler::rebuild_endpoint(Poco::Net::HTTPServerRequest& request, std::string_view path, Reply& reply) {
  constexpr std::string_view prefix = "/api/plugins/", suffix = "/rebuild";
  if (path.size() <= prefix.size() + suffix.size() || path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  const std::string plugin(path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()));
  const std::string& method = request.getMethod();
  const bool start = method == "POST";
  reply.operation = start ? "host.rebuild" : "host.rebuild_status";
  if (!start && method != "GET" && method != "HEAD") {
    reply.headers.emplace_back("Allow", "GET, POST");
    problem(reply, Problem{405, "", method + " is not allowed here", "", {}}, path);
    return true;
  }
  if (!admit_admin(request, path, reply, "only an ADMIN may rebuild read-models")) return true;
  if (!s_.rebuilds) {
    problem(reply, Problem{503, "", "events are not configured on this host", "", {}}, path);
    return true;
  }
  if (!start) {
    if (auto status = s_.rebuilds->status(plugin)) reply.body = std::move(*status);
    else problem(reply, Problem{404, "", "no rebuild of '" + plugin + "' has run on this host", "", {}}, path);
    return true;
  }
  using S = events::ReadModelRebuilds::Start;
  switch (s_.rebuilds->start(plugin, reply.body)) {
  case S::Started: reply.status = 202; break;
  case S::AlreadyRunning:
    problem(reply, Problem{409, "", "a rebuild of '" + plugin + "' is running already", "", {}}, path);
    break;
  case S::NoSuchPlugin: problem(reply, Problem{404, "", "no plugin '" + plugin + "' is loaded", "", {}}, path); break;
  case S::NothingToRebuild:
    problem(reply,
            Problem{422, "", "plugin '" + plugin + "' declares no replayable subscriptions (CRM_OP_REPLAYABLE)", "",
                    {{"name", "has no read-models to rebuild"}}},
            path);
    break;
  case S::Unavailable: problem(reply, Problem{503, "", "NATS is unavailable; try again", "", {}}, path); break;
  }
  return true;
}

} // namespace crm::http
