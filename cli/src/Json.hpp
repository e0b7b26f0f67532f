// Json: the few things crmctl does with Poco::JSON values: parse an answer,
// read a field as display text whatever its type, follow a dotted path,
// write a value back out (pretty for -o json, compact inside a table cell).
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crmctl::json {

// The parsed value; throws std::runtime_error with the parser's message when
// `text` is not JSON.
Poco::Dynamic::Var parse(std::string_view text);

// The object `text` holds, or null when it is not JSON or not an object.
Poco::JSON::Object::Ptr try_parse_object(std::string_view text);

// A field ("a.b" follows nested objects), or an empty Var when absent.
Poco::Dynamic::Var at(const Poco::JSON::Object::Ptr& object, const std::string& path);

// A value as one line of text: strings as they are, null/absent as "",
// numbers and booleans as JSON writes them, arrays and objects as compact JSON.
std::string display(const Poco::Dynamic::Var& value);

// display(at(object, path)).
std::string text(const Poco::JSON::Object::Ptr& object, const std::string& path);

// An object's keys in its own order (the server's, for parsed objects).
std::vector<std::string> names(const Poco::JSON::Object::Ptr& object);

// JSON text of a value; indent 0 is compact. Parsed objects keep the
// server's key order (the API writes its objects the same way every time), so
// -o json is stable from one run to the next.
std::string write(const Poco::Dynamic::Var& value, unsigned indent = 2);

// A JSON string literal for `text` (quotes and escapes).
std::string quote(std::string_view text);

// The object/array a Var holds, or null.
Poco::JSON::Object::Ptr object_of(const Poco::Dynamic::Var& value);
Poco::JSON::Array::Ptr array_of(const Poco::Dynamic::Var& value);

} // namespace crmctl::json
