// Json: see the header.
#include "Json.hpp"

#include <cstdio>
#include <exception>

namespace crmctl::json {

namespace {

const Value& null_value() {
  static const Value null;
  return null;
}

void write_to(std::string& out, const Value& value, unsigned indent, unsigned depth) {
  auto newline = [&](unsigned level) {
    if (!indent) return;
    out += '\n';
    out.append(static_cast<size_t>(indent) * level, ' ');
  };
  switch (value.type()) {
  case Value::Type::Null:
    out += "null";
    return;
  case Value::Type::Bool:
    out += value.boolean() ? "true" : "false";
    return;
  case Value::Type::Number:
    out += value.scalar_text();
    return;
  case Value::Type::String:
    out += quote(value.scalar_text());
    return;
  case Value::Type::Object: {
    if (value.members().empty()) {
      out += "{}";
      return;
    }
    out += '{';
    bool first = true;
    for (const auto& m : value.members()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      out += quote(m.key);
      out += indent ? ": " : ":";
      write_to(out, m.value, indent, depth + 1);
    }
    newline(depth);
    out += '}';
    return;
  }
  case Value::Type::Array: {
    if (value.items().empty()) {
      out += "[]";
      return;
    }
    out += '[';
    bool first = true;
    for (const auto& item : value.items()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      write_to(out, item, indent, depth + 1);
    }
    newline(depth);
    out += ']';
    return;
  }
  }
}

} // namespace

Value Value::number(std::string text) {
  Value v;
  v.type_ = Type::Number;
  v.text_ = std::move(text);
  return v;
}

Value Value::array() {
  Value v;
  v.type_ = Type::Array;
  return v;
}

Value Value::object() {
  Value v;
  v.type_ = Type::Object;
  return v;
}

size_t Value::size() const {
  if (type_ == Type::Array) return items_.size();
  if (type_ == Type::Object) return members_.size();
  return 0;
}

const Value& Value::at(size_t index) const { return index < items_.size() ? items_[index] : null_value(); }

const Value* Value::find(std::string_view key) const {
  for (const auto& m : members_)
    if (m.key == key) return &m.value;
  return nullptr;
}

const Value& Value::get(std::string_view key) const {
  const Value* v = find(key);
  return v ? *v : null_value();
}

Value& Value::set(std::string key, Value value) {
  if (type_ == Type::Null) type_ = Type::Object;
  for (auto& m : members_) {
    if (m.key == key) {
      m.value = std::move(value);
      return m.value;
    }
  }
  members_.push_back({std::move(key), std::move(value)});
  return members_.back().value;
}

Value& Value::push(Value value) {
  if (type_ == Type::Null) type_ = Type::Array;
  items_.push_back(std::move(value));
  return items_.back();
}

std::optional<Value> try_parse_object(std::string_view text) {
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || text[start] != '{') return std::nullopt;
  try {
    return parse(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

const Value& at(const Value& object, const std::string& path) {
  const Value* current = &object;
  std::string::size_type from = 0;
  for (;;) {
    const auto dot = path.find('.', from);
    const std::string_view key =
        std::string_view(path).substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    current = current->find(key);
    if (!current) return null_value();
    if (dot == std::string::npos) return *current;
    from = dot + 1;
  }
}

std::string display(const Value& value) {
  switch (value.type()) {
  case Value::Type::Null:
    return {};
  case Value::Type::Bool:
    return value.boolean() ? "true" : "false";
  case Value::Type::Number:
  case Value::Type::String:
    return value.scalar_text();
  default:
    return write(value, 0);
  }
}

std::string text(const Value& object, const std::string& path) { return display(at(object, path)); }

std::vector<std::string> names(const Value& object) {
  std::vector<std::string> out;
  for (const auto& m : object.members()) out.push_back(m.key);
  return out;
}

std::string write(const Value& value, unsigned indent) {
  std::string out;
  write_to(out, value, indent, 0);
  return out;
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
        out += buffer;
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
  }
  return out + "\"";
}

} // namespace crmctl::json
