// CustomerPlugin: the customer plugin as the host sees it: its operations with
// roles, routes and input schemas, its schema migrations, and its start-up.
// The handlers live in the *Handler(s).cpp files, one area each; the record
// rules (who sees which customer) in crm::OwnerScope.
//
// Events: customer.created (data: the customer), customer.updated (the
// customer and `changed`: the names of the fields that changed),
// customer.deleted ({id, ownerId}), all with the customer's id as subject;
// customer.reassigned ({fromUserId, toUserId, ids}, subject fromUserId).
#include "Handlers.hpp"
#include "Migrations.hpp"
#include "Settings.hpp"

#include <crm/plugin.hpp>

#include <exception>
#include <string>

namespace {

// Empty strings are refused for email (not an address); send null or leave the
// field out for "none". Unknown fields are refused: a misspelt field would
// otherwise be dropped without a word.
constexpr const char* kCreateSchema = R"({"type":"object","additionalProperties":false,"required":["name"],
  "properties":{
  "name":{"type":"string","minLength":1,"maxLength":200},
  "email":{"type":["string","null"],"format":"email","maxLength":254},
  "phone":{"type":["string","null"],"maxLength":50},
  "company":{"type":["string","null"],"maxLength":200},
  "status":{"type":"string","enum":["LEAD","ACTIVE","INACTIVE"]},
  "ownerId":{"type":["string","null"],"format":"uuid"}}})";

// "id" is the path parameter.
constexpr const char* kUpdateSchema = R"({"type":"object","additionalProperties":false,"required":["id"],
  "properties":{
  "id":{"type":"string","format":"uuid"},
  "name":{"type":"string","minLength":1,"maxLength":200},
  "email":{"type":["string","null"],"format":"email","maxLength":254},
  "phone":{"type":["string","null"],"maxLength":50},
  "company":{"type":["string","null"],"maxLength":200},
  "status":{"type":"string","enum":["LEAD","ACTIVE","INACTIVE"]},
  "ownerId":{"type":"string","format":"uuid"}}})";

constexpr const char* kDeleteSchema = R"({"type":"object","required":["id"],"properties":{
  "id":{"type":"string","format":"uuid"}}})";

// A PUT replaces the whole profile: every field is required.
constexpr const char* kProfileSchema = R"({"type":"object","additionalProperties":false,
  "required":["id","riskTolerance","experienceYears","annualIncome","goals"],"properties":{
  "id":{"type":"string","format":"uuid"},
  "riskTolerance":{"type":"string","enum":["LOW","MEDIUM","HIGH"]},
  "experienceYears":{"type":"integer","minimum":0,"maximum":80},
  "annualIncome":{"type":"number","minimum":0},
  "goals":{"type":"array","maxItems":20,"items":{"type":"string","minLength":1,"maxLength":200}}}})";

// Further members are allowed: a saga's compensation may pass the forward
// step's reply ({moved, fromUserId, toUserId}) with the users swapped. ids may
// be an empty object: from Lua, an empty list is {} (see ReassignOwnerHandler).
constexpr const char* kReassignSchema = R"({"type":"object","required":["fromUserId","toUserId"],"properties":{
  "fromUserId":{"type":"string","format":"uuid"},
  "toUserId":{"type":"string","format":"uuid"},
  "ids":{"type":["array","object"],"items":{"type":"string","format":"uuid"}},
  "transfer":{"type":"string","minLength":1,"maxLength":200},
  "limit":{"type":"integer","minimum":1,"maximum":10000}}})";

constexpr const char* kReassignBackSchema = R"({"type":"object","required":["transfer"],"properties":{
  "transfer":{"type":"string","minLength":1,"maxLength":200},
  "limit":{"type":"integer","minimum":1,"maximum":10000}}})";

constexpr const char* kCountOwnedSchema = R"({"type":"object","required":["userId"],"properties":{
  "userId":{"type":"string","format":"uuid"}}})";

using crm::handler;

const crm_operation_def operations[] = {
    crm::read_operation("customer.list", "*", "/api/customers", handler<customer::list_customers>,
                        "List the customers in the caller's scope (?q=&status=&ownerId=&limit=&cursor=)"),
    crm::operation("customer.create", "*", "POST", "/api/customers", handler<customer::create_customer>, 201,
                   kCreateSchema, "Create a customer (owned by the caller unless ownerId says otherwise)"),
    crm::read_operation("customer.stats", "*", "/api/customers/stats", handler<customer::customer_stats>,
                        "Customers in the caller's scope counted by status and by owner"),
    crm::read_operation("customer.get", "*", "/api/customers/{id}", handler<customer::get_customer>,
                        "One customer the caller may see"),
    crm::operation("customer.update", "*", "PATCH", "/api/customers/{id}", handler<customer::update_customer>, 0,
                   kUpdateSchema, "Change some fields of a customer"),
    crm::operation("customer.delete", "MANAGER,ADMIN", "DELETE", "/api/customers/{id}",
                   handler<customer::delete_customer>, 202, kDeleteSchema, "Delete a customer (soft)"),
    crm::read_operation("customer.get_investment_profile", "*", "/api/customers/{id}/investment-profile",
                        handler<customer::get_investment_profile>, "A customer's investment profile"),
    crm::operation("customer.put_investment_profile", "*", "PUT", "/api/customers/{id}/investment-profile",
                   handler<customer::put_investment_profile>, 0, kProfileSchema,
                   "Create or replace a customer's investment profile"),
    crm::internal_operation("customer.reassign_owner", "system", handler<customer::reassign_owner>, kReassignSchema),
    crm::internal_operation("customer.reassign_back", "system", handler<customer::reassign_back>, kReassignBackSchema),
    crm::with_flags(crm::internal_operation("customer.count_owned", "system", handler<customer::count_owned>,
                                            kCountOwnedSchema),
                    CRM_OP_READ_ONLY),
};

crm_status init(const char* config_json, void** state) {
  *state = nullptr;
  try {
    customer::use_settings(customer::parse_settings(config_json ? config_json : ""));
  } catch (const std::exception& e) {
    crm::detail::host->log(nullptr, CRM_LOG_ERROR, (std::string("bad configuration: ") + e.what()).c_str());
    return CRM_E_INVALID;
  }
  return CRM_OK;
}

} // namespace

// The event types this plugin emits: workflows may wait on or be started by them.
const char* const kEmits[] = {"customer.created", "customer.updated", "customer.deleted", "customer.reassigned"};

CRM_PLUGIN(crm::plugin("customer", "1.0.0", "Customers, their investment profiles and ownership")
               .operations(operations)
               .emits(kEmits)
               .migrations(customer::kMigrations)
               .on_init(init))
