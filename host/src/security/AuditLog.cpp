// AuditLog: see the header.
#include "security/AuditLog.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <optional>

namespace crm::security {

namespace {

std::optional<std::string> text(const Poco::JSON::Object::Ptr& o, const char* key) {
  if (!o->has(key) || o->isNull(key)) return std::nullopt;
  return o->get(key).convert<std::string>();
}

} // namespace

void AuditLog::write(const Entry& e) {
  auto optional = [](const std::string& v) { return v.empty() ? nullptr : v.c_str(); };
  const char* params[] = {optional(e.actor),      e.action.c_str(),      optional(e.resource_id),
                          "SUCCESS",              optional(e.client_ip), optional(e.request_id),
                          optional(e.detail),     nullptr,               nullptr};
  auto conn = pool_.acquire();
  conn->query(kInsert, params, 9);
}

AuditLog::Page AuditLog::query(std::string_view filter_json) {
  Page page;
  Poco::JSON::Object::Ptr filter;
  try {
    Poco::JSON::Parser parser;
    filter = parser.parse(std::string(filter_json.empty() ? "{}" : filter_json)).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    page.errors.push_back({"filter", "must be a JSON object"});
    return page;
  }

  int limit = 50;
  if (auto l = text(filter, "limit")) {
    try {
      size_t used = 0;
      limit = std::stoi(*l, &used);
      if (used != l->size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      limit = -1;
    }
    if (limit < 1 || limit > 200) page.errors.push_back({"limit", "must be an integer from 1 to 200"});
  }
  std::optional<std::string> cursor = text(filter, "cursor");
  if (cursor && (cursor->empty() || cursor->find_first_not_of("0123456789") != std::string::npos))
    page.errors.push_back({"cursor", "is not a cursor this API gave out"});
  // Dates are checked by PostgreSQL's parser below; a bad one is reported by field.
  auto from = text(filter, "from"), to = text(filter, "to");
  auto actor = text(filter, "actorId"), resource = text(filter, "resource"), action = text(filter, "action"),
       outcome = text(filter, "outcome");
  if (!page.errors.empty()) return page;

  auto conn = pool_.acquire();
  for (auto [field, value] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (!*value) continue;
    const char* p[] = {(*value)->c_str()};
    try {
      conn->query("select $1::timestamptz", p, 1);
    } catch (const storage::PgError&) {
      page.errors.push_back({field, "must be an RFC 3339 date-time"});
    }
  }
  if (!page.errors.empty()) return page;

  const std::string limit_text = std::to_string(limit + 1);
  const char* params[] = {actor ? actor->c_str() : nullptr,   resource ? resource->c_str() : nullptr,
                          action ? action->c_str() : nullptr, outcome ? outcome->c_str() : nullptr,
                          from ? from->c_str() : nullptr,     to ? to->c_str() : nullptr,
                          cursor ? cursor->c_str() : nullptr, limit_text.c_str()};
  auto rows = conn->query(
      "select id, json_build_object('id', id::text, 'time', to_char(time at time zone 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), 'actorId', actor_id, 'action', action, 'resourceId', resource_id, "
      "'outcome', outcome, 'clientIp', client_ip, 'requestId', request_id, 'detail', detail, 'onBehalfOf', on_behalf_of, "
      "'workflowInstanceId', workflow_instance_id)::text "
      "from platform.audit_log where ($1::text is null or actor_id = $1) and ($2::text is null or resource_id = $2) "
      "and ($3::text is null or action = $3) and ($4::text is null or outcome = $4) "
      "and ($5::timestamptz is null or time >= $5) and ($6::timestamptz is null or time < $6) "
      "and ($7::bigint is null or id < $7) order by id desc limit $8::int",
      params, 8);
  const int n = rows.rows();
  const int shown = std::min(n, limit);
  page.json = "{\"items\":[";
  for (int i = 0; i < shown; ++i) {
    if (i) page.json += ',';
    page.json += rows.value(i, 1);
  }
  page.json += "],\"nextCursor\":";
  page.json += n > limit ? "\"" + std::string(rows.value(shown - 1, 0)) + "\"" : std::string("null");
  page.json += '}';
  return page;
}

} // namespace crm::security
