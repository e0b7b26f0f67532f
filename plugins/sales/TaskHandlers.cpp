// TaskHandlers: /api/tasks. A task belongs to its assignee, may be about a
// customer (which must then exist and be visible to whoever sets it, checked
// through customer.get), and goes OPEN -> DONE once, through complete.
// Record rules are crm::OwnerScope's; an invisible task is a 404.
//
// Every change is announced, for the read-models that count tasks:
// task.created with the API object (a new row is version 1), and
// task.updated, task.completed, task.deleted with the row as
// task_event_json() gives it (the API object, its version, deleted).
// Reassignments announce task.reassigned (ActivityTransfers.cpp).
#include "Handlers.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/peer_checks.hpp>
#include <crm/sdk/owner_scope.hpp>
#include <crm/sdk/query_schema.hpp>

#include <crm/keyset_page.hpp>

#include <optional>
#include <string>

namespace sales {

namespace {

const std::vector<std::string> kStatuses{"OPEN", "DONE"};
const std::vector<std::string> kPriorities{"LOW", "NORMAL", "HIGH"};

struct LockedTask {
  std::string assignee_id;
  std::optional<std::string> customer_id;
};

// The row of `id` if the caller may see it, locked for a change.
std::optional<LockedTask> lock_visible(crm::Call& call, const crm::OwnerScope& scope, const std::string& id) {
  auto rows = call.sql(R"sql(
    select assignee_id, customer_id from tasks
    where id = $1::uuid and deleted_at is null and ($2::uuid[] is null or assignee_id = any ($2::uuid[]))
    for update)sql",
                       {id, scope.owners_array()});
  if (rows.empty()) return std::nullopt;
  LockedTask t{std::string(*rows.at(0, 0)), std::nullopt};
  if (auto c = rows.at(0, 1)) t.customer_id = std::string(*c);
  return t;
}

// A new assignee other than the caller must be a real, active user.
void check_new_assignee(crm::Call& call, const crm::OwnerScope& scope, const std::string& assignee) {
  if (assignee != scope.user_id()) crm::require_active_user(call, assignee, "assigneeId");
}

} // namespace

// ?status=&dueBefore=&assigneeId=&customerId=&limit=&cursor= -> {items,
// nextCursor}, ordered by dueAt then id; dueBefore is exclusive.
void list_tasks(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  static const crm::QuerySchema kQuery = crm::QuerySchema()
                                             .choice("status", kStatuses)
                                             .timestamp("dueBefore")
                                             .uuid("assigneeId")
                                             .uuid("customerId")
                                             .page_limit();
  const crm::Query q = kQuery.read(in);
  const auto after = crm::cursor_of(in);

  auto rows = call.sql(R"sql(
    select task_json(t) as task, cursor_time(t.due_at) as sort_at, t.id
    from tasks t
    where t.deleted_at is null
      and ($1::uuid[] is null or t.assignee_id = any ($1::uuid[]))
      and ($2::text is null or t.status = $2)
      and ($3::timestamptz is null or t.due_at < $3::timestamptz)
      and ($4::uuid is null or t.assignee_id = $4::uuid)
      and ($5::uuid is null or t.customer_id = $5::uuid)
      and ($6::timestamptz is null or (t.due_at, t.id) > ($6::timestamptz, $7::uuid))
    order by t.due_at, t.id
    limit $8::int + 1)sql",
                       {scope.owners_array(), q.text("status"), q.text("dueBefore"), q.uuid("assigneeId"),
                        q.uuid("customerId"), after ? std::optional<std::string>(after->at) : std::nullopt,
                        after ? std::optional<std::string>(after->id) : std::nullopt, q.limit()});
  crm::reply_page(call, rows, q.limit());
}

// POST {title, dueAt, customerId?, assigneeId?, priority?, description?} ->
// 201 task (OPEN), and task.created. assigneeId defaults to the caller; the
// system (a workflow) has no user of its own and must name one.
void create_task(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const std::string title = crm::required_text(in, "title", kMaxTitle);
  const auto due_at = crm::optional_timestamp(in, "dueAt");
  if (!due_at) throw crm::invalid("dueAt", "is required");
  const auto customer = crm::optional_uuid(in, "customerId");
  const auto priority = crm::optional_choice(in, "priority", kPriorities);
  const auto description = in.text("description");
  const std::string assignee = scope.holder_for(crm::optional_uuid(in, "assigneeId"), "assigneeId");

  // Checked before this call's own transaction opens: nothing is written
  // unless the customer is there for the caller.
  check_new_assignee(call, scope, assignee);
  if (customer) crm::require_visible_customer(call, *customer, "customerId");

  auto rows = call.sql(R"sql(
    insert into tasks as t (customer_id, assignee_id, title, description, due_at, priority)
    values ($1::uuid, $2::uuid, $3, $4, $5::timestamptz, coalesce($6, 'NORMAL'))
    returning t.id, task_json(t))sql",
                       {customer, assignee, title, description, *due_at, priority});
  const std::string id(*rows.at(0, 0));
  const std::string task(*rows.at(0, 1));
  call.emit("task.created", id, task);
  call.reply(task);
}

void get_task(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  auto rows = call.sql(R"sql(
    select task_json(t) from tasks t
    where t.id = $1::uuid and t.deleted_at is null and ($2::uuid[] is null or t.assignee_id = any ($2::uuid[])))sql",
                       {id, scope.owners_array()});
  if (rows.empty()) throw crm::not_found("task");
  call.reply(*rows.at(0, 0));
}

// PATCH {title?, description?, dueAt?, priority?, customerId?, assigneeId?}:
// a partial update; description and customerId may be null. A new dueAt
// re-arms the due-soon alert: the task is announced again if it (re-)enters
// the window. The status changes only through complete.
void patch_task(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "id");
  const auto title =
      in.has("title") ? std::optional<std::string>(crm::required_text(in, "title", kMaxTitle)) : std::nullopt;
  const bool description_given = in.object().has("description");
  const auto description = in.text("description");
  const auto due_at = crm::optional_timestamp(in, "dueAt");
  const auto priority = crm::optional_choice(in, "priority", kPriorities);
  const bool customer_given = in.object().has("customerId");
  const auto customer = crm::optional_uuid(in, "customerId");
  const auto new_assignee = crm::optional_uuid(in, "assigneeId");

  const auto task = lock_visible(call, scope, id);
  if (!task) throw crm::not_found("task");
  if (new_assignee && *new_assignee != task->assignee_id)
    check_new_assignee(call, scope, scope.holder_for(new_assignee, "assigneeId"));
  if (customer && customer != task->customer_id) crm::require_visible_customer(call, *customer, "customerId");

  auto rows =
      call.sql(R"sql(
    update tasks t set
      title = coalesce($2, t.title),
      description = case when $3::boolean then $4 else t.description end,
      due_at = coalesce($5::timestamptz, t.due_at),
      due_soon_alerted_at = case when $5::timestamptz is not null and $5::timestamptz <> t.due_at
                                 then null else t.due_soon_alerted_at end,
      priority = coalesce($6, t.priority),
      customer_id = case when $7::boolean then $8::uuid else t.customer_id end,
      assignee_id = coalesce($9::uuid, t.assignee_id),
      updated_at = now()
    where t.id = $1::uuid
    returning task_json(t), task_event_json(t))sql",
               {id, title, description_given, description, due_at, priority, customer_given, customer, new_assignee});
  // Copied out: the emit is a statement of its own.
  const std::string changed(*rows.at(0, 0));
  call.emit("task.updated", id, std::string(*rows.at(0, 1)));
  call.reply(changed);
}

// DELETE -> 204. The row stays, hidden (deleted_at), like every deletion here.
void delete_task(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  auto rows = call.sql(R"sql(
    update tasks t set deleted_at = now(), updated_at = now()
    where id = $1::uuid and deleted_at is null and ($2::uuid[] is null or assignee_id = any ($2::uuid[]))
    returning task_event_json(t))sql",
                       {id, scope.owners_array()});
  if (rows.empty()) throw crm::not_found("task");
  call.emit("task.deleted", id, std::string(*rows.at(0, 0)));
}

// POST /api/tasks/{id}/complete -> the task, DONE, and task.completed; 409 if
// it is DONE already. Two concurrent completions: the second waits on the
// first's row lock, then finds the task DONE.
void complete_task(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  auto rows = call.sql(R"sql(
    update tasks t set status = 'DONE', completed_at = now(), updated_at = now()
    where t.id = $1::uuid and t.deleted_at is null and t.status = 'OPEN'
      and ($2::uuid[] is null or t.assignee_id = any ($2::uuid[]))
    returning task_json(t), task_event_json(t))sql",
                       {id, scope.owners_array()});
  if (rows.empty()) {
    if (!lock_visible(call, scope, id)) throw crm::not_found("task");
    throw crm::conflict("the task is already DONE");
  }
  const std::string task(*rows.at(0, 0));
  call.emit("task.completed", id, std::string(*rows.at(0, 1)));
  call.reply(task);
}

} // namespace sales
