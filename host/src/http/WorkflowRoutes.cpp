// WorkflowRoutes: the host's workflow operations, all ADMIN only, and the
// saga start open to any signed-in user.
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
// - POST /api/sagas/{name}: the saga's api block decides who may
//   (WorkflowEngine::start_saga).
// Deploy, validate, start, retry, cancel and a saga's start are audited with
// the user who did them; an instance records who started it.
#include "http/HttpServices.hpp"
#include "http/PlatformOperations.hpp"

#include "core/JsonText.hpp"
#include "log/Log.hpp"
#include "workflows/WorkflowValidation.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace crm::http {

namespace {

int http_status(workflows::EngineResult result) {
  using R = workflows::EngineResult;
  switch (result) {
  case R::Done: return 200;
  case R::Created: return 201;
  case R::Accepted: return 202;
  case R::Invalid: return 422;
  case R::Forbidden: return 403;
  case R::NotFound: return 404;
  case R::Conflict: return 409;
  case R::Unavailable: return 503;
  }
  return 500;
}

// An engine's answer as the call's.
void answer_with(workflows::EngineReply answer, plugins::HostCall& call) {
  const int status = http_status(answer.result);
  if (status >= 400) {
    std::vector<core::FieldError> errors;
    for (auto& [field, message] : answer.errors) errors.push_back({field, message});
    call.fail(status, std::move(answer.message), std::move(errors));
    return;
  }
  call.status = status;
  call.reply = std::move(answer.body);
}

// problem+json 422 with a definition's errors[{line, message}].
std::string errors_problem(const std::string& detail, std::string_view instance,
                           const std::vector<workflows::DefinitionError>& errors) {
  std::string out = R"({"type":"about:blank","title":"Unprocessable Content","status":422,"detail":)";
  core::append_json_string(out, detail);
  out += ",\"instance\":";
  core::append_json_string(out, instance);
  out += ",\"errors\":";
  workflows::append_errors_json(out, errors);
  return out + "}";
}

// A top-level string member of a JSON reply, or "".
std::string member_of(const std::string& json, const char* key) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    if (o->has(key) && o->get(key).isString()) return o->getValue<std::string>(key);
  } catch (const std::exception&) {
  }
  return {};
}

// The source from a body: Lua text, or {"source": "..."} as JSON. False when
// a JSON body has no source (the call's refusal is set).
bool source_of(plugins::HostCall& call, std::string& source) {
  source.assign(call.body);
  if (call.content_type.rfind("application/json", 0) == 0) {
    source.clear();
    try {
      Poco::JSON::Parser parser;
      auto o = parser.parse(std::string(call.body)).extract<Poco::JSON::Object::Ptr>();
      if (o->has("source") && o->get("source").isString()) source = o->getValue<std::string>("source");
      else throw std::invalid_argument("no source");
    } catch (const std::exception&) {
      call.fail(422, "send the Lua source, or {\"source\": \"...\"}", {{"source", "is required"}});
      return false;
    }
  }
  return true;
}

bool configured(HttpServices& s, plugins::HostCall& call) {
  if (s.workflows && s.engine) return true;
  call.fail(503, "workflows are not configured on this host");
  return false;
}

constexpr const char* kNameParam = R"({"type":"object","properties":{"name":{"type":"string","minLength":1}}})";
constexpr const char* kIdParam = R"({"type":"object","properties":{"id":{"type":"string"}}})";

} // namespace

void add_workflow_operations(plugins::PluginInstance& part, HttpServices& s) {
  declare(part, {"platform.workflows_list", "GET", "/api/workflows", "ADMIN", "The workflow definitions"},
          [&s](plugins::HostCall& call) {
            if (configured(s, call)) call.reply = s.workflows->list_json();
          });
  declare(part,
          {"platform.workflows_get", "GET", "/api/workflows/{name}", "ADMIN",
           "A workflow's definition: live source and every version", kNameParam},
          [&s](plugins::HostCall& call) {
            if (!configured(s, call)) return;
            const std::string name = call.text("name");
            call.reply = s.workflows->detail_json(name);
            if (call.reply.empty()) call.fail(404, "no workflow " + name);
          });
  HostOperation put{"platform.workflows_put", "PUT", "/api/workflows/{name}", "ADMIN",
                    "Deploys a workflow: the body is its Lua source (or {\"source\": ...}); live at once", kNameParam};
  put.read_only = false;
  put.raw_body = true;
  declare(part, put, [&s](plugins::HostCall& call) {
    if (!configured(s, call)) return;
    const std::string name = call.text("name");
    std::string source, version;
    if (!source_of(call, source)) return;
    bool created = false;
    auto errors = s.workflows->put(name, source, version, created);
    if (!errors.empty()) {
      call.failure = 422;
      call.problem = errors_problem("the definition of " + name + " has errors; the live version is unchanged",
                                    call.path, errors);
      return;
    }
    log::info("workflows", "workflow " + name + " version " + version + " deployed through the API",
              {{"workflow", name}, {"by", call.principal->id}});
    call.status = created ? 201 : 200;
    call.reply = s.workflows->detail_json(name);
    call.resource_id = name;
    call.audit_detail = "{\"version\":" + core::json_string(version) + ",\"created\":" + (created ? "true" : "false") + "}";
  });
  HostOperation validate{"platform.workflows_validate", "POST", "/api/workflows/{name}/validate", "ADMIN",
                         "Checks a workflow's Lua source without storing it", kNameParam};
  validate.read_only = false; // nothing changes, but who tried what code is worth keeping
  validate.raw_body = true;
  declare(part, validate, [&s](plugins::HostCall& call) {
    const std::string name = call.text("name");
    std::string source;
    if (!source_of(call, source)) return;
    auto result = workflows::validate_workflow(name, source, *s.registry->snapshot(),
                                               s.workflows ? s.workflows->lib_dir() : std::filesystem::path());
    // An invalid definition is this operation's answer, not its failure: it is audited too.
    call.status = result.valid ? 200 : 422;
    call.reply = result.valid ? std::move(result.body)
                              : errors_problem("the workflow " + name + " is not valid", call.path, result.errors);
    if (!result.valid) call.content_type_out = "application/problem+json";
    call.resource_id = name;
    call.audit_detail = std::string("{\"valid\":") + (result.valid ? "true" : "false") + "}";
  });
  HostOperation start{"platform.workflows_start", "POST", "/api/workflows/{name}/instances", "ADMIN",
                      "Starts an instance of a workflow with {input}",
                      R"({"type":"object","properties":{"name":{"type":"string","minLength":1},)"
                      R"("input":{"type":"object"}}})",
                      201};
  start.read_only = false;
  declare(part, start, [&s](plugins::HostCall& call) {
    if (!configured(s, call)) return;
    const std::string name = call.text("name");
    answer_with(s.engine->start_manual(name, std::string(call.input), call.principal->id), call);
    if (call.failure) return;
    call.resource_id = member_of(call.reply, "id");
    call.audit_detail = "{\"workflow\":" + core::json_string(name) + "}";
  });

  declare(part,
          {"platform.workflow_instances_list", "GET", "/api/workflow-instances", "ADMIN",
           "Workflow instances, newest first, by name and status",
           R"({"type":"object","properties":{"name":{"type":"string"},"status":{"type":"string"},)"
           R"("limit":{"type":"string"},"cursor":{"type":"string"}}})"},
          [&s](plugins::HostCall& call) {
            if (!configured(s, call)) return;
            answer_with(s.engine->list(call.text("name"), call.text("status"), call.text("limit"), call.text("cursor")),
                        call);
          });
  declare(part,
          {"platform.workflow_instances_get", "GET", "/api/workflow-instances/{id}", "ADMIN",
           "A workflow instance with its steps", kIdParam},
          [&s](plugins::HostCall& call) {
            if (configured(s, call)) answer_with(s.engine->detail(call.text("id")), call);
          });
  for (const bool retry : {true, false}) {
    HostOperation op{retry ? "platform.workflow_instances_retry" : "platform.workflow_instances_cancel", "POST",
                     retry ? "/api/workflow-instances/{id}/retry" : "/api/workflow-instances/{id}/cancel", "ADMIN",
                     retry ? "Runs a FAILED instance again from where it failed"
                           : "Cancels an instance (a saga compensates its completed steps)",
                     kIdParam};
    op.read_only = false;
    declare(part, op, [&s, retry](plugins::HostCall& call) {
      if (!configured(s, call)) return;
      const std::string id = call.text("id");
      answer_with(retry ? s.engine->retry(id) : s.engine->cancel(id), call);
      call.resource_id = id;
    });
  }
}

void add_saga_operations(plugins::PluginInstance& part, HttpServices& s) {
  HostOperation op{"platform.sagas_start", "POST", "/api/sagas/{name}", "*",
                   "Starts a saga as its api block allows, or answers a dry run", kNameParam, 202};
  op.read_only = false;
  op.raw_body = true; // the saga's own input, checked by its api.check
  declare(part, op, [&s](plugins::HostCall& call) {
    if (!s.engine) {
      call.fail(503, "workflows are not configured on this host");
      return;
    }
    const std::string name = call.text("name");
    answer_with(s.engine->start_saga(name, std::string(call.body), *call.principal), call);
    if (call.failure) return;
    call.resource_id = member_of(call.reply, "workflowInstanceId");
    call.audit_detail = "{\"saga\":" + core::json_string(name) + "}";
  });
}

} // namespace crm::http
