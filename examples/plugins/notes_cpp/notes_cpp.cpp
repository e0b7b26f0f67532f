// notes_cpp - notes about customers, with the C++ SDK (crm/plugin.hpp): the
// C++ walk-through of docs/plugins.md, the same plugin as notes_c.
//
// One table (notes), one REST route (POST /api/notes-cpp/notes, which emits
// note_cpp.created) and one subscription: every customer.created event gives
// the new customer a first note. Handlers report failure by throwing
// crm::Error; crm::handler<> catches everything at the boundary.
#include <crm/plugin.hpp>

#include <string>

namespace {

// POST /api/notes-cpp/notes {customerId, text}: the host has checked the body
// against kNoteSchema before this runs. The note and its event are written in
// the call's transaction: both or neither.
void add_note(crm::Call& call) {
  const auto& in = call.input();
  auto rows = call.sql("insert into notes (customer_id, text, author) values ($1::uuid, $2, $3) "
                       "returning id, customer_id as \"customerId\", text, author, created_at as \"createdAt\"",
                       {in.required_text("customerId"), in.required_text("text"), call.principal().id});
  const std::string note(rows.first_json()); // a copy: the rows end at the next sql()
  call.emit("note_cpp.created", *rows.at(0, "id"), note);
  call.reply(note);
}

// customer.created: the input is the event's envelope {id, type, source,
// time, subject, actor, traceparent, data}, whose subject is the customer's id
// and data the customer. The host records the event id in the plugin's inbox
// in this transaction, so a redelivery adds no second note.
void on_customer_created(crm::Call& call) {
  const auto& event = call.input();
  const auto customer = event.object().getObject("data");
  const std::string name = customer ? customer->optValue<std::string>("name", "") : "";
  call.sql("insert into notes (customer_id, text, author) values ($1::uuid, $2, 'system')",
           {event.required_text("subject"), "New customer: " + name});
}

constexpr const char* kNoteSchema = R"({"type":"object","additionalProperties":false,
  "required":["customerId","text"],"properties":{
  "customerId":{"type":"string","format":"uuid"},
  "text":{"type":"string","minLength":1,"maxLength":2000}}})";

const crm_operation_def operations[] = {
    crm::operation("notes_cpp.add_note", "*", "POST", "/api/notes-cpp/notes", crm::handler<add_note>, 201,
                   kNoteSchema, "Add a note about a customer"),
    // No route: only the host calls it, with the events subscribed below.
    crm::internal_operation("notes_cpp.on_customer_created", "system", crm::handler<on_customer_created>),
};

const crm_subscription_def subscriptions[] = {
    {.event_type = "customer.created", .operation = "notes_cpp.on_customer_created"},
};

// Applied once each, in the plugin's own schema (notes_cpp). No foreign key to
// the customer: another plugin's tables are out of reach.
const crm_migration_def migrations[] = {
    {.version = 1,
     .sql = "create table notes (id uuid primary key default gen_random_uuid(), customer_id uuid not null, "
            "text text not null, author text not null, created_at timestamptz not null default now()); "
            "create index notes_by_customer on notes (customer_id, created_at)"},
};

} // namespace

CRM_PLUGIN(crm::plugin("notes_cpp", "1.0.0", "Notes about customers (the C++ example)")
               .operations(operations)
               .subscriptions(subscriptions)
               .migrations(migrations))
