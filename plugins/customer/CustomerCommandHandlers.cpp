// CustomerCommandHandlers: creating, changing and deleting customers.
// POST /api/customers, PATCH /api/customers/{id}, DELETE /api/customers/{id}.
//
// Each change is one transaction with its event (customer.created, .updated,
// .deleted) and drops the customer's cached copy once it commits. The input
// schemas (CustomerPlugin.cpp) have checked types, enums, lengths and email
// syntax; what is left here are the rules a schema cannot state: blank names,
// who may own the customer, and which customers the caller may touch at all
// (others are a 404, as if they did not exist).
#include "Handlers.hpp"

#include "CacheKeys.hpp"
#include "OwnerRules.hpp"

#include <crm/sdk/id_lists.hpp>
#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/json_members.hpp>
#include <crm/sdk/owner_scope.hpp>

#include <optional>
#include <string>
#include <vector>

namespace customer {

namespace {

// customers.name is char_length 1..200.
constexpr size_t kMaxName = 200;

// The fields of a customer a caller may set, as stored.
struct CustomerFields {
  std::string name;
  std::optional<std::string> email, phone, company;
  std::string status;
  std::string owner_id;
};

std::optional<std::string> text_of(const crm::Rows& rows, std::string_view column) {
  auto v = rows.at(0, column);
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

// The live customer `id`, locked for the change, if the caller may see it.
std::optional<CustomerFields> lock_visible(crm::Call& call, const crm::OwnerScope& scope, const std::string& id) {
  auto rows = call.sql("select name, email, phone, company, status, owner_id from customers "
                       "where id = $1::uuid and deleted_at is null for update",
                       {id});
  if (rows.empty() || !scope.may_see(*rows.at(0, "owner_id"))) return std::nullopt;
  return CustomerFields{*text_of(rows, "name"),   text_of(rows, "email"),   text_of(rows, "phone"),
                        text_of(rows, "company"), *text_of(rows, "status"), *text_of(rows, "owner_id")};
}

} // namespace

// POST /api/customers {name, email?, phone?, company?, status?, ownerId?} -> 201.
void create_customer(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  CustomerFields c;
  c.name = crm::required_text(in, "name", kMaxName);
  c.email = crm::clearable_text(in, "email").value;
  c.phone = crm::clearable_text(in, "phone").value;
  c.company = crm::clearable_text(in, "company").value;
  c.status = in.text("status").value_or("LEAD");
  if (auto owner = crm::optional_uuid(in, "ownerId"))
    c.owner_id = *owner;
  else if (!scope.user_id().empty())
    c.owner_id = std::string(scope.user_id());
  else
    throw crm::invalid("ownerId", "is required when the caller is not a user");
  require_assignable_owner(call, scope, c.owner_id, "ownerId");

  auto rows = call.sql(R"sql(
    insert into customers as c (name, email, phone, company, status, owner_id)
    values ($1, $2, $3, $4, $5, $6::uuid)
    returning c.id, customer_json(c) as customer)sql",
                       {c.name, c.email, c.phone, c.company, c.status, c.owner_id});
  const std::string id(*rows.at(0, 0));
  const std::string customer(*rows.at(0, 1));
  call.emit("customer.created", id, customer);
  call.reply(customer);
}

// PATCH /api/customers/{id} {name?, email?, phone?, company?, status?, ownerId?}:
// absent fields stay; email, phone and company may be null to clear them.
void update_customer(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "id");
  // Everything about the input is checked before the row is locked.
  const std::optional<std::string> name =
      in.object().has("name") ? std::optional<std::string>(crm::required_text(in, "name", kMaxName)) : std::nullopt;
  const crm::ClearableText email = crm::clearable_text(in, "email"), phone = crm::clearable_text(in, "phone"),
                           company = crm::clearable_text(in, "company");
  const std::optional<std::string> status = in.text("status");
  const std::optional<std::string> owner = crm::optional_uuid(in, "ownerId");

  const auto now = lock_visible(call, scope, id);
  if (!now) throw crm::not_found("customer");
  CustomerFields next = *now;
  std::vector<std::string> changed;
  auto apply = [&changed](auto& field, const auto& value, const char* key) {
    if (field != value) {
      field = value;
      changed.emplace_back(key);
    }
  };
  if (name) apply(next.name, *name, "name");
  if (email.given) apply(next.email, email.value, "email");
  if (phone.given) apply(next.phone, phone.value, "phone");
  if (company.given) apply(next.company, company.value, "company");
  if (status) apply(next.status, *status, "status");
  if (owner && *owner != now->owner_id) {
    require_assignable_owner(call, scope, *owner, "ownerId");
    apply(next.owner_id, *owner, "ownerId");
  }

  if (changed.empty()) {
    call.reply(*call.sql("select customer_json(c) from customers c where c.id = $1::uuid", {id}).at(0, 0));
    return;
  }
  auto rows = call.sql(R"sql(
    update customers c set name = $2, email = $3, phone = $4, company = $5, status = $6, owner_id = $7::uuid,
                           updated_at = now()
    where c.id = $1::uuid
    returning customer_json(c))sql",
                       {id, next.name, next.email, next.phone, next.company, next.status, next.owner_id});
  const std::string customer(*rows.at(0, 0));
  call.emit("customer.updated", id,
            crm::with_members(customer, crm::JsonObject().raw("changed", crm::json_string_array(changed))));
  call.cache_del(customer_cache_key(id));
  call.reply(customer);
}

// DELETE /api/customers/{id} (MANAGER, ADMIN) -> 202 {id, deleted: true}. A
// soft delete: the row stays (deleted_at), nobody sees it any more, and
// customer.deleted starts the clean-up in the other contexts.
void delete_customer(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  const auto now = lock_visible(call, scope, id);
  if (!now) throw crm::not_found("customer");
  call.sql("update customers set deleted_at = now(), updated_at = now() where id = $1::uuid", {id});
  call.emit("customer.deleted", id,
            crm::JsonObject().field("id", std::string_view(id)).field("ownerId", now->owner_id).str());
  call.cache_del(customer_cache_key(id));
  call.reply(crm::JsonObject().field("id", std::string_view(id)).field("deleted", true).str());
}

} // namespace customer
