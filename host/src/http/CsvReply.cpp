// CsvReply: see the header.
#include "http/CsvReply.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <sstream>
#include <vector>

namespace crm::http {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void append_cell(std::string& out, std::string_view text) {
  const std::string value = formula_safe(text);
  const bool quote = value.find_first_of(",\"\r\n") != std::string::npos;
  if (!quote) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void append_value(std::string& out, const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return;
  if (v.isString()) return append_cell(out, v.extract<std::string>());
  if (v.type() == typeid(Poco::JSON::Object::Ptr) || v.type() == typeid(Poco::JSON::Array::Ptr)) {
    std::ostringstream json;
    Poco::JSON::Stringifier::condense(v, json);
    return append_cell(out, json.str());
  }
  append_cell(out, v.toString());
}

} // namespace

std::string formula_safe(std::string_view cell) {
  std::string out;
  if (!cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos) out += '\'';
  out += cell;
  return out;
}

bool prefers_csv(std::string_view accept) {
  double csv = -1, json = -1;
  size_t pos = 0;
  while (pos < accept.size()) {
    size_t comma = accept.find(',', pos);
    if (comma == std::string_view::npos) comma = accept.size();
    std::string_view range = trim(accept.substr(pos, comma - pos));
    pos = comma + 1;
    double q = 1;
    if (auto semi = range.find(';'); semi != std::string_view::npos) {
      std::string params = lower(range.substr(semi + 1));
      range = trim(range.substr(0, semi));
      if (auto at = params.find("q="); at != std::string::npos) {
        try {
          q = std::stod(params.substr(at + 2));
        } catch (const std::exception&) {
          q = 0;
        }
      }
    }
    const std::string type = lower(range);
    if (type == "text/csv") csv = std::max(csv, q);
    else if (type == "application/json") json = std::max(json, q);
  }
  return csv > 0 && csv >= json;
}

std::optional<std::string> items_csv(std::string_view json) {
  Poco::JSON::Array::Ptr items;
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true)); // keeps the plugin's key order
    auto root = parser.parse(std::string(json));
    if (root.type() == typeid(Poco::JSON::Array::Ptr)) items = root.extract<Poco::JSON::Array::Ptr>();
    else if (root.type() == typeid(Poco::JSON::Object::Ptr)) items = root.extract<Poco::JSON::Object::Ptr>()->getArray("items");
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!items) return std::nullopt;

  std::vector<std::string> columns;
  for (size_t i = 0; i < items->size(); ++i) {
    auto item = items->getObject(static_cast<unsigned>(i));
    if (!item) return std::nullopt;
    for (const auto& name : item->getNames())
      if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.push_back(name);
  }
  std::string out;
  if (columns.empty()) return out;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (c) out += ',';
    append_cell(out, columns[c]);
  }
  out += "\r\n";
  for (size_t i = 0; i < items->size(); ++i) {
    auto item = items->getObject(static_cast<unsigned>(i));
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c) out += ',';
      if (item->has(columns[c])) append_value(out, item->get(columns[c]));
    }
    out += "\r\n";
  }
  return out;
}

} // namespace crm::http
