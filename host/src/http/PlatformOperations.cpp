// PlatformOperations: see the header.
#include "http/PlatformOperations.hpp"

#include <stdexcept>

namespace crm::http {

void declare(plugins::PluginInstance& part, const HostOperation& spec, plugins::HostHandler handler) {
  auto op = std::make_unique<plugins::Operation>();
  op->name = spec.name;
  std::string error;
  auto roles = plugins::Roles::parse(spec.roles, &error);
  if (!roles) throw std::logic_error(op->name + ": " + error);
  op->roles = *roles;
  op->http_method = spec.method;
  op->http_path = spec.path;
  if (spec.input_schema) {
    op->input_schema_text = spec.input_schema;
    op->input_schema = core::SchemaValidator::compile(op->input_schema_text, &error);
    if (!op->input_schema) throw std::logic_error(op->name + ": input schema: " + error);
  }
  op->http_status = spec.status;
  op->read_only = spec.read_only;
  op->flags = spec.read_only ? CRM_OP_READ_ONLY : 0u;
  op->summary = spec.summary;
  op->plugin = &part;
  op->host_handler = std::move(handler);
  op->raw_body = spec.raw_body;
  op->rate_class = spec.rate_class;
  part.operations.push_back(std::move(op));
}

std::shared_ptr<plugins::PluginInstance> platform_operations(HttpServices& services) {
  auto part = std::make_shared<plugins::PluginInstance>();
  part->name = "platform";
  part->schema = "platform";
  part->description = "the host's own operations";
  add_host_operations(*part, services);
  add_workflow_operations(*part, services);
  add_saga_operations(*part, services);
  add_dead_letter_operations(*part, services);
  add_rebuild_operations(*part, services);
  return part;
}

} // namespace crm::http
