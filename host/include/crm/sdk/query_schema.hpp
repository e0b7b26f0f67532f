// query_schema.hpp: the query string of a read operation, declared once with
// types, so each parameter is checked and converted in one place:
//
//   static const crm::QuerySchema kListQuery =
//       crm::QuerySchema().text("q", 200).choice("status", {"OPEN", "DONE"}).uuid("ownerId").page_limit();
//   const crm::Query q = kListQuery.read(call.input());
//   ... q.text("status"), q.uuid("ownerId"), q.limit() ...
//
// Query parameters arrive as strings; a JSON body (an invoke) may send
// numbers and booleans instead, and both are taken. read() reports every bad
// parameter at once, each on its own field (one 422). Parameters the schema
// does not name are left alone: the host's router already refuses unknown
// routes, and a client adding ?utm= should not break a list.
#pragma once

#include <crm/plugin.hpp>
#include <crm/sdk/input_rules.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace crm {

// The converted values of one read; absent parameters have none.
class Query {
public:
  // A uuid (lower case), text, timestamp or choice parameter.
  std::optional<std::string> text(const std::string& name) const {
    auto it = texts_.find(name);
    return it == texts_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  std::optional<std::string> uuid(const std::string& name) const { return text(name); }
  std::optional<std::int64_t> integer(const std::string& name) const {
    auto it = integers_.find(name);
    return it == integers_.end() ? std::nullopt : std::optional<std::int64_t>(it->second);
  }
  std::optional<bool> flag(const std::string& name) const {
    auto it = flags_.find(name);
    return it == flags_.end() ? std::nullopt : std::optional<bool>(it->second);
  }
  // ?limit=, its default when absent (page_limit() in the schema).
  std::int64_t limit() const { return integer("limit").value_or(kDefaultPageLimit); }

private:
  friend class QuerySchema;
  std::map<std::string, std::string> texts_;
  std::map<std::string, std::int64_t> integers_;
  std::map<std::string, bool> flags_;
};

class QuerySchema {
public:
  enum class Type { uuid, text, timestamp, choice, integer, flag };

  QuerySchema& uuid(std::string name) { return add(std::move(name), Type::uuid); }
  // A text of at most max_length characters; a blank one counts as absent.
  QuerySchema& text(std::string name, size_t max_length) {
    return add(std::move(name), Type::text).last().max_length = max_length, *this;
  }
  QuerySchema& timestamp(std::string name) { return add(std::move(name), Type::timestamp); }
  QuerySchema& choice(std::string name, std::vector<std::string> allowed) {
    return add(std::move(name), Type::choice).last().allowed = std::move(allowed), *this;
  }
  QuerySchema& integer(std::string name, std::int64_t min, std::int64_t max) {
    Field& f = add(std::move(name), Type::integer).last();
    f.min = min, f.max = max;
    return *this;
  }
  QuerySchema& flag(std::string name) { return add(std::move(name), Type::flag); }
  // ?limit=: 1..200, default 50.
  QuerySchema& page_limit() { return integer("limit", 1, kMaxPageLimit); }

  // Checks and converts every declared parameter of `in`; throws one
  // invalid() naming each bad one.
  Query read(const Input& in) const {
    Query q;
    std::optional<Error> failed;
    for (const auto& f : fields_) {
      try {
        read_field(in, f, q);
      } catch (const Error& e) {
        if (e.status() != CRM_E_INVALID) throw;
        if (!failed) failed.emplace(CRM_E_INVALID, "validation failed");
        for (const auto& [field, message] : e.fields()) failed->field(field, message);
      }
    }
    if (failed) throw *failed;
    return q;
  }

private:
  struct Field {
    std::string name;
    Type type = Type::text;
    size_t max_length = 0;
    std::vector<std::string> allowed;
    std::int64_t min = 0, max = 0;
  };

  QuerySchema& add(std::string name, Type type) {
    Field f;
    f.name = std::move(name), f.type = type;
    fields_.push_back(std::move(f));
    return *this;
  }
  Field& last() { return fields_.back(); }

  static std::optional<std::string> text_of(const Input& in, const Field& f) {
    switch (f.type) {
    case Type::uuid: return optional_uuid(in, f.name);
    case Type::timestamp: return optional_timestamp(in, f.name);
    case Type::choice: return optional_choice(in, f.name, f.allowed);
    default: break;
    }
    auto text = in.text(f.name);
    if (!text || is_blank(*text)) return std::nullopt; // "?q=" or "?q=+" filters nothing
    if (code_points(*text) > f.max_length)
      throw invalid(f.name, "must be at most " + std::to_string(f.max_length) + " characters");
    return text;
  }

  static void read_field(const Input& in, const Field& f, Query& q) {
    if (f.type == Type::integer) {
      if (auto n = optional_integer(in, f.name)) {
        if (*n < f.min || *n > f.max)
          throw invalid(f.name, "must be from " + std::to_string(f.min) + " to " + std::to_string(f.max));
        q.integers_[f.name] = *n;
      }
    } else if (f.type == Type::flag) {
      if (auto b = optional_flag(in, f.name)) q.flags_[f.name] = *b;
    } else if (auto text = text_of(in, f)) {
      q.texts_[f.name] = std::move(*text);
    }
  }

  std::vector<Field> fields_;
};

} // namespace crm
