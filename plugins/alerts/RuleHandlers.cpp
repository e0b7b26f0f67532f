// RuleHandlers: each user's alert rules over REST. Only the caller's own
// rules exist for it: another user's rule is a 404, like one that never was.
//
// GET /api/market/alerts?symbol=&limit=&cursor= -> {items, nextCursor}, oldest first.
// GET /api/market/alerts/{id}, DELETE /api/market/alerts/{id} (204).
// POST /api/market/alerts {symbol, kind, threshold, windowMinutes?} -> 201 the
// rule, armed unless its condition already holds for the latest price (see
// AlertRule.hpp); every wrong field answers 422 on its path.
#include "AlertRule.hpp"
#include "Handlers.hpp"
#include "MarketPeer.hpp"

#include <crm/keyset_page.hpp>
#include <crm/sdk/query_schema.hpp>
#include <crm/sdk/text_rules.hpp>

#include <cstdint>
#include <string>

namespace alerts {

namespace {

// Per user; ten users' worth is what the benchmark puts on 100 symbols.
constexpr std::int64_t kMaxRulesPerUser = 1000;

// The {id} of the path: anything but a UUID names no rule.
std::string path_id(crm::Call& call) {
  const std::string id = crm::lower_ascii(call.input().required_text("id"));
  if (!crm::is_uuid(id)) throw crm::not_found("alert rule");
  return id;
}

// The request's fields as AlertRule checks them; a value of the wrong JSON
// type is refused by the operation's schema before this runs.
RuleRequest request_of(const crm::Input& in) {
  RuleRequest r;
  r.kind = in.text("kind").value_or("");
  if (in.has("threshold")) r.threshold = in.object().get("threshold").convert<double>();
  r.window_minutes = in.integer("windowMinutes");
  return r;
}

} // namespace

void list_rules(crm::Call& call) {
  static const crm::QuerySchema kQuery = crm::QuerySchema().text("symbol", 32).page_limit();
  const auto& in = call.input();
  const crm::Query q = kQuery.read(in);
  const auto after = crm::cursor_of(in);
  auto rows =
      call.sql(R"sql(
    select rule_json(r)::text, cursor_time(r.created_at), r.id from rules r
    where r.user_id = $1::uuid and ($2::text is null or r.symbol = $2)
      and ($3::timestamptz is null or (r.created_at, r.id) > ($3::timestamptz, $4::uuid))
    order by r.created_at, r.id
    limit $5::int + 1)sql",
               {call.principal().id, q.text("symbol"), after ? std::optional<std::string>(after->at) : std::nullopt,
                after ? std::optional<std::string>(after->id) : std::nullopt, q.limit()});
  crm::reply_page(call, rows, q.limit());
}

void get_rule(crm::Call& call) {
  auto rows = call.sql("select rule_json(r)::text from rules r where r.id = $1::uuid and r.user_id = $2::uuid",
                       {path_id(call), call.principal().id});
  if (rows.empty()) throw crm::not_found("alert rule");
  call.reply(*rows.at(0, 0));
}

void create_rule(crm::Call& call) {
  const auto& in = call.input();
  const RuleRequest request = request_of(in);
  const auto errors = rule_errors(request);
  if (!errors.empty()) {
    crm::Error e(CRM_E_INVALID, "validation failed");
    for (const auto& f : errors) e.field(f.field, f.message);
    throw e;
  }
  const AlertKind kind = *kind_named(request.kind);
  const std::string symbol = in.required_text("symbol");
  const auto latest = require_instrument(call, symbol, "symbol");
  // A MOVE_PCT rule watches moves from its creation on: armed.
  const bool armed = kind == AlertKind::move_pct ||
                     armed_at_creation(kind, *request.threshold, latest ? std::optional(latest->price) : std::nullopt);

  // The threshold is read by PostgreSQL from the input's own text, so no
  // digit is lost on the way.
  auto rows = call.sql(R"sql(
    insert into rules (user_id, symbol, kind, threshold, window_minutes, armed)
    select $1::uuid, $2, $3, ($4::jsonb->>'threshold')::float8, ($4::jsonb->>'windowMinutes')::int, $5::boolean
    where (select count(*) from rules where user_id = $1::uuid) < $6::int
    returning rule_json(rules)::text)sql",
                       {call.principal().id, symbol, request.kind, call.input_json(), armed, kMaxRulesPerUser});
  if (rows.empty()) throw crm::conflict("at most " + std::to_string(kMaxRulesPerUser) + " alert rules per user");
  call.reply(*rows.at(0, 0));
}

void delete_rule(crm::Call& call) {
  auto rows = call.sql("delete from rules where id = $1::uuid and user_id = $2::uuid returning id",
                       {path_id(call), call.principal().id});
  if (rows.empty()) throw crm::not_found("alert rule");
}

} // namespace alerts
