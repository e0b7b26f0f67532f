// Approval requests routed by the shipped deal_approval workflow on a running
// host: the requester's manager decides small deals, the manager and then an
// ADMIN large ones; only the current approver (or an ADMIN) decides, once; a
// level nobody decides in time escalates; an edit of the thresholds applies
// to new requests only; amounts in other currencies are compared in EUR.
#include "support/ApprovalHost.hpp"

#include <catch2/catch.hpp>

using namespace itest;

namespace {

// A requester with a manager, who has a manager too (a MANAGER at the top).
struct Hierarchy {
  Account top;     // MANAGER, no manager
  Account manager; // MANAGER under top
  Account seller;  // SALES under manager: requests approvals
  std::string customer;

  explicit Hierarchy(ApprovalHost& h)
      : top(h.auth().create_user("MANAGER")), manager(h.auth().create_user("MANAGER", top.id)),
        seller(h.auth().create_user("SALES", manager.id)), customer(h.create_customer(seller, "Ada Lovelace")) {}
};

} // namespace

TEST_CASE("a deal below the threshold goes to the requester's manager, whose approval ends it", "[approvals]") {
  ApprovalHost h;
  Hierarchy people(h);
  auto requested = h.request(people.seller, people.customer, "250000.50");
  const std::string id = text_of(requested, "id");
  CHECK(text_of(requested, "status") == "PENDING");
  CHECK(text_of(requested, "requesterId") == people.seller.id);
  CHECK(text_of(requested, "currency") == "EUR");
  CHECK(requested->getValue<double>("amount") == 250000.50);
  CHECK(requested->getValue<int>("level") == 0);
  CHECK(h.events("approval.requested", id) == 1);

  auto routed = h.wait_for_approver(id, people.manager.id, 1);
  CHECK(routed->getValue<int>("requiredLevels") == 1);
  CHECK(ApprovalHost::history_of(routed) == std::vector<std::string>{"REQUESTED 0", "ASSIGNED 1 " + people.manager.id});

  auto approved = h.as(people.manager, "PATCH", "/api/approvals/" + id + "/approve", R"({"comment":"good margin"})");
  INFO(approved.body);
  REQUIRE(approved.status == 200);
  CHECK(text_of(approved.json(), "status") == "APPROVED");
  CHECK(text_of(approved.json(), "currentApproverId").empty());
  CHECK(!text_of(approved.json(), "decidedAt").empty());

  // The requester sees the outcome and who decided it.
  auto seen = h.approval(people.seller, id);
  CHECK(text_of(seen, "status") == "APPROVED");
  CHECK(ApprovalHost::history_of(seen) ==
        std::vector<std::string>{"REQUESTED 0", "ASSIGNED 1 " + people.manager.id, "APPROVED 1 " + people.manager.id});
  auto last = seen->getArray("history")->getObject(2);
  CHECK(text_of(last, "actorId") == people.manager.id);
  CHECK(text_of(last, "comment") == "good margin");

  // The workflow ended on that approval; it was announced once, with who and why.
  h.wait_for_instance(id, "COMPLETED");
  CHECK(h.events("approval.approved", id) == 1);
  CHECK(h.events("approval.level_approved", id) == 0);
  auto data = h.event_data("approval.approved", id);
  CHECK(text_of(data, "decidedBy") == people.manager.id);
  CHECK(text_of(data, "comment") == "good margin");
  CHECK(text_of(data, "status") == "APPROVED");
  CHECK(!data->has("history"));
  auto assigned = h.event_data("approval.assigned", id);
  CHECK(text_of(assigned, "currentApproverId") == people.manager.id);
  CHECK(assigned->getValue<bool>("escalated") == false);
  CHECK(assigned->isNull("previousApproverId"));
}

TEST_CASE("a deal above the threshold needs the manager and then an ADMIN, in that order", "[approvals]") {
  ApprovalHost h;
  Hierarchy people(h);
  const std::string id = text_of(h.request(people.seller, people.customer, "2500000"), "id");

  auto first = h.wait_for_approver(id, people.manager.id, 1);
  CHECK(first->getValue<int>("requiredLevels") == 2);
  // Level 1 approved: the approval stays PENDING, without an approver until
  // the workflow assigns level 2.
  auto level_one = h.as(people.manager, "PATCH", "/api/approvals/" + id + "/approve", "{}");
  INFO(level_one.body);
  REQUIRE(level_one.status == 200);
  CHECK(text_of(level_one.json(), "status") == "PENDING");
  CHECK(text_of(level_one.json(), "currentApproverId").empty());
  CHECK(h.events("approval.level_approved", id) == 1);
  CHECK(text_of(h.event_data("approval.level_approved", id), "decidedBy") == people.manager.id);

  h.wait_for_approver(id, h.admin().id, 2);
  auto final_level = h.as(h.admin(), "PATCH", "/api/approvals/" + id + "/approve", R"({"comment":"ok"})");
  INFO(final_level.body);
  REQUIRE(final_level.status == 200);
  auto done = final_level.json();
  CHECK(text_of(done, "status") == "APPROVED");
  CHECK(ApprovalHost::history_of(done) ==
        std::vector<std::string>{"REQUESTED 0", "ASSIGNED 1 " + people.manager.id, "APPROVED 1 " + people.manager.id,
                                 "ASSIGNED 2 " + h.admin().id, "APPROVED 2 " + h.admin().id});
  h.wait_for_instance(id, "COMPLETED");
  CHECK(h.events("approval.assigned", id) == 2);
  CHECK(h.events("approval.level_approved", id) == 1);
  CHECK(h.events("approval.approved", id) == 1);
}

TEST_CASE("only the current approver decides, once - a rejection needs a comment - only the requester cancels",
          "[approvals]") {
  ApprovalHost h;
  Hierarchy people(h);
  Account stranger = h.auth().create_user("SALES");
  const std::string id = text_of(h.request(people.seller, people.customer, "1000"), "id");
  h.wait_for_approver(id, people.manager.id, 1);
  const std::string approve = "/api/approvals/" + id + "/approve";
  const std::string reject = "/api/approvals/" + id + "/reject";

  // Those who see it but are not its approver: 403; a stranger: 404.
  require_problem(h.as(people.seller, "PATCH", approve, "{}"), 403);
  require_problem(h.as(people.top, "PATCH", approve, "{}"), 403);
  require_problem(h.as(stranger, "PATCH", approve, "{}"), 404);
  require_problem(h.as(stranger, "PATCH", reject, R"({"comment":"no"})"), 404);
  auto unchanged = h.approval(h.admin(), id);
  CHECK(text_of(unchanged, "status") == "PENDING");
  CHECK(ApprovalHost::history_of(unchanged).size() == 2);

  // A rejection says why.
  CHECK(error_fields(require_problem(h.as(people.manager, "PATCH", reject, "{}"), 422)) ==
        std::vector<std::string>{"comment"});
  CHECK(error_fields(require_problem(h.as(people.manager, "PATCH", reject, R"({"comment":"   "})"), 422)) ==
        std::vector<std::string>{"comment"});
  CHECK(text_of(h.approval(h.admin(), id), "status") == "PENDING");

  auto rejected = h.as(people.manager, "PATCH", reject, R"({"comment":"price too low"})");
  INFO(rejected.body);
  REQUIRE(rejected.status == 200);
  CHECK(text_of(rejected.json(), "status") == "REJECTED");
  CHECK(text_of(h.event_data("approval.rejected", id), "comment") == "price too low");
  // Decided: a second decision of either kind is a conflict, also for an ADMIN.
  require_problem(h.as(people.manager, "PATCH", approve, "{}"), 409);
  require_problem(h.as(people.manager, "PATCH", reject, R"({"comment":"again"})"), 409);
  require_problem(h.as(h.admin(), "PATCH", approve, "{}"), 409);
  CHECK(h.events("approval.rejected", id) == 1);
  CHECK(h.events("approval.approved", id) == 0);
  h.wait_for_instance(id, "COMPLETED");

  // Cancelling is the requester's alone.
  const std::string other = text_of(h.request(people.seller, people.customer, "2000"), "id");
  h.wait_for_approver(other, people.manager.id, 1);
  const std::string cancel = "/api/approvals/" + other + "/cancel";
  require_problem(h.as(stranger, "PATCH", cancel, "{}"), 404);
  require_problem(h.as(people.manager, "PATCH", cancel, "{}"), 403);
  require_problem(h.as(h.admin(), "PATCH", cancel, "{}"), 403);
  auto cancelled = h.as(people.seller, "PATCH", cancel, R"({"comment":"customer went elsewhere"})");
  INFO(cancelled.body);
  REQUIRE(cancelled.status == 200);
  CHECK(text_of(cancelled.json(), "status") == "CANCELLED");
  CHECK(text_of(cancelled.json(), "currentApproverId").empty());
  require_problem(h.as(people.seller, "PATCH", cancel, "{}"), 409);
  require_problem(h.as(people.manager, "PATCH", "/api/approvals/" + other + "/approve", "{}"), 409);
  CHECK(h.events("approval.cancelled", other) == 1);
  // The cancellation ends the workflow's wait.
  h.wait_for_instance(other, "COMPLETED");
}

TEST_CASE("a level nobody decides in time escalates to the approver's manager, then to an ADMIN", "[approvals]") {
  ApprovalHost h;
  Hierarchy people(h);
  h.deploy(deal_approval_source({{"DECISION_TIMEOUT = \"48h\"", "DECISION_TIMEOUT = \"2s\""}}));
  const std::string id = text_of(h.request(people.seller, people.customer, "5000"), "id");
  h.wait_for_approver(id, people.manager.id, 1);

  // Two seconds later the level is the top manager's, two more an ADMIN's
  // (the top manager has no manager); above the ADMIN there is nobody, so
  // the workflow waits without a deadline.
  auto escalated = h.wait_for_approver(id, people.top.id, 1, std::chrono::seconds(15));
  h.wait_for_approver(id, h.admin().id, 1, std::chrono::seconds(15));
  h.wait_for_instance(id, "WAITING", "awaiting_decision_at_the_top");
  auto at_top = h.approval(h.admin(), id);
  CHECK(ApprovalHost::history_of(at_top) ==
        std::vector<std::string>{"REQUESTED 0", "ASSIGNED 1 " + people.manager.id,
                                 "ESCALATED 1 " + people.top.id + " after " + people.manager.id,
                                 "ESCALATED 1 " + h.admin().id + " after " + people.top.id});
  CHECK(at_top->getValue<int>("level") == 1);
  CHECK(h.events("approval.assigned", id) == 3);

  // Past approvers still see it, but no longer decide it.
  CHECK(text_of(h.approval(people.manager, id), "status") == "PENDING");
  require_problem(h.as(people.manager, "PATCH", "/api/approvals/" + id + "/approve", "{}"), 403);
  auto approved = h.as(h.admin(), "PATCH", "/api/approvals/" + id + "/approve", "{}");
  INFO(approved.body);
  REQUIRE(approved.status == 200);
  CHECK(text_of(approved.json(), "status") == "APPROVED");
  h.wait_for_instance(id, "COMPLETED");
}

TEST_CASE("new thresholds apply to new requests only", "[approvals]") {
  ApprovalHost h;
  Hierarchy people(h);
  const std::string before = text_of(h.request(people.seller, people.customer, "500000"), "id");
  CHECK(h.wait_for_approver(before, people.manager.id, 1)->getValue<int>("requiredLevels") == 1);
  const std::string v1 = h.instance_for(before).version;

  const std::string v2 = h.deploy(deal_approval_source({{"up_to = 1000000,", "up_to = 100000,"}}));
  CHECK(v2 != v1);
  const std::string after = text_of(h.request(people.seller, people.customer, "500000"), "id");
  CHECK(h.wait_for_approver(after, people.manager.id, 1)->getValue<int>("requiredLevels") == 2);
  CHECK(h.instance_for(after).version == v2);

  // The request of before needs its one level still.
  REQUIRE(h.as(people.manager, "PATCH", "/api/approvals/" + before + "/approve", "{}").status == 200);
  CHECK(text_of(h.approval(people.seller, before), "status") == "APPROVED");
  CHECK(h.wait_for_instance(before, "COMPLETED").version == v1);
  // The new one goes on to an ADMIN.
  REQUIRE(h.as(people.manager, "PATCH", "/api/approvals/" + after + "/approve", "{}").status == 200);
  h.wait_for_approver(after, h.admin().id, 2);
  CHECK(text_of(h.approval(people.seller, after), "status") == "PENDING");
}

TEST_CASE("amounts in another currency are routed by their value in EUR - a currency without a rate is refused",
          "[approvals][currency]") {
  ApprovalHost h;
  Hierarchy people(h);
  auto body = [&](const std::string& amount, const std::string& currency) {
    return R"({"customerId":")" + people.customer + R"(","title":"Export deal","amount":)" + amount +
           R"(,"currency":")" + currency + R"("})";
  };
  auto set_rate = [&](const Account& who, const std::string& currency, const std::string& rate) {
    return h.as(who, "PUT", "/api/approvals/exchange-rates/" + currency, "{\"rate\":" + rate + "}");
  };

  // No rate for USD yet: the request could not be routed, so it is refused.
  auto refused = require_problem(h.as(people.seller, "POST", "/api/approvals", body("1500000", "USD")), 422);
  CHECK(error_fields(refused) == std::vector<std::string>{"currency"});
  CHECK(h.sql().count("select count(*) from opportunity.approvals") == 0);

  require_problem(set_rate(people.manager, "USD", "0.5"), 403);
  require_problem(set_rate(h.admin(), "EUR", "2"), 422); // the routes' own currency
  require_problem(set_rate(h.admin(), "USD", "0"), 422);
  auto usd = set_rate(h.admin(), "USD", "0.5");
  INFO(usd.body);
  REQUIRE(usd.status == 200);
  CHECK(usd.json()->getValue<double>("rate") == 0.5);
  REQUIRE(set_rate(h.admin(), "GBP", "1.25").status == 200);

  // 1,500,000 USD is 750,000 EUR: below the threshold, the manager alone.
  auto below = h.as(people.seller, "POST", "/api/approvals", body("1500000", "USD"));
  INFO(below.body);
  REQUIRE(below.status == 201);
  CHECK(text_of(below.json(), "currency") == "USD");
  CHECK(h.wait_for_approver(text_of(below.json(), "id"), people.manager.id, 1)->getValue<int>("requiredLevels") == 1);
  // 900,000 GBP is 1,125,000 EUR: above it, the manager and then an ADMIN.
  auto above = h.as(people.seller, "POST", "/api/approvals", body("900000", "GBP"));
  INFO(above.body);
  REQUIRE(above.status == 201);
  CHECK(h.wait_for_approver(text_of(above.json(), "id"), people.manager.id, 1)->getValue<int>("requiredLevels") == 2);

  // Everyone may read the rates.
  auto rates = h.as(people.seller, "GET", "/api/approvals/exchange-rates");
  INFO(rates.body);
  REQUIRE(rates.status == 200);
  CHECK(text_of(rates.json(), "base") == "EUR");
  std::vector<std::string> listed;
  auto items = rates.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) listed.push_back(text_of(items->getObject(static_cast<unsigned>(i)), "currency"));
  CHECK(listed == std::vector<std::string>{"EUR", "GBP", "USD"});
}
