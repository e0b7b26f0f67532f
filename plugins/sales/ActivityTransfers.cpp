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
// Every statement that moves meetings or tasks announces them, one
// meeting.reassigned / task.reassigned per statement (ReassignedEvents.hpp),
// so the read-models count them for their new owner. The customer-deletion
// steps emit nothing: analytics.drop_customer, the saga's own step, takes the
// same records out of the read-models.
//
// Each is idempotent: a repeat finds nothing left to change and reports an
// empty list (a saga retrying with its idempotency key gets the first reply).
// Large owners are worked through in batches of at most crm::kTransferBatch
// rows per statement (crm/sdk/batched_transfers.hpp), all in the call's one transaction; a batch that comes back empty
// ends the loop, so rows a concurrent change took out of a batch are not
// mistaken for the end.
#include "Handlers.hpp"

#include "ReassignedEvents.hpp"

#include <crm/sdk/batched_transfers.hpp>
#include <crm/sdk/input_rules.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <vector>

namespace sales {

namespace {

struct Transfer {
  std::string from, to;
  std::vector<std::optional<std::string>> batches;
  static Transfer of(const crm::Input& in) {
    Transfer t{crm::required_uuid(in, "fromUserId"), crm::required_uuid(in, "toUserId"),
               crm::id_batches(in, "ids", true)};
    if (t.from == t.to) throw crm::invalid("toUserId", "must differ from fromUserId");
    return t;
  }
  std::string reply(const std::string& moved) const {
    return crm::JsonObject()
        .raw("moved", moved)
        .field("fromUserId", std::string_view(from))
        .field("toUserId", std::string_view(to))
        .str();
  }
};

// run_in_batches for a move: `run` returns the moved rows' ids and versions,
// and each statement's rows are announced.
template <class Statement>
std::string move_in_batches(crm::Call& call, const Transfer& t, const char* kind, Statement run) {
  std::string ids = "[";
  for (const auto& batch : t.batches) {
    for (;;) {
      const MovedBatch moved = moved_batch(run(batch));
      if (moved.count == 0) break;
      if (ids.size() > 1) ids.push_back(',');
      ids.append(moved.ids, 1, moved.ids.size() - 2);
      announce_reassigned(call, kind, t.from, t.to, moved, std::nullopt);
    }
  }
  return ids + "]";
}

} // namespace

namespace {

// One batch of a recorded transfer of `kind`: `move` is the statement that
// picks and moves the rows ($1 from, $2 to, $3 limit), returning their ids;
// `left` ($1 from) finds whether any are left to move. A short batch is no
// proof of the end (a concurrent change may take rows out of it), and a full
// last one needs no empty call after it.
void transfer_one_batch(crm::Call& call, const Transfer& t, const std::string& transfer, const char* kind,
                        const std::string& move, const char* left) {
  const std::int64_t limit = crm::TransferRequest::transfer_limit(call.input());
  auto rows = call.sql("with moved as (" + move + "), recorded as (insert into transfers (transfer, kind, id, "
                       "from_user, to_user) select $4, $5, id, $1::uuid, $2::uuid from moved on conflict do nothing "
                       "returning id) select id, version, (select count(*) from recorded) from moved",
                       {t.from, t.to, limit, transfer, std::string(kind)});
  // Rows are gone after the next sql().
  const std::int64_t count = rows.empty() ? 0 : std::stoll(std::string(*rows.at(0, 2)));
  const MovedBatch batch = moved_batch(rows);
  announce_reassigned(call, kind, t.from, t.to, batch, transfer);
  const bool more = !call.sql(left, {t.from}).empty();
  call.reply(crm::JsonObject()
                 .field("count", count)
                 .field("more", more)
                 .field("fromUserId", std::string_view(t.from))
                 .field("toUserId", std::string_view(t.to))
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
  returning m.id, m.version)sql";

const char* const kMeetingsLeft = R"sql(
  select 1 from meetings where owner_id = $1::uuid and scheduled_at > now() and deleted_at is null limit 1)sql";

const char* const kMoveTasks = R"sql(
  update tasks t set assignee_id = $2::uuid, updated_at = now()
  where t.id = any (array(
    select id from tasks
    where assignee_id = $1::uuid and status = 'OPEN' and deleted_at is null
    order by due_at, id limit $3::int for update))
  returning t.id, t.version)sql";

const char* const kTasksLeft = R"sql(
  select 1 from tasks where assignee_id = $1::uuid and status = 'OPEN' and deleted_at is null limit 1)sql";

} // namespace

void reassign_back(crm::Call& call) {
  const auto& in = call.input();
  const std::string transfer = in.required_text("transfer");
  const std::int64_t limit = crm::TransferRequest::transfer_limit(in);
  // Every recorded row is settled (taken off the record) whether or not it can
  // go back: its new owner may have passed it on since. What went back is
  // announced per kind and pair of users (the third column).
  auto rows = call.sql(R"sql(
    with batch as (select kind, id from transfers where transfer = $1 order by kind, id limit $2::int),
    settled as (delete from transfers t using batch b where t.transfer = $1 and t.kind = b.kind and t.id = b.id
                returning t.kind, t.id, t.from_user, t.to_user),
    meetings_back as (update meetings m set owner_id = s.from_user, updated_at = now() from settled s
                      where s.kind = 'meeting' and m.id = s.id and m.owner_id = s.to_user
                      returning m.id, m.version, s.from_user, s.to_user),
    tasks_back as (update tasks t set assignee_id = s.from_user, updated_at = now() from settled s
                   where s.kind = 'task' and t.id = s.id and t.assignee_id = s.to_user
                   returning t.id, t.version, s.from_user, s.to_user),
    back as (select 'meeting' as kind, b.* from meetings_back b union all select 'task', b.* from tasks_back b)
    select (select count(*) from settled), (select count(*) from back),
           (select coalesce(json_agg(json_build_object('kind', g.kind, 'data', json_build_object(
                      'fromUserId', g.to_user, 'toUserId', g.from_user, 'ids', g.ids, 'versions', g.versions,
                      'transfer', $1::text))), '[]')
            from (select kind, from_user, to_user, json_agg(id order by id) as ids,
                         json_agg(version order by id) as versions
                  from back group by kind, from_user, to_user) g))sql",
                       {transfer, limit});
  const std::int64_t settled = std::stoll(std::string(*rows.at(0, 0)));
  const std::string moved_back(*rows.at(0, 1));
  announce_reassigned_groups(call, std::string(*rows.at(0, 2)));
  call.reply(crm::JsonObject()
                 .raw("count", moved_back)
                 .field("more", settled == limit)
                 .str());
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
  const Transfer t = Transfer::of(call.input());
  if (auto transfer = call.input().text("transfer"))
    return transfer_one_batch(call, t, *transfer, "meeting", kMoveMeetings, kMeetingsLeft);
  const std::string moved = move_in_batches(call, t, "meeting", [&](const std::optional<std::string>& ids) {
    return call.sql(R"sql(
      with batch as (
        select id from meetings
        where owner_id = $1::uuid and scheduled_at > now() and deleted_at is null
          and ($3::uuid[] is null or id = any ($3::uuid[]))
        order by id limit $4::int
        for update)
      update meetings m set owner_id = $2::uuid, updated_at = now()
      from batch where m.id = batch.id
      returning m.id, m.version)sql",
                    {t.from, t.to, ids, crm::kTransferBatchRows});
  });
  call.reply(t.reply(moved));
}

void reassign_tasks(crm::Call& call) {
  const Transfer t = Transfer::of(call.input());
  if (auto transfer = call.input().text("transfer"))
    return transfer_one_batch(call, t, *transfer, "task", kMoveTasks, kTasksLeft);
  const std::string moved = move_in_batches(call, t, "task", [&](const std::optional<std::string>& ids) {
    return call.sql(R"sql(
      with batch as (
        select id from tasks
        where assignee_id = $1::uuid and status = 'OPEN' and deleted_at is null
          and ($3::uuid[] is null or id = any ($3::uuid[]))
        order by id limit $4::int
        for update)
      update tasks t set assignee_id = $2::uuid, updated_at = now()
      from batch where t.id = batch.id
      returning t.id, t.version)sql",
                    {t.from, t.to, ids, crm::kTransferBatchRows});
  });
  call.reply(t.reply(moved));
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
  const std::string meetings = crm::run_in_batches(crm::id_batches(in, "meetings", false), [&](const std::optional<std::string>& ids) {
    return call.sql(R"sql(
      update meetings set deleted_at = null, updated_at = now()
      where customer_id = $1::uuid and deleted_at is not null and id = any ($2::uuid[])
      returning id)sql",
                    {customer, ids});
  });
  const std::string tasks = crm::run_in_batches(crm::id_batches(in, "tasks", false), [&](const std::optional<std::string>& ids) {
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
