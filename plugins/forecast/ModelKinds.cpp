// ModelKinds: see the header.
#include "ModelKinds.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <regex>

namespace forecast {

namespace {

constexpr double kDefaultAlpha = 0.5;
constexpr double kDefaultBeta = 0.1;
constexpr int kDefaultLags = 5;
constexpr double kDefaultLambda = 0.001;
constexpr int kMaxLags = 50;

// Only an operation declared for the purpose, <plugin>.forecast_<name>: the
// schedule calls it as the system, so a kind must not name any other.
bool is_operation_name(const std::string& s) {
  static const std::regex pattern("^[a-z][a-z0-9_]{0,62}\\.forecast_[a-z0-9_]{1,100}$");
  return std::regex_match(s, pattern);
}

// A number param: absent -> fallback; otherwise a finite JSON number.
std::optional<double> number_param(const Poco::JSON::Object::Ptr& params, const std::string& key, double fallback,
                                   std::vector<FieldError>& errors) {
  if (!params || !params->has(key)) return fallback;
  const auto v = params->get(key);
  if (!v.isNumeric() || v.isString()) {
    errors.push_back({"params." + key, "must be a number"});
    return std::nullopt;
  }
  const double d = v.convert<double>();
  if (!std::isfinite(d)) {
    errors.push_back({"params." + key, "must be a finite number"});
    return std::nullopt;
  }
  return d;
}

void refuse_unknown(const Poco::JSON::Object::Ptr& params, const std::vector<std::string>& known,
                    const std::string& kind, std::vector<FieldError>& errors) {
  if (!params) return;
  for (const auto& [key, value] : *params) {
    (void)value;
    if (std::find(known.begin(), known.end(), key) == known.end())
      errors.push_back({"params." + key, "is not a parameter of " + kind});
  }
}

struct HoltParams {
  double alpha, beta;
};
struct RidgeParams {
  int lags;
  double lambda;
};

std::optional<HoltParams> holt_params(const Poco::JSON::Object::Ptr& params, std::vector<FieldError>& errors) {
  refuse_unknown(params, {"alpha", "beta"}, "holt", errors);
  const auto alpha = number_param(params, "alpha", kDefaultAlpha, errors);
  const auto beta = number_param(params, "beta", kDefaultBeta, errors);
  if (alpha && !(*alpha > 0 && *alpha <= 1)) errors.push_back({"params.alpha", "must be in (0, 1]"});
  if (beta && !(*beta > 0 && *beta <= 1)) errors.push_back({"params.beta", "must be in (0, 1]"});
  if (!errors.empty()) return std::nullopt;
  return HoltParams{*alpha, *beta};
}

std::optional<RidgeParams> ridge_params(const Poco::JSON::Object::Ptr& params, std::vector<FieldError>& errors) {
  refuse_unknown(params, {"lags", "lambda"}, "ridge", errors);
  const auto lags = number_param(params, "lags", kDefaultLags, errors);
  const auto lambda = number_param(params, "lambda", kDefaultLambda, errors);
  if (lags && (*lags != std::floor(*lags) || *lags < 1 || *lags > kMaxLags))
    errors.push_back({"params.lags", "must be a whole number from 1 to " + std::to_string(kMaxLags)});
  if (lambda && *lambda < 0) errors.push_back({"params.lambda", "must be 0 or more"});
  if (!errors.empty()) return std::nullopt;
  return RidgeParams{static_cast<int>(*lags), *lambda};
}

} // namespace

std::string operation_of_kind(const std::string& kind) {
  return kind.rfind("op:", 0) == 0 ? kind.substr(3) : std::string();
}

std::vector<FieldError> check_model(const std::string& kind, const Poco::JSON::Object::Ptr& params) {
  std::vector<FieldError> errors;
  if (kind == "holt")
    holt_params(params, errors);
  else if (kind == "ridge")
    ridge_params(params, errors);
  else if (kind.rfind("op:", 0) == 0) {
    if (!is_operation_name(operation_of_kind(kind)))
      errors.push_back({"kind", "must name an operation as op:<plugin>.forecast_<name>"});
  } else
    errors.push_back({"kind", "must be holt, ridge or op:<plugin>.forecast_<name>"});
  return errors;
}

std::unique_ptr<Method> builtin_method(const std::string& kind, const Poco::JSON::Object::Ptr& params) {
  std::vector<FieldError> errors;
  if (kind == "holt") {
    if (auto p = holt_params(params, errors)) return std::make_unique<HoltMethod>(p->alpha, p->beta);
  } else if (kind == "ridge") {
    if (auto p = ridge_params(params, errors)) return std::make_unique<RidgeMethod>(p->lags, p->lambda);
  } else if (kind.rfind("op:", 0) == 0) {
    return nullptr;
  } else {
    errors.push_back({"kind", "unknown kind " + kind});
  }
  throw MethodError(errors.empty() ? "bad model" : errors.front().field + " " + errors.front().message);
}

} // namespace forecast
