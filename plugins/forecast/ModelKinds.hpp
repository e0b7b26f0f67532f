// ModelKinds: the kinds of model a version may be, and the checks on their
// parameters. "holt" {alpha, beta} and "ridge" {lags, lambda} are built in
// (Methods.hpp); "op:<plugin>.forecast_<name>" is a model another plugin
// brings: its forecast is made by calling that operation (OperationMethod.hpp),
// and its params object is passed to it as it is. The operation's name must
// start with forecast_ so that a kind can name nothing but a forecasting
// operation (the schedule calls it as the system).
#pragma once

#include "Methods.hpp"

#include <Poco/JSON/Object.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace forecast {

struct FieldError {
  std::string field;
  std::string message;
};

// "op:models.forecast_arima" -> "models.forecast_arima"; empty for a built-in kind.
std::string operation_of_kind(const std::string& kind);

// Every problem with kind and params, each on its field path ("kind",
// "params.alpha"); empty when the version may be created. `params` may be null
// (absent): the built-in kinds then take their defaults.
std::vector<FieldError> check_model(const std::string& kind, const Poco::JSON::Object::Ptr& params);

// The method of a built-in kind with its params (defaults filled in), or
// nullptr for an operation kind. Throws MethodError for what check_model refuses
// (a version stored before a rule changed).
std::unique_ptr<Method> builtin_method(const std::string& kind, const Poco::JSON::Object::Ptr& params);

} // namespace forecast
