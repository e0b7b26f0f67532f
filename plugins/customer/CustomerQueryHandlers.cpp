// CustomerQueryHandlers: the customer list and its stats, both within the
// caller's scope (SALES: its own customers, MANAGER: its own and its team's,
// ADMIN: all), live customers only.
//
// GET /api/customers?q=&status=&ownerId=&limit=&cursor= -> {items, nextCursor}:
// newest first, keyset-paged on (created_at, id); q is a case-insensitive
// substring of name, email or company (served by the trigram indexes).
// GET /api/customers/stats?ownerId= -> {total, byStatus, byOwner}.
#include "Handlers.hpp"

#include "Cursor.hpp"
#include "InputRules.hpp"
#include "Scope.hpp"
#include "SqlStatement.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace customer {

namespace {

constexpr std::int64_t kDefaultLimit = 50;
constexpr std::int64_t kMaxLimit = 200;
constexpr size_t kMaxQueryChars = 200;

size_t code_points(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// The filters both operations accept, checked.
struct Filters {
  std::optional<std::string> owner_id;
  std::optional<std::string> status;
  std::optional<std::string> q;

  static Filters of(const crm::Input& in) {
    Filters f;
    f.owner_id = optional_uuid(in, "ownerId");
    if (auto status = in.text("status"); status && !status->empty()) {
      if (*status != "LEAD" && *status != "ACTIVE" && *status != "INACTIVE")
        throw crm::invalid("status", "must be one of LEAD, ACTIVE, INACTIVE");
      f.status = std::move(status);
    }
    if (auto q = in.text("q"); q && !is_blank(*q)) {
      if (code_points(*q) > kMaxQueryChars) throw crm::invalid("q", "must be at most 200 characters long");
      f.q = std::move(q);
    }
    return f;
  }
};

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
void where_visible(SqlStatement& s, const Scope& scope, const Filters& f) {
  s << " where c.deleted_at is null";
  if (!scope.sees_all()) {
    if (scope.is_manager())
      s << " and c.owner_id = any (" << s.bind(scope.owners_array()) << "::uuid[])";
    else if (!scope.user_id().empty())
      s << " and c.owner_id = " << s.bind(std::string(scope.user_id())) << "::uuid";
    else
      s << " and false";
  }
  if (f.owner_id) s << " and c.owner_id = " << s.bind(f.owner_id) << "::uuid";
  if (f.status) s << " and c.status = " << s.bind(f.status);
  if (f.q) {
    const std::string p = s.bind(substring_pattern(*f.q));
    s << " and (lower(c.name) like lower(" << p << ") or lower(c.email) like lower(" << p
      << ") or lower(c.company) like lower(" << p << "))";
  }
}

} // namespace

void list_customers(crm::Call& call) {
  const Scope scope = Scope::of(call);
  const auto& in = call.input();
  const Filters filters = Filters::of(in);
  const std::int64_t limit = optional_integer(in, "limit").value_or(kDefaultLimit);
  if (limit < 1 || limit > kMaxLimit) throw crm::invalid("limit", "must be from 1 to 200");
  std::optional<Position> after;
  if (auto cursor = in.text("cursor"); cursor && !cursor->empty()) after = decode_cursor(*cursor);

  // One row more than asked tells whether there is a next page.
  SqlStatement s;
  s << "select customer_json(c) as customer, (extract(epoch from c.created_at) * 1000000)::bigint as position, "
       "c.id from customers c";
  where_visible(s, scope, filters);
  if (after)
    s << " and (c.created_at, c.id) < (timestamptz 'epoch' + " << s.bind(after->micros)
      << "::bigint * interval '1 microsecond', " << s.bind(after->id) << "::uuid)";
  s << " order by c.created_at desc, c.id desc limit " << s.bind(std::to_string(limit + 1)) << "::int";
  const auto rows = s.run(call);

  const size_t shown = std::min(rows.size(), static_cast<size_t>(limit));
  std::string items = "[";
  for (size_t i = 0; i < shown; ++i) {
    if (i) items.push_back(',');
    items += *rows.at(i, 0);
  }
  items.push_back(']');
  std::optional<std::string> next;
  if (rows.size() > shown)
    next = encode_cursor(Position{std::string(*rows.at(shown - 1, 1)), std::string(*rows.at(shown - 1, 2))});
  call.reply(crm::JsonObject().raw("items", items).field("nextCursor", next).str());
}

void customer_stats(crm::Call& call) {
  const Scope scope = Scope::of(call);
  Filters filters;
  filters.owner_id = optional_uuid(call.input(), "ownerId");

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
