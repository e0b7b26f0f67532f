// RequestInput: see the header.
#include "http/RequestInput.hpp"

#include "core/JsonSyntax.hpp"
#include "core/JsonText.hpp"

#include <Poco/JSON/Array.h>
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

namespace {

// A NUL inside a value would be cut short where the input crosses the C ABI
// as NUL-terminated text (and PostgreSQL refuses it in text): find the first
// key or string holding one, as a field path.
bool find_nul(const Poco::Dynamic::Var& value, std::string& path) {
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    const auto& object = value.extract<Poco::JSON::Object::Ptr>();
    const size_t base = path.size();
    for (const auto& [key, member] : *object) {
      if (!path.empty()) path.push_back('.');
      path += key;
      if (key.find('\0') != std::string::npos || find_nul(member, path)) return true;
      path.resize(base);
    }
    return false;
  }
  if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
    const auto& array = value.extract<Poco::JSON::Array::Ptr>();
    const size_t base = path.size();
    for (size_t i = 0; i < array->size(); ++i) {
      path += (base == 0 ? "body[" : "[") + std::to_string(i) + "]";
      if (find_nul(array->get(i), path)) return true;
      path.resize(base);
    }
    return false;
  }
  return value.isString() && value.extract<std::string>().find('\0') != std::string::npos;
}

std::optional<core::Problem> nul_problem(std::string field) {
  return core::Problem{422, "", "text must not contain the NUL character", "",
                 {{std::move(field), "must not contain the NUL character (\\u0000)"}}};
}

} // namespace

InputResult build_input(std::string_view body, const Params& query, const Params& path) {
  InputResult r;
  for (const Params* params : {&query, &path})
    for (const auto& [k, v] : *params)
      if (k.find('\0') != std::string::npos || v.find('\0') != std::string::npos) {
        r.problem = nul_problem(k.find('\0') == std::string::npos ? k : std::string("query"));
        return r;
      }
  bool blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (blank) {
    // The common GET: write the object by hand, no parser involved.
    r.json.push_back('{');
    bool first = true;
    auto add = [&](const std::string& k, const std::string& v) {
      if (!first) r.json.push_back(',');
      first = false;
      core::append_json_string(r.json, k);
      r.json.push_back(':');
      core::append_json_string(r.json, v);
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
      r.problem = core::Problem{422, "", "the request body must be a JSON object", "", {{"body", "must be a JSON object"}}};
      return r;
    }
    object = v.extract<Poco::JSON::Object::Ptr>();
    std::string where;
    if (body.find("\\u0000") != std::string_view::npos && find_nul(v, where)) {
      r.problem = nul_problem(std::move(where));
      return r;
    }
  } catch (const Poco::Exception& e) {
    core::JsonSyntaxError where;
    std::string detail = "malformed JSON: " + e.message();
    if (!core::check_json_syntax(body, &where))
      detail = "malformed JSON at line " + std::to_string(where.line) + ", column " + std::to_string(where.column) +
               ": " + where.message;
    r.problem = core::Problem{400, "", std::move(detail), "", {}};
    return r;
  }
  bool merged = false;
  for (const auto& [k, v] : query)
    if (!object->has(k)) {
      object->set(k, v);
      merged = true;
    }
  for (const auto& [k, v] : path) {
    object->set(k, v);
    merged = true;
  }
  if (merged) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(object, out);
    r.json = out.str();
  } else {
    // Nothing added: the body is the input as it came, which the handler
    // parses to the same object (the SDK's parser is this one). Writing a
    // large body again cost as much as parsing it.
    r.json.assign(body);
  }
  r.parsed = object;
  return r;
}

} // namespace crm::http
