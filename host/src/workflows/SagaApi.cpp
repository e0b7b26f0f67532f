// SagaApi: POST /api/sagas/{name}, a saga started by a user through the API,
// as its script's `api` block allows (see SagaApi in WorkflowDefinition.hpp).
// The block's functions run here, on the request, in a sandbox of the live
// version kept for this purpose, and may call read operations only.
#include "workflows/EngineParts.hpp"

#include "core/JsonText.hpp"
#include "plugins/Roles.hpp"
#include "workflows/LuaJson.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <sstream>

namespace crm::workflows {

using namespace engine;

namespace {

EngineReply refusal(EngineResult result, std::string message, std::string field = {}, std::string field_message = {}) {
  EngineReply r;
  r.result = result;
  r.message = std::move(message);
  if (!field.empty()) r.errors.emplace_back(std::move(field), std::move(field_message));
  return r;
}

// The ids of a MANAGER's team, from its principal.
std::vector<std::string> team_of(const security::Principal& caller) {
  std::vector<std::string> out;
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(caller.json).extract<Poco::JSON::Object::Ptr>();
    if (auto team = o->getArray("team"))
      for (size_t i = 0; i < team->size(); ++i) out.push_back(team->getElement<std::string>(static_cast<unsigned>(i)));
  } catch (const std::exception&) {
  }
  return out;
}

// check()'s answer: nil, or a list of {field, message}, or one message.
void collect_errors(lua_State* L, EngineReply& reply) {
  if (lua_isnil(L, -1) || lua_isboolean(L, -1)) return;
  if (lua_type(L, -1) == LUA_TSTRING) {
    reply.errors.emplace_back("body", lua_tostring(L, -1));
    return;
  }
  if (!lua_istable(L, -1)) return;
  for (lua_Integer i = 1, n = luaL_len(L, -1); i <= n; ++i) {
    lua_geti(L, -1, i);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "field");
      lua_getfield(L, -2, "message");
      std::string field = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "body";
      std::string message = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "is not valid";
      reply.errors.emplace_back(std::move(field), std::move(message));
      lua_pop(L, 2);
    }
    lua_pop(L, 1);
  }
}

// The request's body as an object, with its dryRun flag taken out.
std::optional<EngineReply> read_request(const std::string& body, Poco::JSON::Object::Ptr& input, bool& dry_run) {
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(body.empty() ? "{}" : body);
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) input = v.extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
  }
  if (!input) return refusal(EngineResult::Invalid, "the body must be a JSON object", "body", "must be a JSON object");
  dry_run = false;
  if (input->has("dryRun")) {
    if (!input->get("dryRun").isBoolean())
      return refusal(EngineResult::Invalid, "dryRun must be true or false", "dryRun", "must be true or false");
    dry_run = input->getValue<bool>("dryRun");
    input->remove("dryRun");
  }
  return std::nullopt;
}

// The api block's roles admit the caller; a MANAGER names only users of its
// own team in the fields the block lists as `team`.
std::optional<EngineReply> admit(const std::string& name, const SagaApi& api, const security::Principal& caller,
                                 const Poco::JSON::Object::Ptr& input) {
  auto roles = plugins::Roles::parse(api.roles, nullptr);
  if (!roles || !roles->admits(caller)) return refusal(EngineResult::Forbidden, "only " + api.roles + " may start " + name);
  if (caller.role != "MANAGER") return std::nullopt;
  const auto team = team_of(caller);
  for (const auto& field : api.team) {
    if (!input->has(field) || !input->get(field).isString()) continue; // check() reports a missing field
    const std::string user = input->getValue<std::string>(field);
    if (user != caller.id && std::find(team.begin(), team.end(), user) == team.end())
      return refusal(EngineResult::Forbidden, field + " names a user outside your team", field, "is not in your team");
  }
  return std::nullopt;
}

// Runs the api block's functions (check, dry_run) for one request: each gets
// (input, caller) inside one protected call under the script's limits, as
// the input may be more than the state can hold; its crm.* calls are reads.
class ApiRun {
public:
  ApiRun(WorkflowEngine& engine, WorkflowEngine::Compiled& c, const std::string& name, std::string input_json,
         const security::Principal& caller)
      : c_(c), input_json_(std::move(input_json)), caller_(caller) {
    request_.id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    request_.name = name;
    run_.engine = &engine;
    run_.instance = &request_;
    run_.key_base = "api:" + request_.id;
    run_.read_only = true;
  }

  // api.<fn>(input, caller), then `read` on its result; nullopt when it ran,
  // else the refusal: a limit reached is the input's doing (too large, or too
  // costly to check), 422; any other failure is the script's, 503.
  std::optional<EngineReply> call(const char* fn, const std::function<void(lua_State*)>& read) {
    c_.run = &run_;
    auto o = c_.box.protect([&](lua_State* L) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, c_.def_ref);
      lua_getfield(L, -1, "api");
      lua_getfield(L, -1, fn);
      push_json(L, input_json_);
      push_json(L, caller_.json);
      lua_call(L, 2, 1);
      read(L);
      return 0;
    });
    c_.run = nullptr;
    c_.note(o);
    if (o.ok) return std::nullopt;
    if (o.limit_reached())
      return refusal(EngineResult::Invalid, std::string("the saga's api.") + fn + " could not finish with this input: " + o.error, "body",
                     o.error);
    return refusal(EngineResult::Unavailable, std::string("the saga's api.") + fn + " failed: " + o.error);
  }

private:
  WorkflowEngine::Compiled& c_;
  std::string input_json_;
  const security::Principal& caller_;
  WorkflowEngine::Instance request_;
  WorkflowEngine::Run run_;
};

// api.check's verdict (422 with its field errors), then api.dry_run's counts
// when the request asks for a dry run. nullopt: go on and start the saga.
std::optional<EngineReply> check_and_dry_run(ApiRun& api_run, const SagaApi& api, const std::string& name,
                                             bool dry_run) {
  if (api.check) {
    EngineReply reply;
    if (auto refused = api_run.call("check", [&](lua_State* L) { collect_errors(L, reply); })) return refused;
    if (!reply.errors.empty()) {
      reply.result = EngineResult::Invalid;
      reply.message = "the input is not valid for " + name;
      return reply;
    }
  }
  if (!dry_run) return std::nullopt;
  if (!api.dry_run) return refusal(EngineResult::Invalid, name + " offers no dry run", "dryRun", "is not offered by this saga");
  std::string counts;
  if (auto refused =
          api_run.call("dry_run", [&](lua_State* L) { counts = lua_istable(L, -1) ? to_json(L, -1) : "{}"; }))
    return refused;
  EngineReply reply;
  reply.result = EngineResult::Done;
  reply.body = "{\"dryRun\":true,\"saga\":";
  core::append_json_string(reply.body, name);
  reply.body += ",\"counts\":" + counts + "}";
  return reply;
}

} // namespace

EngineReply WorkflowEngine::start_saga(const std::string& name, const std::string& body,
                                       const security::Principal& caller) {
  // The live version, and what its api block allows.
  std::string version;
  {
    auto conn = pool_.acquire();
    const char* p[] = {name.c_str()};
    auto rows = conn->query("select version from platform.workflow_live where name = $1 and kind = 'saga'", p, 1);
    if (rows.rows() == 1) version = rows.value(0, 0);
  }
  if (catalog_.is_retired(name)) return refusal(EngineResult::Conflict, retired_message(name));
  if (version.empty() || !catalog_.is_live(name)) return refusal(EngineResult::NotFound, "no saga " + name + " is live");
  Poco::JSON::Object::Ptr input;
  bool dry_run = false;
  if (auto refused = read_request(body, input, dry_run)) return *refused;

  {
    std::lock_guard lock(api_mutex_);
    if (!api_worker_) api_worker_ = std::make_unique<Worker>();
    Compiled* c = compiled(*api_worker_, name, version);
    const SagaApi& api = c->def.api;
    if (!api.exposed)
      return refusal(EngineResult::NotFound, "the saga " + name + " is not started through the API (it declares no api block)");
    if (auto refused = admit(name, api, caller, input)) return *refused;
    std::ostringstream text;
    input->stringify(text);
    ApiRun api_run(*this, *c, name, text.str(), caller);
    if (auto answered = check_and_dry_run(api_run, api, name, dry_run)) return *answered;
  }

  input->set("requestedBy", caller.id);
  std::ostringstream with_caller;
  input->stringify(with_caller);
  auto conn = pool_.acquire();
  const std::string started = insert_instance(*conn, name, with_caller.str(), nullptr, nullptr, nullptr, caller.id);
  if (started.empty()) return refusal(EngineResult::Unavailable, "the saga " + name + " is not stored yet; try again");
  announce_work();
  const std::string id = started.substr(0, started.find(' '));
  EngineReply reply;
  reply.result = EngineResult::Accepted;
  reply.body = "{\"workflowInstanceId\":\"" + id + "\",\"saga\":";
  core::append_json_string(reply.body, name);
  reply.body += ",\"version\":";
  core::append_json_string(reply.body, started.substr(started.find(' ') + 1));
  reply.body += ",\"status\":\"RUNNING\"}";
  return reply;
}

} // namespace crm::workflows
