// Json: the JSON crmctl reads from the API and writes for -o json. A small
// value type of its own rather than Poco::JSON: loading Poco's shared
// libraries cost more than half of crmctl's start-up (their relocations), and
// a CLI that answers in a few milliseconds is the point. Objects keep their
// keys in the order the server wrote them (ids first, stable from run to run);
// numbers keep the server's text, so 1250.50 or a 64-bit id come back as sent.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crmctl::json {

class Value {
public:
  enum class Type { Null, Bool, Number, String, Array, Object };
  struct Member;

  Value() = default;
  Value(bool b) : type_(Type::Bool), bool_(b) {}
  Value(int n) : type_(Type::Number), text_(std::to_string(n)) {}
  Value(long n) : type_(Type::Number), text_(std::to_string(n)) {}
  Value(long long n) : type_(Type::Number), text_(std::to_string(n)) {}
  Value(std::string s) : type_(Type::String), text_(std::move(s)) {}
  Value(const char* s) : type_(Type::String), text_(s) {}
  // A number from its JSON text ("12.5"), as the parser found it.
  static Value number(std::string text);
  static Value array();
  static Value object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // The string's text or the number's JSON text; "" otherwise.
  const std::string& scalar_text() const { return text_; }
  bool boolean() const { return bool_; }

  // Arrays: the items; objects: the members. Empty for anything else.
  size_t size() const;
  const std::vector<Value>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }
  const Value& at(size_t index) const; // null past the end

  // Objects: the member's value, or null (a shared null Value) when absent.
  const Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  const Value& get(std::string_view key) const;

  // Builders: an object's member set (replaced in place, or appended), an
  // array's item appended. A null value becomes an object/array first.
  Value& set(std::string key, Value value);
  Value& push(Value value);

private:
  Type type_ = Type::Null;
  bool bool_ = false;
  std::string text_;
  std::vector<Value> items_;
  std::vector<Member> members_;
};

struct Value::Member {
  std::string key;
  Value value;
};

// The value `text` holds; throws std::runtime_error ("not JSON: ... at byte
// N") when it is not one JSON value.
Value parse(std::string_view text);

// The object `text` holds, or nullopt when it is not JSON or not an object.
std::optional<Value> try_parse_object(std::string_view text);

// A field ("a.b" follows nested objects); a null Value when absent.
const Value& at(const Value& object, const std::string& path);

// A value as one line of text: strings as they are, null/absent as "",
// numbers and booleans as JSON writes them, arrays and objects as compact JSON.
std::string display(const Value& value);

// display(at(object, path)).
std::string text(const Value& object, const std::string& path);

// An object's keys, in its own order.
std::vector<std::string> names(const Value& object);

// JSON text of a value: indent 0 is compact, else pretty with that many spaces.
std::string write(const Value& value, unsigned indent = 2);

// A JSON string literal for `text` (quotes and escapes).
std::string quote(std::string_view text);

} // namespace crmctl::json
