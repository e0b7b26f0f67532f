// ActivityTransfers: the steps the reassignment and customer-deletion sagas
// take on sales records, and their compensations. System only (workflows).
//
//   sales.reassign_meetings {fromUserId, toUserId, ids?}  future meetings of from -> to
//   sales.reassign_tasks    {fromUserId, toUserId, ids?}  OPEN tasks of from -> to
//       -> {moved: [ids], fromUserId, toUserId}; undone by the same operation
//          with the users swapped and ids = moved.
//   sales.delete_customer_activity  {customerId}  hides the customer's future
//       meetings and OPEN tasks -> {customerId, meetings: [ids], tasks: [ids]}
//   sales.restore_customer_activity {customerId, meetings, tasks}  brings back
//       exactly those -> the same shape, with what it restored.
//
// With `transfer` (a name the caller picks, e.g. "<saga instance>:tasks"),
// reassign_meetings and reassign_tasks work one batch per call instead, for a
// saga's batched step: at most `limit` (1,000) rows move, each recorded under
// the transfer, and the reply is {count, more, fromUserId, toUserId}.
//   sales.reassign_back {transfer, limit}  moves back, a batch per call,
//       exactly the rows recorded under the transfer that the new owner
//       still has -> {count, more}.
//   sales.count_owned {userId}  -> {meetings (future), tasks (OPEN)}, for a
//       dry run.
//
// Each is idempotent: a repeat finds nothing left to change and reports an
// empty list (a saga retrying with its idempotency key gets the first reply).
// Large owners are worked through in batches of at most crm::kTransferBatch
// rows per statement (crm/sdk/batched_transfers.hpp), all in the call's one transaction; a batch that comes back empty
// ends the loop, so rows a concurrent change took out of a batch are not
// mistaken for the end.
#include "Handlers.hpp"

#include <crm/sdk/batched_transfers.hpp>
#include <crm/sdk/id_lists.hpp>
#include <crm/sdk/input_rules.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sales {

namespace {

std::string moved_reply(const crm::TransferRequest& t, const std::string& moved) {
  return crm::JsonObject().raw("moved", moved).field("fromUserId", t.from).field("toUserId", t.to).str();
}

// One batch of a recorded transfer of `kind`: `move` is the statement that
// picks and moves the rows ($1 from, $2 to, $3 limit), returning their ids;
// `left` ($1 from) finds whether any are left to move. A short batch is no
// proof of the end (a concurrent change may take rows out of it), and a full
// last one needs no empty call after it.
void transfer_one_batch(crm::Call& call, const crm::TransferRequest& t, const char* kind, const char* move,
                        const char* left) {
  const auto ids = crm::column_texts(call.sql(move, {t.from, t.to, t.limit}));
  crm::record_transfer(call, *t.transfer, kind, t.from, t.to, ids);
  const bool more = !call.sql(left, {t.from}).empty();
  call.reply(crm::JsonObject()
                 .field("count", static_cast<std::int64_t>(ids.size()))
                 .field("more", more)
                 .field("fromUserId", t.from)
                 .field("toUserId", t.to)
                 .str());
}

// A batch is the first rows of the owner in the order of its index
// (meetings_owner_scheduled_idx, tasks_assignee_due_idx), so each batch reads
// only about the rows it moves however many the owner has, and locks them in
// one order (two batches cannot deadlock). The ids go to the UPDATE as an
// array, found by primary key: joined to a CTE instead, the statement's
// generic plan hashed the whole table for every batch.
const char* const kMoveMeetings = R"sql(
  update meetings m set owner_id = $2::uuid, updated_at = now()
  where m.id = any (array(
    select id from meetings
    where owner_id = $1::uuid and scheduled_at > now() and deleted_at is null
    order by scheduled_at, id limit $3::int for update))
  returning m.id)sql";

const char* const kMeetingsLeft = R"sql(
  select 1 from meetings where owner_id = $1::uuid and scheduled_at > now() and deleted_at is null limit 1)sql";

const char* const kMoveTasks = R"sql(
  update tasks t set assignee_id = $2::uuid, updated_at = now()
  where t.id = any (array(
    select id from tasks
    where assignee_id = $1::uuid and status = 'OPEN' and deleted_at is null
    order by due_at, id limit $3::int for update))
  returning t.id)sql";

const char* const kTasksLeft = R"sql(
  select 1 from tasks where assignee_id = $1::uuid and status = 'OPEN' and deleted_at is null limit 1)sql";

} // namespace

void reassign_back(crm::Call& call) {
  const auto& in = call.input();
  const std::string transfer = in.required_text("transfer");
  const auto settled = crm::settle_transfer_batch(call, transfer, crm::TransferRequest::transfer_limit(in));
  std::int64_t count = 0;
  for (const auto& group : settled.groups) {
    const bool meetings = group.kind == "meeting";
    const auto back = call.sql(meetings ? "update meetings set owner_id = $1::uuid, updated_at = now() "
                                          "where id = any ($3::uuid[]) and owner_id = $2::uuid returning id"
                                        : "update tasks set assignee_id = $1::uuid, updated_at = now() "
                                          "where id = any ($3::uuid[]) and assignee_id = $2::uuid returning id",
                               {group.from, group.to, crm::uuid_array(group.ids)});
    count += static_cast<std::int64_t>(back.size());
  }
  call.reply(crm::JsonObject().field("count", count).field("more", settled.more).str());
}

void count_owned(crm::Call& call) {
  auto rows = call.sql(R"sql(
    select (select count(*) from meetings where owner_id = $1::uuid and scheduled_at > now() and deleted_at is null),
           (select count(*) from tasks where assignee_id = $1::uuid and status = 'OPEN' and deleted_at is null))sql",
                       {crm::required_uuid(call.input(), "userId")});
  call.reply(crm::JsonObject()
                 .raw("meetings", std::string(*rows.at(0, 0)))
                 .raw("tasks", std::string(*rows.at(0, 1)))
                 .str());
}

void reassign_meetings(crm::Call& call) {
  const auto t = crm::TransferRequest::of(call.input());
  if (t.transfer) return transfer_one_batch(call, t, "meeting", kMoveMeetings, kMeetingsLeft);
  const std::string moved =
      crm::run_in_batches(crm::id_batches(call.input(), "ids", true), [&](const std::optional<std::string>& ids) {
        return call.sql(R"sql(
      with batch as (
        select id from meetings
        where owner_id = $1::uuid and scheduled_at > now() and deleted_at is null
          and ($3::uuid[] is null or id = any ($3::uuid[]))
        order by id limit $4::int
        for update)
      update meetings m set owner_id = $2::uuid, updated_at = now()
      from batch where m.id = batch.id
      returning m.id)sql",
                        {t.from, t.to, ids, crm::kTransferBatchRows});
      });
  call.reply(moved_reply(t, moved));
}

void reassign_tasks(crm::Call& call) {
  const auto t = crm::TransferRequest::of(call.input());
  if (t.transfer) return transfer_one_batch(call, t, "task", kMoveTasks, kTasksLeft);
  const std::string moved =
      crm::run_in_batches(crm::id_batches(call.input(), "ids", true), [&](const std::optional<std::string>& ids) {
        return call.sql(R"sql(
      with batch as (
        select id from tasks
        where assignee_id = $1::uuid and status = 'OPEN' and deleted_at is null
          and ($3::uuid[] is null or id = any ($3::uuid[]))
        order by id limit $4::int
        for update)
      update tasks t set assignee_id = $2::uuid, updated_at = now()
      from batch where t.id = batch.id
      returning t.id)sql",
                        {t.from, t.to, ids, crm::kTransferBatchRows});
      });
  call.reply(moved_reply(t, moved));
}

void delete_customer_activity(crm::Call& call) {
  const std::string customer = crm::required_uuid(call.input(), "customerId");
  const std::vector<std::optional<std::string>> one_pass{std::nullopt};
  const std::string meetings = crm::run_in_batches(one_pass, [&](const std::optional<std::string>&) {
    return call.sql(R"sql(
      with batch as (
        select id from meetings
        where customer_id = $1::uuid and scheduled_at > now() and deleted_at is null
        order by id limit $2::int
        for update)
      update meetings m set deleted_at = now(), updated_at = now()
      from batch where m.id = batch.id
      returning m.id)sql",
                    {customer, crm::kTransferBatchRows});
  });
  const std::string tasks = crm::run_in_batches(one_pass, [&](const std::optional<std::string>&) {
    return call.sql(R"sql(
      with batch as (
        select id from tasks
        where customer_id = $1::uuid and status = 'OPEN' and deleted_at is null
        order by id limit $2::int
        for update)
      update tasks t set deleted_at = now(), updated_at = now()
      from batch where t.id = batch.id
      returning t.id)sql",
                    {customer, crm::kTransferBatchRows});
  });
  call.reply(crm::JsonObject()
                 .field("customerId", std::string_view(customer))
                 .raw("meetings", meetings)
                 .raw("tasks", tasks)
                 .str());
}

void restore_customer_activity(crm::Call& call) {
  const auto& in = call.input();
  const std::string customer = crm::required_uuid(in, "customerId");
  // Only the ids given: a restore without them could bring back rows the
  // saga never hid (deleted by their owners).
  if (!in.has("meetings")) throw crm::invalid("meetings", "is required");
  if (!in.has("tasks")) throw crm::invalid("tasks", "is required");
  const std::string meetings = crm::run_in_batches(crm::id_batches(in, "meetings", false), [&](const std::optional<
                                                                                               std::string>& ids) {
    return call.sql(R"sql(
      update meetings set deleted_at = null, updated_at = now()
      where customer_id = $1::uuid and deleted_at is not null and id = any ($2::uuid[])
      returning id)sql",
                    {customer, ids});
  });
  const std::string tasks = crm::run_in_batches(crm::id_batches(in, "tasks", false), [&](const std::optional<
                                                                                         std::string>& ids) {
    return call.sql(R"sql(
      update tasks set deleted_at = null, updated_at = now()
      where customer_id = $1::uuid and deleted_at is not null and id = any ($2::uuid[])
      returning id)sql",
                    {customer, ids});
  });
  call.reply(crm::JsonObject()
                 .field("customerId", std::string_view(customer))
                 .raw("meetings", meetings)
                 .raw("tasks", tasks)
                 .str());
}

} // namespace sales
