// RequestInput: turns a REST request into an operation's input object:
// query parameters, then the body's fields, then path parameters (later wins).
#pragma once

#include "core/Problem.hpp"

#include <Poco/Dynamic/Var.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crm::http {

using Params = std::vector<std::pair<std::string, std::string>>;

// Splits and percent-decodes "a=1&b=two". Malformed escapes are kept verbatim.
Params parse_query(std::string_view query);

struct InputResult {
  std::string json;         // the merged object
  Poco::Dynamic::Var parsed; // the same, parsed (empty when there was no body)
  std::optional<core::Problem> problem; // 400 malformed JSON, 422 not an object
};

// body may be empty. Only parses when there is a body.
InputResult build_input(std::string_view body, const Params& query, const Params& path);

} // namespace crm::http
