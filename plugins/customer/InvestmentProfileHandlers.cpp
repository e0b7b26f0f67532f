// InvestmentProfileHandlers: a customer's investment profile, one per
// customer. GET and PUT /api/customers/{id}/investment-profile, for whoever
// may see the customer (404 otherwise, and for a deleted one).
//
// PUT replaces the whole profile {riskTolerance, experienceYears,
// annualIncome, goals}; the input schema has checked every field, so the row
// is written straight from the input JSON (numbers keep their exact digits).
#include "Handlers.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/owner_scope.hpp>

namespace customer {

// GET: the profile, or 404 when the customer has none yet.
void get_investment_profile(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  auto rows = call.sql(R"sql(
    select c.owner_id, case when p.customer_id is not null then investment_profile_json(p) end as profile
    from customers c left join investment_profiles p on p.customer_id = c.id
    where c.id = $1::uuid and c.deleted_at is null)sql",
                       {id});
  if (rows.empty() || !scope.may_see(*rows.at(0, 0))) throw crm::not_found("customer");
  const auto profile = rows.at(0, 1);
  if (!profile) throw crm::not_found("investment profile");
  call.reply(*profile);
}

// PUT: creates or replaces the profile; replies with it.
void put_investment_profile(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  // Locked so a concurrent delete or reassignment cannot slip between the
  // check and the write.
  auto owner = call.sql("select owner_id from customers where id = $1::uuid and deleted_at is null for share", {id});
  if (owner.empty() || !scope.may_see(*owner.at(0, 0))) throw crm::not_found("customer");
  auto rows = call.sql(R"sql(
    insert into investment_profiles as p (customer_id, risk_tolerance, experience_years, annual_income, goals)
    select $1::uuid, i->>'riskTolerance', (i->>'experienceYears')::numeric::integer, (i->>'annualIncome')::numeric,
           array(select jsonb_array_elements_text(i->'goals'))
    from (select $2::jsonb as i) input
    on conflict (customer_id) do update
      set risk_tolerance = excluded.risk_tolerance, experience_years = excluded.experience_years,
          annual_income = excluded.annual_income, goals = excluded.goals, updated_at = now()
    returning investment_profile_json(p))sql",
                       {id, call.input_json()});
  call.reply(*rows.at(0, 0));
}

} // namespace customer
