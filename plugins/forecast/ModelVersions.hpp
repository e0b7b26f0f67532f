// ModelVersions: the versions a run forecasts with, read from the models
// table, and the method each one forecasts by.
#pragma once

#include "Methods.hpp"

#include <crm/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace forecast {

struct ModelVersion {
  std::string id;
  std::string name;
  int version = 0;
  std::string kind;
  std::string params_json; // an object
  std::string status;
};

// Every LIVE and SHADOW version, by name and version.
std::vector<ModelVersion> active_versions(crm::Call& call);

// One version by id, whatever its status; nullopt when there is none.
std::optional<ModelVersion> version_by_id(crm::Call& call, const std::string& id);

// The version's method: a built-in one, or one calling the operation its kind
// names (valid while `call` is). Throws MethodError when its params no longer pass.
std::unique_ptr<Method> method_of(crm::Call& call, const ModelVersion& v);

} // namespace forecast
