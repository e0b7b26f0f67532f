// RebuildRoutes: POST /api/plugins/{name}/rebuild starts rebuilding a
// plugin's read-models from the event stream (202 with the rebuild's status;
// 409 while one runs), audited with the ADMIN who asked; GET on the same path
// tells how the last one on this host went. ADMIN only.
#include "http/HttpServices.hpp"
#include "http/PlatformOperations.hpp"

namespace crm::http {

namespace {

constexpr const char* kPluginParam = R"({"type":"object","properties":{"name":{"type":"string","minLength":1}}})";

bool configured(HttpServices& s, plugins::HostCall& call) {
  if (s.rebuilds) return true;
  call.fail(503, "events are not configured on this host");
  return false;
}

} // namespace

void add_rebuild_operations(plugins::PluginInstance& part, HttpServices& s) {
  declare(part,
          {"platform.rebuild_status", "GET", "/api/plugins/{name}/rebuild", "ADMIN",
           "How the last rebuild of a plugin's read-models on this host went", kPluginParam},
          [&s](plugins::HostCall& call) {
            if (!configured(s, call)) return;
            const std::string plugin = call.text("name");
            if (auto status = s.rebuilds->status(plugin)) call.reply = std::move(*status);
            else call.fail(404, "no rebuild of '" + plugin + "' has run on this host");
          });
  HostOperation start{"platform.rebuild_start", "POST", "/api/plugins/{name}/rebuild", "ADMIN",
                      "Rebuilds a plugin's read-models from the event stream", kPluginParam, 202};
  start.read_only = false;
  declare(part, start, [&s](plugins::HostCall& call) {
    if (!configured(s, call)) return;
    const std::string plugin = call.text("name");
    using S = events::ReadModelRebuilds::Start;
    switch (s.rebuilds->start(plugin, call.reply)) {
    case S::Started: call.resource_id = plugin; break;
    case S::AlreadyRunning: call.fail(409, "a rebuild of '" + plugin + "' is running already"); break;
    case S::NoSuchPlugin: call.fail(404, "no plugin '" + plugin + "' is loaded"); break;
    case S::NothingToRebuild:
      call.fail(422, "plugin '" + plugin + "' declares no replayable subscriptions (CRM_OP_REPLAYABLE)",
                {{"name", "has no read-models to rebuild"}});
      break;
    case S::Unavailable: call.fail(503, "NATS is unavailable; try again"); break;
    }
  });
}

} // namespace crm::http
