// PluginRegistry: see the header.
#include "plugins/PluginRegistry.hpp"

namespace crm::plugins {

PluginRegistry::PluginRegistry() { snapshot_.store(std::make_shared<const Snapshot>()); }

const Operation* PluginRegistry::find_operation(const std::string& name) const {
  auto snap = snapshot();
  auto it = snap->operations.find(name);
  return it == snap->operations.end() ? nullptr : it->second;
}

std::optional<std::string> PluginRegistry::check(const PluginInstance& candidate) const {
  auto snap = snapshot();
  for (const auto& p : snap->plugins)
    if (p->name == candidate.name) return "duplicate plugin name '" + candidate.name + "' (already loaded from " + p->file + ")";
  if (snap->platform && snap->platform->name == candidate.name)
    return "plugin name '" + candidate.name + "' is the host's own";
  core::Router<const Operation*> routes = snap->routes;
  for (const auto& op : candidate.operations) {
    if (snap->operations.count(op->name)) return "operation " + op->name + " is already declared by another plugin";
    if (snap->platform)
      for (const auto& own : snap->platform->operations)
        if (own->name == op->name) return "operation " + op->name + " is one of the host's own";
    if (op->http_method.empty()) continue;
    std::string error;
    if (!routes.add(op->http_method, op->http_path, op.get(), &error))
      return "route " + op->http_method + " " + op->http_path + " of " + op->name + ": " + error;
  }
  return std::nullopt;
}

void PluginRegistry::admit(std::shared_ptr<PluginInstance> plugin) {
  auto next = std::make_shared<Snapshot>(*snapshot());
  for (const auto& op : plugin->operations) {
    next->operations.emplace(op->name, op.get());
    if (!op->http_method.empty()) {
      std::string error;
      next->routes.add(op->http_method, op->http_path, op.get(), &error); // checked before
    }
  }
  next->plugins.push_back(std::move(plugin));
  snapshot_.store(std::move(next), std::memory_order_release);
}

std::optional<std::string> PluginRegistry::admit_platform(std::shared_ptr<PluginInstance> platform) {
  std::lock_guard lock(admit_mutex_);
  auto next = std::make_shared<Snapshot>(*snapshot());
  for (const auto& op : platform->operations) {
    std::string error;
    if (!next->routes.add(op->http_method, op->http_path, op.get(), &error))
      return "route " + op->http_method + " " + op->http_path + " of " + op->name + ": " + error;
  }
  next->platform = std::move(platform);
  snapshot_.store(std::move(next), std::memory_order_release);
  return std::nullopt;
}

void PluginRegistry::refuse(RefusedPlugin refused) {
  auto next = std::make_shared<Snapshot>(*snapshot());
  next->refused.push_back(std::move(refused));
  snapshot_.store(std::move(next), std::memory_order_release);
}

} // namespace crm::plugins
