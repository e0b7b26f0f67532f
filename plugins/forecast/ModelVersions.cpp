// ModelVersions: see the header.
#include "ModelVersions.hpp"
#include "ModelKinds.hpp"
#include "OperationMethod.hpp"

#include <Poco/JSON/Parser.h>

#include <string_view>

namespace forecast {

namespace {

constexpr std::string_view kVersionColumns = "select id, name, version, kind, params::text, status from models ";

ModelVersion version_of_row(const crm::Rows& rows, std::size_t i) {
  return {std::string(*rows.at(i, 0)), std::string(*rows.at(i, 1)), std::stoi(std::string(*rows.at(i, 2))),
          std::string(*rows.at(i, 3)), std::string(*rows.at(i, 4)), std::string(*rows.at(i, 5))};
}

} // namespace

std::vector<ModelVersion> active_versions(crm::Call& call) {
  auto rows = call.sql(std::string(kVersionColumns) + "where status in ('LIVE', 'SHADOW') order by name, version");
  std::vector<ModelVersion> out;
  for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(version_of_row(rows, i));
  return out;
}

std::optional<ModelVersion> version_by_id(crm::Call& call, const std::string& id) {
  auto rows = call.sql(std::string(kVersionColumns) + "where id = $1::uuid", {id});
  if (rows.empty()) return std::nullopt;
  return version_of_row(rows, 0);
}

std::unique_ptr<Method> method_of(crm::Call& call, const ModelVersion& v) {
  const std::string operation = operation_of_kind(v.kind);
  if (!operation.empty()) return std::make_unique<OperationMethod>(call, operation, v.params_json);
  Poco::JSON::Object::Ptr params;
  try {
    params = Poco::JSON::Parser().parse(v.params_json).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    throw MethodError("the stored params are not a JSON object");
  }
  return builtin_method(v.kind, params);
}

} // namespace forecast
