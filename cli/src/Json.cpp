// Json: see the header.
#include "Json.hpp"

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace crmctl::json {

Poco::Dynamic::Var parse(std::string_view text) {
  try {
    // Keys stay in the server's order: ids first, as the API writes them.
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(std::string(text));
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("not JSON: " + e.message());
  }
}

Poco::JSON::Object::Ptr try_parse_object(std::string_view text) {
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || text[start] != '{') return nullptr;
  try {
    return object_of(parse(text));
  } catch (const std::exception&) {
    return nullptr;
  }
}

Poco::JSON::Object::Ptr object_of(const Poco::Dynamic::Var& value) {
  if (value.isEmpty()) return nullptr;
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) return value.extract<Poco::JSON::Object::Ptr>();
  return nullptr;
}

Poco::JSON::Array::Ptr array_of(const Poco::Dynamic::Var& value) {
  if (value.isEmpty()) return nullptr;
  if (value.type() == typeid(Poco::JSON::Array::Ptr)) return value.extract<Poco::JSON::Array::Ptr>();
  return nullptr;
}

Poco::Dynamic::Var at(const Poco::JSON::Object::Ptr& object, const std::string& path) {
  Poco::JSON::Object::Ptr current = object;
  std::string::size_type from = 0;
  for (;;) {
    if (!current) return {};
    const auto dot = path.find('.', from);
    const std::string key = path.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    if (!current->has(key)) return {};
    Poco::Dynamic::Var value = current->get(key);
    if (dot == std::string::npos) return value;
    current = object_of(value);
    from = dot + 1;
  }
}

std::string display(const Poco::Dynamic::Var& value) {
  if (value.isEmpty()) return {};
  if (value.isString()) return value.extract<std::string>();
  if (object_of(value) || array_of(value)) return write(value, 0);
  if (value.isBoolean()) return value.convert<bool>() ? "true" : "false";
  if (value.type() == typeid(double) || value.type() == typeid(float)) {
    // Shortest text that reads back the same: 1250.5, not 1250.500000.
    char buffer[32];
    const double d = value.convert<double>();
    for (int precision = 1; precision <= 17; ++precision) {
      std::snprintf(buffer, sizeof buffer, "%.*g", precision, d);
      if (std::strtod(buffer, nullptr) == d) break;
    }
    return buffer;
  }
  return value.convert<std::string>();
}

std::string text(const Poco::JSON::Object::Ptr& object, const std::string& path) { return display(at(object, path)); }

namespace {

// Poco's Stringifier writes an empty array as "[\n\n]" and walks objects in
// key order, not the server's: crmctl writes JSON itself.
void write_to(std::string& out, const Poco::Dynamic::Var& value, unsigned indent, unsigned depth) {
  auto newline = [&](unsigned level) {
    if (!indent) return;
    out += '\n';
    out.append(static_cast<size_t>(indent) * level, ' ');
  };
  if (auto object = object_of(value)) {
    const auto keys = names(object);
    if (keys.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i) out += ',';
      newline(depth + 1);
      out += quote(keys[i]);
      out += indent ? ": " : ":";
      write_to(out, object->get(keys[i]), indent, depth + 1);
    }
    newline(depth);
    out += '}';
  } else if (auto array = array_of(value)) {
    if (array->size() == 0) {
      out += "[]";
      return;
    }
    out += '[';
    for (size_t i = 0; i < array->size(); ++i) {
      if (i) out += ',';
      newline(depth + 1);
      write_to(out, array->get(static_cast<unsigned>(i)), indent, depth + 1);
    }
    newline(depth);
    out += ']';
  } else if (value.isEmpty()) {
    out += "null";
  } else if (value.isString()) {
    out += quote(value.extract<std::string>());
  } else if (value.isNumeric() && !value.isBoolean()) {
    const std::string text = display(value);
    out += text == "nan" || text == "inf" || text == "-inf" ? "null" : text;
  } else {
    out += display(value);
  }
}

} // namespace

std::vector<std::string> names(const Poco::JSON::Object::Ptr& object) {
  std::vector<std::string> out;
  if (!object) return out;
  Poco::JSON::Object::NameList list;
  object->getNames(list);
  out.assign(list.begin(), list.end());
  return out;
}

std::string write(const Poco::Dynamic::Var& value, unsigned indent) {
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
