// DeadLetterRoutes: the dead letters as platform operations, ADMIN only.
// GET /api/events/dlq?status=&limit=&cursor= lists them; POST
// /api/events/dlq/{id}/replay publishes one again (202), audited with the
// ADMIN who did it.
#include "http/HttpServices.hpp"
#include "http/PlatformOperations.hpp"

#include <regex>

namespace crm::http {

namespace {

bool configured(HttpServices& s, plugins::HostCall& call) {
  if (s.dead_letters) return true;
  call.fail(503, "events are not configured on this host");
  return false;
}

// "50" -> 50; anything but digits -> 0, which the list refuses by field.
int limit_of(const std::string& text) {
  if (text.empty()) return 50;
  try {
    size_t used = 0;
    int limit = std::stoi(text, &used);
    return used == text.size() ? limit : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

} // namespace

void add_dead_letter_operations(plugins::PluginInstance& part, HttpServices& s) {
  declare(part,
          {"platform.dead_letters_list", "GET", "/api/events/dlq", "ADMIN",
           "Events a consumer gave up on, newest first",
           R"({"type":"object","properties":{"status":{"type":"string"},"limit":{"type":"string"},)"
           R"("cursor":{"type":"string"}}})"},
          [&s](plugins::HostCall& call) {
            if (!configured(s, call)) return;
            std::string status = call.text("status");
            if (status.empty()) status = "open";
            std::string why;
            if (!s.dead_letters->list(status, limit_of(call.text("limit")), call.text("cursor"), call.reply, why)) {
              std::string field = why.substr(0, why.find(' '));
              call.fail(422, why, {{field, why}});
            }
          });
  HostOperation replay{"platform.dead_letters_replay", "POST", "/api/events/dlq/{id}/replay", "ADMIN",
                       "Publishes a dead letter again to its consumer",
                       R"({"type":"object","properties":{"id":{"type":"string"}}})", 202};
  replay.read_only = false;
  declare(part, replay, [&s](plugins::HostCall& call) {
    if (!configured(s, call)) return;
    const std::string id = call.text("id");
    static const std::regex uuid("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
    if (!std::regex_match(id, uuid)) {
      call.fail(422, "the id is not a UUID", {{"id", "must be a UUID"}});
      return;
    }
    using R = events::DeadLetters::Replay;
    switch (s.dead_letters->replay(id)) {
    case R::Done:
      call.reply = "{\"id\":\"" + id + "\",\"replayed\":true}";
      call.resource_id = id;
      break;
    case R::NotFound: call.fail(404, "no dead letter " + id); break;
    case R::AlreadyReplayed: call.fail(409, "dead letter " + id + " was replayed already"); break;
    case R::Unavailable: call.fail(503, "NATS is unavailable; try again"); break;
    }
  });
}

} // namespace crm::http
