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
// Each is idempotent: a repeat finds nothing left to change and reports an
// empty list (a saga retrying with its idempotency key gets the first reply).
// Large owners are worked through in batches of at most kBatch rows per
// statement, all in the call's one transaction; a batch that comes back empty
// ends the loop, so rows a concurrent change took out of a batch are not
// mistaken for the end.
#include "Handlers.hpp"

#include "InputRules.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

namespace sales {

namespace {

constexpr size_t kBatch = 1000;

// The ids of `key` (an array of UUIDs) in array literals of at most kBatch;
// {nullopt} (one pass, no id filter) when the key is absent, {} when the list
// is empty. An empty object counts as an empty list: a Lua workflow cannot
// tell the two apart, and its compensation of a step that moved nothing
// hands back {}.
std::vector<std::optional<std::string>> id_batches(const crm::Input& in, const std::string& key) {
  if (!in.has(key)) return {std::nullopt};
  const auto value = in.object().get(key);
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto object = value.extract<Poco::JSON::Object::Ptr>();
    if (object && object->size() == 0) return {};
  }
  auto array = in.object().getArray(key);
  if (!array) throw crm::invalid(key, "must be an array of UUIDs");
  std::vector<std::optional<std::string>> out;
  std::vector<std::string> batch;
  for (size_t i = 0; i < array->size(); ++i) {
    auto v = array->get(static_cast<unsigned>(i));
    if (!v.isString() || !is_uuid(v.toString())) throw crm::invalid(key, "must be an array of UUIDs");
    batch.push_back(lower_ascii(v.toString()));
    if (batch.size() == kBatch) out.emplace_back(uuid_array(batch)), batch.clear();
  }
  if (!batch.empty()) out.emplace_back(uuid_array(batch));
  return out;
}

// Calls `run(batch)` (one statement changing at most kBatch rows and
// returning their ids) until it changes nothing, for each id batch. Returns
// the changed ids as a JSON array.
template <class Statement>
std::string run_in_batches(const std::vector<std::optional<std::string>>& batches, Statement run) {
  std::string ids = "[";
  for (const auto& batch : batches) {
    for (;;) {
      const crm::Rows rows = run(batch);
      for (size_t i = 0; i < rows.size(); ++i) {
        if (ids.size() > 1) ids.push_back(',');
        crm::append_json_string(ids, *rows.at(i, 0));
      }
      if (rows.empty()) break;
    }
  }
  return ids + "]";
}

constexpr std::int64_t kBatchRows = static_cast<std::int64_t>(kBatch);

struct Transfer {
  std::string from, to;
  std::vector<std::optional<std::string>> batches;
  static Transfer of(const crm::Input& in) {
    Transfer t{required_uuid(in, "fromUserId"), required_uuid(in, "toUserId"), id_batches(in, "ids")};
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

} // namespace

void reassign_meetings(crm::Call& call) {
  const Transfer t = Transfer::of(call.input());
  const std::string moved = run_in_batches(t.batches, [&](const std::optional<std::string>& ids) {
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
                    {t.from, t.to, ids, kBatchRows});
  });
  call.reply(t.reply(moved));
}

void reassign_tasks(crm::Call& call) {
  const Transfer t = Transfer::of(call.input());
  const std::string moved = run_in_batches(t.batches, [&](const std::optional<std::string>& ids) {
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
                    {t.from, t.to, ids, kBatchRows});
  });
  call.reply(t.reply(moved));
}

void delete_customer_activity(crm::Call& call) {
  const std::string customer = required_uuid(call.input(), "customerId");
  const std::vector<std::optional<std::string>> one_pass{std::nullopt};
  const std::string meetings = run_in_batches(one_pass, [&](const std::optional<std::string>&) {
    return call.sql(R"sql(
      with batch as (
        select id from meetings
        where customer_id = $1::uuid and scheduled_at > now() and deleted_at is null
        order by id limit $2::int
        for update)
      update meetings m set deleted_at = now(), updated_at = now()
      from batch where m.id = batch.id
      returning m.id)sql",
                    {customer, kBatchRows});
  });
  const std::string tasks = run_in_batches(one_pass, [&](const std::optional<std::string>&) {
    return call.sql(R"sql(
      with batch as (
        select id from tasks
        where customer_id = $1::uuid and status = 'OPEN' and deleted_at is null
        order by id limit $2::int
        for update)
      update tasks t set deleted_at = now(), updated_at = now()
      from batch where t.id = batch.id
      returning t.id)sql",
                    {customer, kBatchRows});
  });
  call.reply(crm::JsonObject()
                 .field("customerId", std::string_view(customer))
                 .raw("meetings", meetings)
                 .raw("tasks", tasks)
                 .str());
}

void restore_customer_activity(crm::Call& call) {
  const auto& in = call.input();
  const std::string customer = required_uuid(in, "customerId");
  // Only the ids given: a restore without them could bring back rows the
  // saga never hid (deleted by their owners).
  if (!in.has("meetings")) throw crm::invalid("meetings", "is required");
  if (!in.has("tasks")) throw crm::invalid("tasks", "is required");
  const std::string meetings = run_in_batches(id_batches(in, "meetings"), [&](const std::optional<std::string>& ids) {
    return call.sql(R"sql(
      update meetings set deleted_at = null, updated_at = now()
      where customer_id = $1::uuid and deleted_at is not null and id = any ($2::uuid[])
      returning id)sql",
                    {customer, ids});
  });
  const std::string tasks = run_in_batches(id_batches(in, "tasks"), [&](const std::optional<std::string>& ids) {
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
