// OpenApiDocument: see the header.
#include "http/OpenApiDocument.hpp"

#include "core/JsonText.hpp"

#include <algorithm>
#include <map>
#include <vector>

namespace crm::http {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The {name} segments of a path template, in order.
std::vector<std::string> path_parameters(const std::string& path) {
  std::vector<std::string> names;
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
    size_t close = path.find('}', open);
    if (close == std::string::npos) break;
    names.push_back(path.substr(open + 1, close - open - 1));
  }
  return names;
}

bool has_body(const std::string& method) { return method == "POST" || method == "PUT" || method == "PATCH"; }

void append_operation(std::string& out, const plugins::Operation& op) {
  out += "{\"operationId\":";
  core::append_json_string(out, op.name);
  out += ",\"tags\":[";
  core::append_json_string(out, op.plugin ? op.plugin->name : std::string("host"));
  out += ']';
  if (!op.summary.empty()) {
    out += ",\"summary\":";
    core::append_json_string(out, op.summary);
  }
  out += ",\"x-crm-roles\":";
  core::append_json_string(out, op.roles.text());
  if (!op.roles.is_public()) out += ",\"security\":[{\"bearer\":[]}]";

  const auto params = path_parameters(op.http_path);
  if (!params.empty()) {
    out += ",\"parameters\":[";
    for (size_t i = 0; i < params.size(); ++i) {
      if (i) out += ',';
      out += "{\"name\":";
      core::append_json_string(out, params[i]);
      out += ",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\"}}";
    }
    out += ']';
  }
  if (has_body(op.http_method) && op.raw_body) {
    // Taken as it comes: a workflow's Lua source, or a saga's own input.
    out += ",\"requestBody\":{\"required\":false,\"content\":{\"text/plain\":{\"schema\":{\"type\":\"string\"}},"
           "\"application/json\":{\"schema\":{\"type\":\"object\"}}}}";
  } else if (has_body(op.http_method)) {
    out += ",\"requestBody\":{\"required\":";
    out += op.input_schema_text.empty() ? "false" : "true";
    out += ",\"content\":{\"application/json\":{\"schema\":";
    out += op.input_schema_text.empty() ? std::string("{\"type\":\"object\"}") : op.input_schema_text;
    out += "}}}";
  }
  const int ok = op.http_status;
  out += ",\"responses\":{\"" + std::to_string(ok) + "\":{\"description\":\"success\"";
  if (ok != 204) out += ",\"content\":{\"application/json\":{\"schema\":{}}}";
  out += "},\"default\":{\"$ref\":\"#/components/responses/Problem\"}}}";
}

} // namespace

std::string openapi_json(const plugins::PluginRegistry::Snapshot& snapshot, const std::string& version) {
  // path -> method -> operation, sorted so the document is stable.
  std::map<std::string, std::map<std::string, const plugins::Operation*>> paths;
  auto add = [&paths](const plugins::PluginInstance& part) {
    for (const auto& op : part.operations)
      if (!op->http_method.empty()) paths[op->http_path][lower(op->http_method)] = op.get();
  };
  if (snapshot.platform) add(*snapshot.platform);
  for (const auto& plugin : snapshot.plugins) add(*plugin);

  std::string out;
  out.reserve(4096 + paths.size() * 512);
  out += R"({"openapi":"3.1.0","info":{"title":"CRM workflow platform","version":)";
  core::append_json_string(out, version);
  out += R"(},"paths":{)";
  bool first_path = true;
  for (const auto& [path, methods] : paths) {
    if (!first_path) out += ',';
    first_path = false;
    core::append_json_string(out, path);
    out += ":{";
    bool first_method = true;
    for (const auto& [method, op] : methods) {
      if (!first_method) out += ',';
      first_method = false;
      core::append_json_string(out, method);
      out += ':';
      append_operation(out, *op);
    }
    out += '}';
  }
  out += R"(},"components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer","bearerFormat":"JWT"}},)"
         R"("responses":{"core::Problem":{"description":"an error, as RFC 9457 problem details","content":{)"
         R"("application/problem+json":{"schema":{"type":"object","properties":{"type":{"type":"string"},)"
         R"("title":{"type":"string"},"status":{"type":"integer"},"detail":{"type":"string"},)"
         R"("instance":{"type":"string"},"errors":{"type":"array","items":{"type":"object",)"
         R"("properties":{"field":{"type":"string"},"message":{"type":"string"}}}}}}}}}}}})";
  return out;
}

} // namespace crm::http
