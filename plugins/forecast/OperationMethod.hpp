// OperationMethod: a model another plugin brings (kind
// "op:<plugin>.forecast_<name>"). predict() calls that operation, within the
// call that forecasts, with {"prices": [...], "horizonSteps": n, "params":
// {...}} (prices oldest first; params the version's, as they are) and reads
// {"predicted", "low", "high"} back. A failure of the operation, a missing
// plugin or an answer that is not three finite numbers is a MethodError, as
// for a built-in method. Lives for one call: it holds the call.
#pragma once

#include "Methods.hpp"

#include <crm/plugin.hpp>

#include <string>

namespace forecast {

class OperationMethod final : public Method {
public:
  OperationMethod(crm::Call& call, std::string operation, std::string params_json)
      : call_(call), operation_(std::move(operation)), params_json_(std::move(params_json)) {}
  std::size_t min_points() const override { return 2; }
  Forecast predict(const std::vector<double>& prices, int horizon_steps) const override;

private:
  crm::Call& call_;
  std::string operation_;
  std::string params_json_;
};

} // namespace forecast
