// RequestInput: see the header.
#include "http/RequestInput.hpp"

#include "http/JsonSyntax.hpp"
#include "http/JsonText.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/URI.h>

#include <sstream>

namespace crm::http {

Params parse_query(std::string_view query) {
  Params out;
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view item = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string key(item.substr(0, eq)), value(eq == std::string_view::npos ? "" : item.substr(eq + 1));
    for (auto* s : {&key, &value})
      for (char& c : *s)
        if (c == '+') c = ' ';
    std::string k, v;
    try {
      Poco::URI::decode(key, k);
      Poco::URI::decode(value, v);
    } catch (...) {
      k = key;
      v = value;
    }
    out.emplace_back(std::move(k), std::move(v));
  }
  return out;
}

InputResult build_input(std::string_view body, const Params& query, const Params& path) {
  InputResult r;
  bool blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (blank) {
    // The common GET: write the object by hand, no parser involved.
    r.json.push_back('{');
    bool first = true;
    auto add = [&](const std::string& k, const std::string& v) {
      if (!first) r.json.push_back(',');
      first = false;
      append_json_string(r.json, k);
      r.json.push_back(':');
      append_json_string(r.json, v);
    };
    for (const auto& [k, v] : query) {
      bool overridden = false;
      for (const auto& p : path) overridden = overridden || p.first == k;
      if (!overridden) add(k, v);
    }
    for (const auto& [k, v] : path) add(k, v);
    r.json.push_back('}');
    return r;
  }

  Poco::JSON::Object::Ptr object;
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var v = parser.parse(std::string(body));
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) {
      r.problem = Problem{422, "", "the request body must be a JSON object", "", {{"body", "must be a JSON object"}}};
      return r;
    }
    object = v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    JsonSyntaxError where;
    std::string detail = "malformed JSON: " + e.message();
    if (!check_json_syntax(body, &where))
      detail = "malformed JSON at line " + std::to_string(where.line) + ", column " + std::to_string(where.column) +
               ": " + where.message;
    r.problem = Problem{400, "", std::move(detail), "", {}};
    return r;
  }
  for (const auto& [k, v] : query)
    if (!object->has(k)) object->set(k, v);
  for (const auto& [k, v] : path) object->set(k, v);
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(object, out);
  r.json = out.str();
  r.parsed = object;
  return r;
}

} // namespace crm::http
