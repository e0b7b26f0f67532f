// OperationMethod: see the header.
#include "OperationMethod.hpp"
#include "SeriesText.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cmath>

namespace forecast {

Forecast OperationMethod::predict(const std::vector<double>& prices, int horizon_steps) const {
  std::string input = "{\"prices\":[";
  for (std::size_t i = 0; i < prices.size(); ++i) {
    if (i) input += ',';
    input += number_json(prices[i]);
  }
  input += "],\"horizonSteps\":" + std::to_string(horizon_steps) + ",\"params\":" + params_json_ + "}";
  const crm::InvokeResult r = call_.invoke_result(operation_, input);
  if (r.status == CRM_E_NO_OPERATION) throw MethodError(operation_ + " is not offered by any loaded plugin");
  if (!r.ok()) throw MethodError(operation_ + " failed: " + r.detail());
  Forecast f;
  try {
    auto answer = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
    f.predicted = answer->getValue<double>("predicted");
    f.low = answer->getValue<double>("low");
    f.high = answer->getValue<double>("high");
  } catch (const Poco::Exception&) {
    throw MethodError(operation_ + " did not answer {predicted, low, high} as numbers");
  }
  if (!std::isfinite(f.predicted) || !std::isfinite(f.low) || !std::isfinite(f.high))
    throw MethodError(operation_ + " answered a number that is not finite");
  return f;
}

} // namespace forecast
