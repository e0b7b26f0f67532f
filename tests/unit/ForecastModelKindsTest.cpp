// ModelKinds (plugins/forecast): which kinds a model version may be and the
// checks on their parameters, each refusal on its field path.
#include "forecast/ModelKinds.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

#include <string>
#include <vector>

using forecast::check_model;
using forecast::FieldError;

namespace {

Poco::JSON::Object::Ptr params(const std::string& json) {
  return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

std::vector<std::string> fields(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

} // namespace

TEST_CASE("holt and ridge with good params, or none, are accepted", "[forecast][kinds]") {
  CHECK(check_model("holt", params(R"({"alpha":0.3,"beta":1})")).empty());
  CHECK(check_model("holt", nullptr).empty());
  CHECK(check_model("ridge", params(R"({"lags":50,"lambda":0})")).empty());
  CHECK(check_model("ridge", params(R"({"lags":1})")).empty());
  CHECK(check_model("op:models.forecast_arima", params(R"({"anything":[1,2]})")).empty());
}

TEST_CASE("an unknown kind is refused on the field kind", "[forecast][kinds]") {
  CHECK(fields(check_model("arima", nullptr)) == std::vector<std::string>{"kind"});
  CHECK(fields(check_model("op:", nullptr)) == std::vector<std::string>{"kind"});
  CHECK(fields(check_model("op:no_dot", nullptr)) == std::vector<std::string>{"kind"});
  CHECK(fields(check_model("op:Bad.forecast_x", nullptr)) == std::vector<std::string>{"kind"});
  // Only an operation made for forecasting: the schedule calls it as the system.
  CHECK(fields(check_model("op:auth.users_get", nullptr)) == std::vector<std::string>{"kind"});
}

TEST_CASE("params out of range are refused each on its path", "[forecast][kinds]") {
  CHECK(fields(check_model("holt", params(R"({"alpha":0,"beta":1.5})"))) ==
        std::vector<std::string>{"params.alpha", "params.beta"});
  CHECK(fields(check_model("holt", params(R"({"alpha":"0.5"})"))) == std::vector<std::string>{"params.alpha"});
  CHECK(fields(check_model("holt", params(R"({"gamma":0.5})"))) == std::vector<std::string>{"params.gamma"});
  CHECK(fields(check_model("ridge", params(R"({"lags":0,"lambda":-1})"))) ==
        std::vector<std::string>{"params.lags", "params.lambda"});
  CHECK(fields(check_model("ridge", params(R"({"lags":51})"))) == std::vector<std::string>{"params.lags"});
  CHECK(fields(check_model("ridge", params(R"({"lags":2.5})"))) == std::vector<std::string>{"params.lags"});
}

TEST_CASE("a built-in kind makes its method with defaults, an operation kind makes none", "[forecast][kinds]") {
  const auto holt = forecast::builtin_method("holt", nullptr);
  REQUIRE(holt);
  CHECK(holt->predict({1, 2, 3, 4, 5}, 1).predicted == Approx(6));
  CHECK(forecast::builtin_method("ridge", params(R"({"lags":3})"))->min_points() == 6);
  CHECK(forecast::builtin_method("op:models.forecast_arima", nullptr) == nullptr);
  CHECK_THROWS_AS(forecast::builtin_method("holt", params(R"({"alpha":2})")), forecast::MethodError);
  CHECK(forecast::operation_of_kind("op:models.forecast_arima") == "models.forecast_arima");
  CHECK(forecast::operation_of_kind("holt").empty());
}
