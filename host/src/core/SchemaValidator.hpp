// SchemaValidator: checks an operation's input against the JSON Schema subset
// a plugin declares (crm_operation_def.input_schema). The schema is compiled
// once when the plugin loads, so a bad schema refuses the plugin with a clear
// reason instead of failing requests; validate() then runs on every request.
//
// Supported: type (one name or an array of names), properties, required,
// additionalProperties (boolean or schema), enum, minLength/maxLength (in code
// points), pattern, minimum/maximum, exclusiveMinimum/exclusiveMaximum,
// format (uuid, email, date-time, date), items, minItems/maxItems, nullable.
// Annotations (title, description, default, examples, $schema, ...) are
// ignored. Keywords that would constrain the input but are not implemented
// (oneOf, $ref, const, ...) are refused at compile time, never silently skipped.
#pragma once

#include "core/Problem.hpp"

#include <Poco/Dynamic/Var.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::core {

class SchemaValidator {
public:
  // A validation stops collecting after this many errors: a huge array of bad
  // items must not produce a huge response.
  static constexpr std::size_t kMaxErrors = 100;

  // nullopt, with the reason in *error (if not null), when schema_json is not
  // valid JSON, not an object, or uses a keyword or value outside the subset.
  static std::optional<SchemaValidator> compile(std::string_view schema_json, std::string* error);

  // The input's problems, empty when it is valid. `value` is what
  // Poco::JSON::Parser produces (Object::Ptr, Array::Ptr, scalars, empty Var
  // for null). Field names: "name", "address.city", "goals[2]"; "body" for the
  // input as a whole.
  std::vector<FieldError> validate(const Poco::Dynamic::Var& value) const;

  struct Node; // the compiled schema, defined in the .cpp

private:
  explicit SchemaValidator(std::shared_ptr<const Node> root) : root_(std::move(root)) {}

  // Immutable once compiled: copies share it, any thread may validate.
  std::shared_ptr<const Node> root_;
};

} // namespace crm::core
