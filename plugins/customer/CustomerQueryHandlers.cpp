// CustomerQueryHandlers: the customer list and its stats, both within the
// caller's scope (SALES: its own customers, MANAGER: its own and its team's,
// ADMIN: all), live customers only.
//
// GET /api/customers?q=&status=&ownerId=&limit=&cursor= -> {items, nextCursor}:
// newest first, keyset-paged on (created_at, id); q is a case-insensitive
// substring of name, email or company (served by the trigram indexes).
// GET /api/customers/stats?ownerId= -> {total, byStatus, byOwner}.
#include "Handlers.hpp"

#include "SqlStatement.hpp"

#include <crm/keyset_page.hpp>
#include <crm/sdk/owner_scope.hpp>
#include <crm/sdk/query_schema.hpp>

#include <optional>
#include <string>

namespace customer {

namespace {

// The filters both operations accept.
const crm::QuerySchema kFilters =
    crm::QuerySchema().text("q", 200).choice("status", {"LEAD", "ACTIVE", "INACTIVE"}).uuid("ownerId");
const crm::QuerySchema kListQuery = crm::QuerySchema(kFilters).page_limit();

// '%<q>%' with LIKE's own characters in q taken literally.
std::string substring_pattern(std::string_view q) {
  std::string out = "%";
  for (char c : q) {
    if (c == '\\' || c == '%' || c == '_') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

// " where ..." for live customers of `scope` matching `f`, on alias c.
void where_visible(SqlStatement& s, const crm::OwnerScope& scope, const crm::Query& f) {
  s << " where c.deleted_at is null";
  if (!scope.sees_all()) {
    if (scope.is_manager())
      s << " and c.owner_id = any (" << s.bind(scope.owners_array()) << "::uuid[])";
    else if (!scope.user_id().empty())
      s << " and c.owner_id = " << s.bind(scope.user_id()) << "::uuid";
    else
      s << " and false";
  }
  if (auto owner = f.uuid("ownerId")) s << " and c.owner_id = " << s.bind(owner) << "::uuid";
  if (auto status = f.text("status")) s << " and c.status = " << s.bind(status);
  if (auto q = f.text("q")) {
    const std::string p = s.bind(substring_pattern(*q));
    s << " and (lower(c.name) like lower(" << p << ") or lower(c.email) like lower(" << p
      << ") or lower(c.company) like lower(" << p << "))";
  }
}

} // namespace

void list_customers(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const crm::Query query = kListQuery.read(in);
  const auto after = crm::cursor_of(in);

  // One row more than asked tells whether there is a next page.
  SqlStatement s;
  s << "select customer_json(c) as customer, cursor_time(c.created_at), c.id from customers c";
  where_visible(s, scope, query);
  if (after)
    s << " and (c.created_at, c.id) < (" << s.bind(after->at) << "::timestamptz, " << s.bind(after->id) << "::uuid)";
  s << " order by c.created_at desc, c.id desc limit " << s.bind(std::to_string(query.limit() + 1)) << "::int";
  crm::reply_page(call, s.run(call), query.limit());
}

void customer_stats(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const crm::Query filters = crm::QuerySchema().uuid("ownerId").read(call.input());

  SqlStatement s;
  s << "with scoped as (select c.owner_id, c.status from customers c";
  where_visible(s, scope, filters);
  s << R"sql(),
    per_owner as (
      select owner_id, count(*) as total,
             count(*) filter (where status = 'LEAD') as lead,
             count(*) filter (where status = 'ACTIVE') as active,
             count(*) filter (where status = 'INACTIVE') as inactive
      from scoped group by owner_id)
    select json_build_object(
      'total', coalesce(sum(total), 0),
      'byStatus', json_build_object('LEAD', coalesce(sum(lead), 0), 'ACTIVE', coalesce(sum(active), 0),
                                    'INACTIVE', coalesce(sum(inactive), 0)),
      'byOwner', coalesce(json_agg(json_build_object(
                   'ownerId', owner_id, 'total', total,
                   'byStatus', json_build_object('LEAD', lead, 'ACTIVE', active, 'INACTIVE', inactive))
                 order by total desc, owner_id), '[]'::json))
    from per_owner)sql";
  const auto rows = s.run(call);
  call.reply(*rows.at(0, 0));
}

} // namespace customer
