// The opportunity plugin's saga operations, driven by small sagas deployed on
// a running host: reassigning a user's pending approvals (as requester and as
// approver) moves exactly those and its compensation exactly those back;
// cancelling a customer's pending approvals is undone by restoring exactly
// those, which deal_approval then takes up where they stood.
#include "support/ApprovalHost.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace itest;

namespace {

// A saga whose step "approvals" runs `call` with the instance's input,
// compensated by `compensate`; with `then_fail`, a second step fails (it
// reads an approval that does not exist), so the first is compensated.
std::string saga_source(const std::string& name, const std::string& call, const std::string& compensate,
                        bool then_fail) {
  std::string source = "return saga \"" + name + "\" {\n  trigger = manual,\n  steps = {\n" +
                       "    step \"approvals\" { call = \"" + call + "\", compensate = \"" + compensate + "\" },\n";
  if (then_fail)
    source += "    step \"fails\" { call = \"opportunity.get\", input = { id = \"" + random_uuid() + "\" } },\n";
  return source + "  },\n}\n";
}

struct SagaRunner {
  explicit SagaRunner(ApprovalHost& host) : h(host) {}
  ApprovalHost& h;
  std::string last_instance; // of the last run()

  void deploy(const std::string& name, const std::string& source) {
    auto r =
        h.auth().http().request("PUT", "/api/workflows/" + name, source,
                                {{"Authorization", bearer(h.admin().access_token)}, {"Content-Type", "text/x-lua"}});
    INFO(r.body);
    REQUIRE(r.status == 201);
  }
  // Starts `name` with `input` and waits for it to end in `status`; returns
  // the reply of its first step, forward, and of its compensation ("" when none).
  std::pair<Poco::JSON::Object::Ptr, Poco::JSON::Object::Ptr> run(const std::string& name, const std::string& input,
                                                                  const std::string& status) {
    auto started =
        h.auth().http().post("/api/workflows/" + name + "/instances", "{\"input\":" + input + "}",
                             {{"Authorization", bearer(h.admin().access_token)}, {"Content-Type", "application/json"}});
    INFO(started.body);
    REQUIRE(started.status == 201);
    const std::string id = text_of(started.json(), "id");
    std::string last;
    const bool ended = eventually(
        [&] {
          last = h.sql().scalar("select status from platform.workflow_instances where id = $1", {id}).value_or("");
          return last == status;
        },
        std::chrono::seconds(20));
    INFO("saga " << name << " is " << last << "\n" << h.auth().host().process().log_tail(30));
    REQUIRE(ended);
    last_instance = id;
    auto result = [&](const std::string& phase) -> Poco::JSON::Object::Ptr {
      auto rows = h.sql().query("select result::text from platform.workflow_steps where instance_id = $1 and name = "
                                "'approvals' and phase = $2 and status = 'COMPLETED'",
                                {id, phase});
      if (rows.empty()) return nullptr;
      REQUIRE(rows.size() == 1);
      Poco::JSON::Parser parser;
      return parser.parse(*rows[0][0]).extract<Poco::JSON::Object::Ptr>();
    };
    return {result("forward"), result("compensate")};
  }
  // ctx.results of the last run's instance.
  Poco::JSON::Object::Ptr results() {
    auto vars = h.sql().scalar("select vars::text from platform.workflow_instances where id = $1", {last_instance});
    REQUIRE(vars);
    Poco::JSON::Parser parser;
    auto results = parser.parse(*vars).extract<Poco::JSON::Object::Ptr>()->getObject("results");
    REQUIRE(results);
    return results;
  }
};

// The batched form, as the reassignment saga runs it: a batch of at most 10
// per call under a transfer named after the instance, moved back exactly by
// the compensation; then, unless told to fail, a count of what `to` holds.
constexpr const char* kBatchedSaga = R"lua(
return saga "batched_approvals" {
  trigger = manual,
  steps = {
    step "approvals" { call = "opportunity.reassign", compensate = "opportunity.reassign_back", batched = true,
      input = function(ctx)
        return { fromUserId = ctx.input.fromUserId, toUserId = ctx.input.toUserId,
                 transfer = ctx.instance .. ":approvals", limit = 10 }
      end,
      compensate_input = function(ctx) return { transfer = ctx.instance .. ":approvals", limit = 10 } end },
    step "count" { call = "opportunity.count_owned",
      input = function(ctx)
        if ctx.input.fail then return {} end -- refused: no userId
        return { userId = ctx.input.toUserId }
      end },
  },
}
)lua";

// Every approval's (requester, current approver, status).
std::map<std::string, std::string> holders(Sql sql) {
  std::map<std::string, std::string> out;
  for (const auto& row : sql.query("select id::text, requester_id::text || ' ' || coalesce(current_approver_id::text, "
                                   "'-') || ' ' || status from opportunity.approvals"))
    out[*row[0]] = *row[1];
  return out;
}

std::set<std::string> ids_in(const Poco::JSON::Object::Ptr& reply, const std::string& key) {
  std::set<std::string> out;
  auto list = reply->getArray(key);
  REQUIRE(list);
  for (size_t i = 0; i < list->size(); ++i) out.insert(list->getElement<std::string>(static_cast<unsigned>(i)));
  return out;
}

} // namespace

TEST_CASE("reassigning pending approvals moves exactly those per kind - the compensation moves exactly those back",
          "[approvals][saga]") {
  ApprovalHost h;
  Account leaving = h.auth().create_user("MANAGER");   // approves its team's deals, and requests one itself
  Account successor = h.auth().create_user("MANAGER"); // has its own team's deal to approve already
  Account seller = h.auth().create_user("SALES", leaving.id);
  Account other_seller = h.auth().create_user("SALES", successor.id);
  const std::string customer = h.create_customer(seller, "Ada");
  const std::string others_customer = h.create_customer(other_seller, "Bob");
  const std::string leaving_customer = h.create_customer(leaving, "Cy");
  const std::string to_decide = text_of(h.request(seller, customer, "100"), "id");
  const std::string decided = text_of(h.request(seller, customer, "200"), "id");
  const std::string own = text_of(h.request(leaving, leaving_customer, "300"), "id");
  const std::string successors = text_of(h.request(other_seller, others_customer, "400"), "id");
  h.wait_for_approver(to_decide, leaving.id, 1);
  h.wait_for_approver(decided, leaving.id, 1);
  h.wait_for_approver(successors, successor.id, 1);
  REQUIRE(h.as(leaving, "PATCH", "/api/approvals/" + decided + "/approve", "{}").status == 200);
  // `own` goes to an ADMIN: its requester has no manager.
  h.wait_for_approver(own, h.admin().id, 1);

  SagaRunner sagas(h);
  sagas.deploy("reassign_failing",
               saga_source("reassign_failing", "opportunity.reassign", "opportunity.reassign_undo", true));
  sagas.deploy("reassign", saga_source("reassign", "opportunity.reassign", "opportunity.reassign_undo", false));
  const std::string input = R"({"fromUserId":")" + leaving.id + R"(","toUserId":")" + successor.id + R"("})";
  auto [moved, undone] = sagas.run("reassign_failing", input, "COMPENSATED");
  REQUIRE(moved);
  REQUIRE(undone);
  CHECK(ids_in(moved, "approving") == std::set<std::string>{to_decide});
  CHECK(ids_in(moved, "requested") == std::set<std::string>{own});
  CHECK(ids_in(undone, "approving") == std::set<std::string>{to_decide});
  CHECK(ids_in(undone, "requested") == std::set<std::string>{own});
  // Back as they were; the successor's own deal stayed where it was.
  CHECK(text_of(h.approval(h.admin(), to_decide), "currentApproverId") == leaving.id);
  CHECK(text_of(h.approval(h.admin(), own), "requesterId") == leaving.id);
  CHECK(text_of(h.approval(h.admin(), successors), "currentApproverId") == successor.id);
  CHECK(text_of(h.approval(h.admin(), decided), "status") == "APPROVED");
  CHECK(ApprovalHost::history_of(h.approval(h.admin(), to_decide)) ==
        std::vector<std::string>{"REQUESTED 0", "ASSIGNED 1 " + leaving.id,
                                 "ASSIGNED 1 " + successor.id + " after " + leaving.id,
                                 "ASSIGNED 1 " + leaving.id + " after " + successor.id});

  // Once its approver, the successor keeps seeing it (the approver chain).
  CHECK(h.as(successor, "GET", "/api/approvals/" + to_decide).status == 200);

  // For real this time: the successor decides it now, and sees the deal.
  auto [kept, none] = sagas.run("reassign", input, "COMPLETED");
  REQUIRE(kept);
  CHECK(!none);
  CHECK(ids_in(kept, "approving") == std::set<std::string>{to_decide});
  REQUIRE(h.as(successor, "PATCH", "/api/approvals/" + to_decide + "/approve", "{}").status == 200);
  CHECK(text_of(h.approval(successor, own), "requesterId") == successor.id);
}

TEST_CASE("cancelling a customer's pending approvals is undone by restoring exactly those, routed on from where they "
          "stood",
          "[approvals][saga]") {
  ApprovalHost h;
  Account manager = h.auth().create_user("MANAGER");
  Account seller = h.auth().create_user("SALES", manager.id);
  const std::string customer = h.create_customer(seller, "Ada");
  const std::string other_customer = h.create_customer(seller, "Bob");
  const std::string pending = text_of(h.request(seller, customer, "100"), "id");
  const std::string cancelled_before = text_of(h.request(seller, customer, "200"), "id");
  const std::string elsewhere = text_of(h.request(seller, other_customer, "300"), "id");
  h.wait_for_approver(pending, manager.id, 1);
  h.wait_for_approver(cancelled_before, manager.id, 1);
  h.wait_for_approver(elsewhere, manager.id, 1);
  REQUIRE(h.as(seller, "PATCH", "/api/approvals/" + cancelled_before + "/cancel", "{}").status == 200);

  SagaRunner sagas(h);
  sagas.deploy("customer_failing", saga_source("customer_failing", "opportunity.cancel_for_customer",
                                               "opportunity.restore_for_customer", true));
  auto [cancelled, restored] = sagas.run("customer_failing", R"({"customerId":")" + customer + R"("})", "COMPENSATED");
  REQUIRE(cancelled);
  REQUIRE(restored);
  CHECK(ids_in(cancelled, "cancelled") == std::set<std::string>{pending});
  CHECK(ids_in(restored, "cancelled") == std::set<std::string>{pending});
  CHECK(text_of(h.approval(h.admin(), cancelled_before), "status") == "CANCELLED");
  CHECK(text_of(h.approval(h.admin(), elsewhere), "status") == "PENDING");
  CHECK(h.events("approval.cancelled", pending) == 1);
  CHECK(h.events("approval.requested", pending) == 2);

  // Back with its approver; a new deal_approval instance waits for the decision.
  auto back = h.approval(h.admin(), pending);
  CHECK(text_of(back, "status") == "PENDING");
  CHECK(text_of(back, "currentApproverId") == manager.id);
  CHECK(text_of(back, "decidedAt").empty());
  CHECK(ApprovalHost::history_of(back) == std::vector<std::string>{"REQUESTED 0", "ASSIGNED 1 " + manager.id,
                                                                   "CANCELLED 1 " + manager.id,
                                                                   "REQUESTED 1 " + manager.id});
  REQUIRE(eventually(
      [&] {
        return h.sql().count("select count(*) from platform.workflow_instances where name = 'deal_approval' and "
                             "vars ->> 'id' = $1 and status = 'WAITING' and state = 'awaiting_decision'",
                             {pending}) == 1;
      },
      std::chrono::seconds(20)));
  auto approved = h.as(manager, "PATCH", "/api/approvals/" + pending + "/approve", "{}");
  INFO(approved.body);
  REQUIRE(approved.status == 200);
  CHECK(text_of(approved.json(), "status") == "APPROVED");
  REQUIRE(eventually(
      [&] {
        return h.sql().count("select count(*) from platform.workflow_instances where name = 'deal_approval' and "
                             "vars ->> 'id' = $1 and status = 'COMPLETED'",
                             {pending}) == 2;
      },
      std::chrono::seconds(20)));
}

TEST_CASE("a batched reassignment moves a user's pending approvals a batch per call - its compensation moves back "
          "exactly those",
          "[approvals][saga]") {
  ApprovalHost h;
  Account leaving = h.auth().create_user("MANAGER");
  Account successor = h.auth().create_user("MANAGER");
  Account seller = h.auth().create_user("SALES", leaving.id);
  const std::string customer = h.create_customer(seller, "Ada");
  const std::string own = text_of(h.request(leaving, h.create_customer(leaving, "Bob"), "300"), "id");
  const std::string decided = text_of(h.request(seller, customer, "200"), "id");
  h.wait_for_approver(own, h.admin().id, 1);
  h.wait_for_approver(decided, leaving.id, 1);
  REQUIRE(h.as(leaving, "PATCH", "/api/approvals/" + decided + "/approve", "{}").status == 200);
  // 24 more for the leaving manager to decide, and one it both requested and decides.
  auto sql = h.sql();
  sql.query(
      "insert into opportunity.approvals (customer_id, requester_id, title, amount, level, required_levels, "
      "current_approver_id) select $1::uuid, $2::uuid, 'Bulk ' || n, n, 1, 1, $3::uuid from generate_series(1, 24) n",
      {customer, seller.id, leaving.id});
  sql.query("insert into opportunity.approvals (customer_id, requester_id, title, amount, level, required_levels, "
            "current_approver_id) values ($1::uuid, $2::uuid, 'Both', 1, 1, 1, $2::uuid)",
            {customer, leaving.id});
  const auto before = holders(h.sql());

  SagaRunner sagas(h);
  sagas.deploy("batched_approvals", kBatchedSaga);
  const std::string input = R"({"fromUserId":")" + leaving.id + R"(","toUserId":")" + successor.id + R"(")";
  sagas.run("batched_approvals", input + R"(,"fail":true})", "COMPENSATED");
  CHECK(holders(h.sql()) == before);
  CHECK(h.sql().count("select count(*) from opportunity.transfers") == 0);
  // 26 approvals, at most 10 a call: 10, 10 and 6.
  CHECK(h.sql().count("select count(*) from platform.workflow_steps where instance_id = $1 and phase = 'forward' "
                      "and name like 'approvals%' and status = 'COMPLETED'",
                      {sagas.last_instance}) == 3);

  sagas.run("batched_approvals", input + R"(,"fail":false})", "COMPLETED");
  auto results = sagas.results();
  auto moved = results->getObject("approvals");
  CHECK(moved->getValue<int>("count") == 26);
  CHECK(moved->getValue<int>("requested") == 2); // `own` and "Both"
  CHECK(moved->getValue<int>("approving") == 25);
  auto owned = results->getObject("count");
  CHECK(owned->getValue<int>("requested") == 2);
  CHECK(owned->getValue<int>("approving") == 25);
  CHECK(h.sql().count("select count(*) from opportunity.approvals where status = 'PENDING' and "
                      "(requester_id = $1 or current_approver_id = $1)",
                      {leaving.id}) == 0);
  CHECK(text_of(h.approval(h.admin(), decided), "status") == "APPROVED");
  CHECK(text_of(h.approval(successor, own), "requesterId") == successor.id);
}
