// Checks: assertions shared by the integration tests: problem+json bodies, JSON
// field lookups, Prometheus text parsing, and the fixture calls most tests make.
#pragma once

#include "support/Http.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <optional>
#include <sstream>
#include <string>

namespace itest {

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}
inline bool contains_nocase(const std::string& haystack, const std::string& needle) {
  return contains(lower(haystack), lower(needle));
}
inline bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The response is an RFC 9457 problem with this status: content type
// application/problem+json and type, title, status, detail, instance.
inline Poco::JSON::Object::Ptr require_problem(const Response& r, int status) {
  INFO("response " << r.status << " " << r.content_type() << " " << r.body);
  REQUIRE(r.status == status);
  REQUIRE(starts_with(lower(r.content_type()), "application/problem+json"));
  Poco::JSON::Object::Ptr p;
  REQUIRE_NOTHROW(p = r.json());
  CHECK(p->has("type"));
  CHECK(p->has("title"));
  CHECK(p->has("detail"));
  CHECK(p->has("instance"));
  REQUIRE(p->has("status"));
  CHECK(p->getValue<int>("status") == status);
  return p;
}

// The field names of a 422 problem's errors[], in order.
inline std::vector<std::string> error_fields(const Poco::JSON::Object::Ptr& problem) {
  std::vector<std::string> fields;
  auto errors = problem->getArray("errors");
  if (!errors) return fields;
  for (size_t i = 0; i < errors->size(); ++i) {
    auto e = errors->getObject(static_cast<unsigned>(i));
    if (e) fields.push_back(e->optValue<std::string>("field", ""));
  }
  return fields;
}

inline std::string text_of(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  return o && o->has(key) && !o->isNull(key) ? o->getValue<std::string>(key) : std::string();
}

// The value of one Prometheus sample: metric `name` whose labels include all of
// `labels` (order and further labels do not matter).
inline std::optional<double> metric_value(const std::string& text, const std::string& name,
                                          const std::map<std::string, std::string>& labels) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (!starts_with(line, name)) continue;
    size_t pos = name.size();
    std::map<std::string, std::string> found;
    if (pos < line.size() && line[pos] == '{') {
      size_t close = line.find('}', pos);
      if (close == std::string::npos) continue;
      std::string body = line.substr(pos + 1, close - pos - 1);
      // key="value" pairs; values may hold escaped quotes.
      size_t i = 0;
      while (i < body.size()) {
        size_t eq = body.find('=', i);
        if (eq == std::string::npos || eq + 1 >= body.size() || body[eq + 1] != '"') break;
        std::string key = body.substr(i, eq - i);
        std::string value;
        size_t j = eq + 2;
        for (; j < body.size() && body[j] != '"'; ++j) {
          if (body[j] == '\\' && j + 1 < body.size()) ++j;
          value.push_back(body[j]);
        }
        found[key] = value;
        i = j + 1;
        if (i < body.size() && body[i] == ',') ++i;
      }
      pos = close + 1;
    }
    if (pos >= line.size() || line[pos] != ' ') continue; // a longer metric name
    bool match = true;
    for (const auto& [k, v] : labels)
      if (!found.count(k) || found[k] != v) match = false;
    if (!match) continue;
    try {
      return std::stod(line.substr(pos + 1));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// POST /api/fixture-c/items {"name": name}; requires 201 and returns the item.
inline Poco::JSON::Object::Ptr create_item(Http& http, const std::string& name) {
  std::string body;
  {
    std::ostringstream out;
    Poco::JSON::Object o;
    o.set("name", name);
    o.stringify(out);
    body = out.str();
  }
  auto r = http.post("/api/fixture-c/items", body);
  INFO("POST /api/fixture-c/items -> " << r.status << " " << r.body);
  REQUIRE(r.status == 201);
  return r.json();
}

inline std::string json_of(const Poco::JSON::Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

} // namespace itest
