// SchemaValidator: see the header. Compilation turns the schema JSON into a tree
// of Nodes with every keyword already checked and parsed; validation walks that
// tree beside the input, reading Poco's JSON values in place (no copies).
#include "core/SchemaValidator.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/RegularExpression.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <set>

namespace crm::core {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

struct SchemaValidator::Node {
  enum TypeBit : unsigned { kObject = 1, kString = 2, kInteger = 4, kNumber = 8, kBoolean = 16, kArray = 32, kNull = 64 };
  enum class Format { None, Uuid, Email, DateTime, Date };
  struct Property {
    std::string name;
    std::unique_ptr<Node> schema;
  };

  unsigned types = 0; // TypeBits; 0 accepts any type
  std::string type_message;
  std::vector<Property> properties; // sorted by name
  std::vector<std::string> required;
  bool additional_allowed = true;
  std::unique_ptr<Node> additional; // schema for properties not listed, if any
  std::vector<Var> enum_values;
  std::string enum_message;
  std::optional<std::size_t> min_length, max_length, min_items, max_items;
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
  Format format = Format::None;
  std::unique_ptr<Poco::RegularExpression> pattern;
  std::string pattern_text;
  std::unique_ptr<Node> items;

  const Node* property(const std::string& name) const {
    auto it = std::lower_bound(properties.begin(), properties.end(), name,
                               [](const Property& p, const std::string& n) { return p.name < n; });
    return it != properties.end() && it->name == name ? it->schema.get() : nullptr;
  }
};

namespace {

using Node = SchemaValidator::Node;

// ---- reading JSON values ----------------------------------------------------

enum class Kind { Null, Boolean, Integer, Number, String, Object, Array, Other };

Kind kind_of(const Var& v) {
  if (v.isEmpty()) return Kind::Null;
  const std::type_info& t = v.type();
  if (t == typeid(bool)) return Kind::Boolean;
  if (t == typeid(std::string)) return Kind::String;
  if (t == typeid(Object::Ptr)) return v.extract<Object::Ptr>().isNull() ? Kind::Null : Kind::Object;
  if (t == typeid(Object)) return Kind::Object;
  if (t == typeid(Array::Ptr)) return v.extract<Array::Ptr>().isNull() ? Kind::Null : Kind::Array;
  if (t == typeid(Array)) return Kind::Array;
  if (v.isInteger()) return Kind::Integer;
  if (v.isNumeric()) return Kind::Number;
  return Kind::Other;
}

const Object& object_of(const Var& v) {
  return v.type() == typeid(Object) ? v.extract<Object>() : *v.extract<Object::Ptr>();
}

const Array& array_of(const Var& v) {
  return v.type() == typeid(Array) ? v.extract<Array>() : *v.extract<Array::Ptr>();
}

bool is_integral(double d) { return std::isfinite(d) && std::floor(d) == d; }

bool same_value(const Var& a, const Var& b) {
  const Kind ka = kind_of(a), kb = kind_of(b);
  const bool na = ka == Kind::Integer || ka == Kind::Number, nb = kb == Kind::Integer || kb == Kind::Number;
  if (na && nb) return a.convert<double>() == b.convert<double>();
  if (ka != kb) return false;
  switch (ka) {
  case Kind::Null: return true;
  case Kind::Boolean: return a.extract<bool>() == b.extract<bool>();
  case Kind::String: return a.extract<std::string>() == b.extract<std::string>();
  default: return false; // enum values are scalars (checked at compile time)
  }
}

std::string number_text(double d) {
  char buf[32];
  auto [end, ec] = is_integral(d) && std::fabs(d) < 1e15 ? std::to_chars(buf, buf + sizeof buf, static_cast<long long>(d))
                                                          : std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// ---- formats ----------------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

// Pragmatic: a dot-atom local part and a host name with at least two labels.
bool is_email(std::string_view s) {
  if (s.size() > 254) return false;
  const std::size_t at = s.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  const std::string_view local = s.substr(0, at), domain = s.substr(at + 1);
  static constexpr std::string_view kAtext = "!#$%&'*+-/=?^_`{|}~";
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return false;
  for (char c : local)
    if (!is_alnum(c) && c != '.' && kAtext.find(c) == std::string_view::npos) return false;
  std::size_t labels = 0, pos = 0;
  while (pos <= domain.size()) {
    std::size_t dot = domain.find('.', pos);
    if (dot == std::string_view::npos) dot = domain.size();
    const std::string_view label = domain.substr(pos, dot - pos);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!is_alnum(c) && c != '-') return false;
    ++labels;
    pos = dot + 1;
  }
  return labels >= 2;
}

// Reads `n` digits at s[pos] as a number; -1 when they are not all digits.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// RFC 3339 full-date: YYYY-MM-DD, a real calendar day.
bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const int y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

// RFC 3339 date-time: full-date "T" HH:MM:SS[.frac] ("Z" | +HH:MM | -HH:MM).
bool is_date_time(std::string_view s) {
  if (s.size() < 20 || !is_date(s.substr(0, 10)) || (s[10] != 'T' && s[10] != 't')) return false;
  if (s[13] != ':' || s[16] != ':') return false;
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return false; // 60: leap second
  std::size_t pos = 19;
  if (s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    if (pos == start) return false;
  }
  if (pos == s.size()) return false;
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return true;
  if ((s[pos] != '+' && s[pos] != '-') || pos + 6 != s.size() || s[pos + 3] != ':') return false;
  const int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
  return oh >= 0 && oh <= 23 && om >= 0 && om <= 59;
}

// ---- validation -------------------------------------------------------------

struct Context {
  std::vector<FieldError>& errors;
  std::string path; // grows and shrinks as the walk descends

  bool full() const { return errors.size() >= SchemaValidator::kMaxErrors; }
  void add(std::string message) {
    if (!full()) errors.push_back({path.empty() ? std::string("body") : path, std::move(message)});
  }
};

bool type_matches(unsigned types, Kind k, const Var& v) {
  switch (k) {
  case Kind::Null: return types & Node::kNull;
  case Kind::Boolean: return types & Node::kBoolean;
  case Kind::String: return types & Node::kString;
  case Kind::Object: return types & Node::kObject;
  case Kind::Array: return types & Node::kArray;
  case Kind::Integer: return types & (Node::kInteger | Node::kNumber);
  case Kind::Number: // 3.0 is an integer in JSON Schema
    return (types & Node::kNumber) || ((types & Node::kInteger) && is_integral(v.convert<double>()));
  case Kind::Other: return false;
  }
  return false;
}

void check(const Node& n, const Var& v, Context& c);

void check_string(const Node& n, const std::string& s, Context& c) {
  if (n.min_length || n.max_length) {
    const std::size_t len = code_points(s);
    if (n.min_length && len < *n.min_length)
      return c.add(*n.min_length == 1 ? std::string("must not be empty")
                                      : "must be at least " + std::to_string(*n.min_length) + " characters long");
    if (n.max_length && len > *n.max_length)
      return c.add("must be at most " + std::to_string(*n.max_length) + " characters long");
  }
  if (n.pattern) {
    Poco::RegularExpression::Match m;
    bool matched = false;
    try {
      matched = n.pattern->match(s, 0, m) > 0;
    } catch (const Poco::RegularExpressionException&) { // e.g. invalid UTF-8 under the UTF8 option
    }
    if (!matched) return c.add("must match the pattern " + n.pattern_text);
  }
  switch (n.format) {
  case Node::Format::None: break;
  case Node::Format::Uuid:
    if (!is_uuid(s)) c.add("must be a UUID");
    break;
  case Node::Format::Email:
    if (!is_email(s)) c.add("must be an email address");
    break;
  case Node::Format::DateTime:
    if (!is_date_time(s)) c.add("must be an RFC 3339 date-time such as 2026-01-31T09:30:00Z");
    break;
  case Node::Format::Date:
    if (!is_date(s)) c.add("must be a date such as 2026-01-31");
    break;
  }
}

void check_number(const Node& n, double d, Context& c) {
  if (n.minimum && d < *n.minimum) return c.add("must be at least " + number_text(*n.minimum));
  if (n.maximum && d > *n.maximum) return c.add("must be at most " + number_text(*n.maximum));
  if (n.exclusive_minimum && d <= *n.exclusive_minimum)
    return c.add("must be greater than " + number_text(*n.exclusive_minimum));
  if (n.exclusive_maximum && d >= *n.exclusive_maximum)
    return c.add("must be less than " + number_text(*n.exclusive_maximum));
}

void push_key(std::string& path, const std::string& key) {
  if (!path.empty()) path.push_back('.');
  path += key;
}

void check_object(const Node& n, const Object& o, Context& c) {
  const std::size_t base = c.path.size();
  for (const auto& name : n.required) {
    if (o.has(name)) continue;
    push_key(c.path, name);
    c.add("is required");
    c.path.resize(base);
  }
  for (auto it = o.begin(); it != o.end() && !c.full(); ++it) {
    const Node* schema = n.property(it->first);
    if (!schema && n.additional_allowed && !n.additional) continue;
    push_key(c.path, it->first);
    if (schema) check(*schema, it->second, c);
    else if (!n.additional_allowed) c.add("is not allowed");
    else check(*n.additional, it->second, c);
    c.path.resize(base);
  }
}

void check_array(const Node& n, const Array& a, Context& c) {
  if (n.min_items && a.size() < *n.min_items)
    c.add("must have at least " + std::to_string(*n.min_items) + (*n.min_items == 1 ? " item" : " items"));
  else if (n.max_items && a.size() > *n.max_items)
    c.add("must have at most " + std::to_string(*n.max_items) + (*n.max_items == 1 ? " item" : " items"));
  if (!n.items) return;
  const std::size_t base = c.path.size();
  if (base == 0) c.path = "body";
  const std::size_t prefix = c.path.size();
  std::size_t index = 0;
  for (auto it = a.begin(); it != a.end() && !c.full(); ++it, ++index) {
    c.path += '[';
    c.path += std::to_string(index);
    c.path += ']';
    check(*n.items, *it, c);
    c.path.resize(prefix);
  }
  c.path.resize(base);
}

void check(const Node& n, const Var& v, Context& c) {
  if (c.full()) return;
  const Kind k = kind_of(v);
  if (n.types && !type_matches(n.types, k, v)) return c.add(n.type_message);
  if (!n.enum_values.empty() &&
      std::none_of(n.enum_values.begin(), n.enum_values.end(), [&](const Var& e) { return same_value(e, v); }))
    return c.add(n.enum_message);
  switch (k) {
  case Kind::String: return check_string(n, v.extract<std::string>(), c);
  case Kind::Integer:
  case Kind::Number: return check_number(n, v.convert<double>(), c);
  case Kind::Object: return check_object(n, object_of(v), c);
  case Kind::Array: return check_array(n, array_of(v), c);
  default: return;
  }
}

// ---- compilation ------------------------------------------------------------

struct TypeName {
  std::string_view name;
  unsigned bit;
  const char* noun;
};
constexpr TypeName kTypeNames[] = {{"object", Node::kObject, "an object"},   {"string", Node::kString, "a string"},
                                   {"integer", Node::kInteger, "an integer"}, {"number", Node::kNumber, "a number"},
                                   {"boolean", Node::kBoolean, "a boolean"}, {"array", Node::kArray, "an array"},
                                   {"null", Node::kNull, "null"}};

// Keywords that only describe: accepted and ignored.
bool is_annotation(const std::string& k) {
  static const std::set<std::string> kAnnotations = {
      "title",    "description", "default",    "examples",   "example",          "$schema",        "$id",
      "$comment", "readOnly",    "writeOnly",  "deprecated", "contentMediaType", "contentEncoding"};
  return kAnnotations.count(k) > 0 || k.rfind("x-", 0) == 0;
}

class Compiler {
public:
  std::string error;

  std::unique_ptr<Node> node(const Object& schema, const std::string& where) {
    auto n = std::make_unique<Node>();
    bool nullable = false;
    std::vector<const char*> nouns;
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      const std::string& key = it->first;
      const Var& value = it->second;
      const std::string at = where + "/" + key;
      if (key == "type") {
        if (!types(value, *n, nouns, at)) return nullptr;
      } else if (key == "properties") {
        if (!properties(value, *n, at)) return nullptr;
      } else if (key == "required") {
        if (!required(value, *n, at)) return nullptr;
      } else if (key == "additionalProperties") {
        if (kind_of(value) == Kind::Boolean) {
          n->additional_allowed = value.extract<bool>();
        } else if (kind_of(value) == Kind::Object) {
          if (!(n->additional = node(object_of(value), at))) return nullptr;
        } else {
          return fail(at, "must be a boolean or a schema object");
        }
      } else if (key == "items") {
        if (kind_of(value) != Kind::Object) return fail(at, "must be a schema object");
        if (!(n->items = node(object_of(value), at))) return nullptr;
      } else if (key == "enum") {
        if (!enumeration(value, *n, at)) return nullptr;
      } else if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems") {
        const double d = kind_of(value) == Kind::Integer || kind_of(value) == Kind::Number ? value.convert<double>() : -1;
        if (!is_integral(d) || d < 0) return fail(at, "must be a non-negative integer");
        auto& slot = key == "minLength" ? n->min_length
                     : key == "maxLength" ? n->max_length
                     : key == "minItems"  ? n->min_items
                                          : n->max_items;
        slot = static_cast<std::size_t>(d);
      } else if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" || key == "exclusiveMaximum") {
        if (kind_of(value) != Kind::Integer && kind_of(value) != Kind::Number) return fail(at, "must be a number");
        auto& slot = key == "minimum" ? n->minimum
                     : key == "maximum" ? n->maximum
                     : key == "exclusiveMinimum" ? n->exclusive_minimum
                                                 : n->exclusive_maximum;
        slot = value.convert<double>();
      } else if (key == "format") {
        if (!format(value, *n, at)) return nullptr;
      } else if (key == "pattern") {
        if (kind_of(value) != Kind::String) return fail(at, "must be a string");
        n->pattern_text = value.extract<std::string>();
        try {
          n->pattern = std::make_unique<Poco::RegularExpression>(n->pattern_text, Poco::RegularExpression::RE_UTF8);
        } catch (const Poco::Exception& e) {
          return fail(at, "is not a valid regular expression: " + e.message());
        }
      } else if (key == "nullable") { // OpenAPI 3.0 spelling of "null" in type
        if (kind_of(value) != Kind::Boolean) return fail(at, "must be a boolean");
        nullable = value.extract<bool>();
      } else if (!is_annotation(key)) {
        return fail(at, "keyword '" + key + "' is not supported");
      }
    }
    if (nullable && n->types && !(n->types & Node::kNull)) {
      n->types |= Node::kNull;
      nouns.push_back("null");
    }
    n->type_message = type_message(nouns);
    if (n->min_length && n->max_length && *n->min_length > *n->max_length)
      return fail(where, "minLength is greater than maxLength");
    if (n->min_items && n->max_items && *n->min_items > *n->max_items)
      return fail(where, "minItems is greater than maxItems");
    if (n->minimum && n->maximum && *n->minimum > *n->maximum) return fail(where, "minimum is greater than maximum");
    return n;
  }

private:
  std::nullptr_t fail(const std::string& at, const std::string& why) {
    error = (at.empty() ? std::string("schema") : at) + ": " + why;
    return nullptr;
  }

  bool types(const Var& value, Node& n, std::vector<const char*>& nouns, const std::string& at) {
    std::vector<std::string> names;
    if (kind_of(value) == Kind::String) {
      names.push_back(value.extract<std::string>());
    } else if (kind_of(value) == Kind::Array && array_of(value).size() > 0) {
      for (const auto& t : array_of(value)) {
        if (kind_of(t) != Kind::String) return fail(at, "must be a type name or an array of type names"), false;
        names.push_back(t.extract<std::string>());
      }
    } else {
      return fail(at, "must be a type name or a non-empty array of type names"), false;
    }
    for (const auto& name : names) {
      auto t = std::find_if(std::begin(kTypeNames), std::end(kTypeNames),
                            [&](const TypeName& tn) { return tn.name == name; });
      if (t == std::end(kTypeNames)) return fail(at, "unknown type '" + name + "'"), false;
      if (n.types & t->bit) return fail(at, "type '" + name + "' is listed twice"), false;
      n.types |= t->bit;
      nouns.push_back(t->noun);
    }
    return true;
  }

  bool properties(const Var& value, Node& n, const std::string& at) {
    if (kind_of(value) != Kind::Object) return fail(at, "must be an object of schemas"), false;
    for (const auto& [name, schema] : object_of(value)) {
      if (kind_of(schema) != Kind::Object) return fail(at + "/" + name, "must be a schema object"), false;
      auto child = node(object_of(schema), at + "/" + name);
      if (!child) return false;
      n.properties.push_back({name, std::move(child)});
    }
    // Poco's object is already ordered by key; sort anyway so lookup never depends on it.
    std::sort(n.properties.begin(), n.properties.end(),
              [](const Node::Property& a, const Node::Property& b) { return a.name < b.name; });
    return true;
  }

  bool required(const Var& value, Node& n, const std::string& at) {
    if (kind_of(value) != Kind::Array) return fail(at, "must be an array of property names"), false;
    for (const auto& v : array_of(value)) {
      if (kind_of(v) != Kind::String) return fail(at, "must be an array of property names"), false;
      const std::string& name = v.extract<std::string>();
      if (std::find(n.required.begin(), n.required.end(), name) != n.required.end())
        return fail(at, "'" + name + "' is listed twice"), false;
      n.required.push_back(name);
    }
    return true;
  }

  bool enumeration(const Var& value, Node& n, const std::string& at) {
    if (kind_of(value) != Kind::Array || array_of(value).size() == 0) return fail(at, "must be a non-empty array"), false;
    std::string listed;
    for (const auto& v : array_of(value)) {
      const Kind k = kind_of(v);
      if (k == Kind::Object || k == Kind::Array || k == Kind::Other)
        return fail(at, "values must be strings, numbers, booleans or null"), false;
      if (!listed.empty()) listed += ", ";
      listed += k == Kind::Null ? std::string("null")
                : k == Kind::Boolean ? std::string(v.extract<bool>() ? "true" : "false")
                : k == Kind::String ? v.extract<std::string>()
                                    : number_text(v.convert<double>());
      n.enum_values.push_back(v);
    }
    n.enum_message = "must be one of " + listed;
    return true;
  }

  bool format(const Var& value, Node& n, const std::string& at) {
    if (kind_of(value) != Kind::String) return fail(at, "must be a string"), false;
    const std::string& f = value.extract<std::string>();
    if (f == "uuid") n.format = Node::Format::Uuid;
    else if (f == "email") n.format = Node::Format::Email;
    else if (f == "date-time") n.format = Node::Format::DateTime;
    else if (f == "date") n.format = Node::Format::Date;
    else return fail(at, "format '" + f + "' is not supported (uuid, email, date-time, date)"), false;
    return true;
  }

  static std::string type_message(const std::vector<const char*>& nouns) {
    std::string m = "must be ";
    for (std::size_t i = 0; i < nouns.size(); ++i) {
      if (i) m += i + 1 == nouns.size() ? " or " : ", ";
      m += nouns[i];
    }
    return m;
  }
};

} // namespace

std::optional<SchemaValidator> SchemaValidator::compile(std::string_view schema_json, std::string* error) {
  Var parsed;
  try {
    Poco::JSON::Parser parser;
    parsed = parser.parse(std::string(schema_json));
  } catch (const Poco::Exception& e) {
    if (error) *error = "schema is not valid JSON: " + e.message();
    return std::nullopt;
  }
  if (kind_of(parsed) != Kind::Object) {
    if (error) *error = "schema must be a JSON object";
    return std::nullopt;
  }
  Compiler compiler;
  std::unique_ptr<Node> root = compiler.node(object_of(parsed), "");
  if (!root) {
    if (error) *error = compiler.error;
    return std::nullopt;
  }
  return SchemaValidator(std::shared_ptr<const Node>(std::move(root)));
}

std::vector<FieldError> SchemaValidator::validate(const Var& value) const {
  std::vector<FieldError> errors;
  Context context{errors, {}};
  check(*root_, value, context);
  return errors;
}

} // namespace crm::core
