// JsonSyntax: finds where JSON text first goes wrong (line and column), so a
// 400 can say where. Poco's parser says what, not where; this runs only on
// bodies Poco already refused, never on the happy path.
#pragma once

#include <string>
#include <string_view>

namespace crm::core {

struct JsonSyntaxError {
  size_t line = 1;
  size_t column = 1;
  std::string message;
};

// Returns true when the text is one valid JSON value (with white space
// around); otherwise false and the first error in *error.
bool check_json_syntax(std::string_view text, JsonSyntaxError* error);

} // namespace crm::core
