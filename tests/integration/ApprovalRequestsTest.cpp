// The /api/approvals routes of the opportunity plugin on a running host: who
// sees which approval (requester, approver chain, the requester's managers,
// ADMIN; anyone else 404), lists and stats in the caller's scope with keyset
// paging, bad input refused per field with nothing written, and a customer
// plugin that is not there answered with 503.
#include "support/ApprovalHost.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace itest;

namespace {

std::vector<std::string> item_ids(const Response& r) {
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == 200);
  return AuthHost::ids_of(r);
}

} // namespace

TEST_CASE("an approval is seen by its requester, its approvers, the requester's managers and ADMIN - others get 404",
          "[approvals]") {
  ApprovalHost h;
  Account top = h.auth().create_user("MANAGER");
  Account manager = h.auth().create_user("MANAGER", top.id);
  Account seller = h.auth().create_user("SALES", manager.id);
  Account colleague = h.auth().create_user("SALES", manager.id); // same team, not the requester
  Account stranger = h.auth().create_user("SALES");
  Account other_manager = h.auth().create_user("MANAGER");
  const std::string customer = h.create_customer(seller, "Grace Hopper");
  const std::string id = text_of(h.request(seller, customer, "1200"), "id");
  h.wait_for_approver(id, manager.id, 1);

  for (const Account* who : std::initializer_list<const Account*>{&seller, &manager, &top, &h.admin()}) {
    auto r = h.as(*who, "GET", "/api/approvals/" + id);
    INFO(who->role << " " << who->email << ": " << r.body);
    CHECK(r.status == 200);
    CHECK(item_ids(h.as(*who, "GET", "/api/approvals")) == std::vector<std::string>{id});
  }
  for (const Account* who : std::initializer_list<const Account*>{&colleague, &stranger, &other_manager}) {
    require_problem(h.as(*who, "GET", "/api/approvals/" + id), 404);
    CHECK(item_ids(h.as(*who, "GET", "/api/approvals")).empty());
  }
  // Filters narrow the caller's scope, never widen it.
  CHECK(item_ids(h.as(seller, "GET", "/api/approvals?status=APPROVED")).empty());
  CHECK(item_ids(h.as(manager, "GET", "/api/approvals?currentApproverId=" + manager.id)) ==
        std::vector<std::string>{id});
  CHECK(item_ids(h.as(stranger, "GET", "/api/approvals?requesterId=" + seller.id)).empty());
  auto listed = h.as(seller, "GET", "/api/approvals").json()->getArray("items")->getObject(0);
  CHECK(!listed->has("history"));
  CHECK(text_of(listed, "currentApproverId") == manager.id);
}

TEST_CASE("lists page newest first and stats count and sum by status in the caller's scope", "[approvals]") {
  ApprovalHost h;
  Account manager = h.auth().create_user("MANAGER");
  Account seller = h.auth().create_user("SALES", manager.id);
  Account other = h.auth().create_user("SALES");
  const std::string customer = h.create_customer(seller, "Alan Turing");
  const std::string others_customer = h.create_customer(other, "Kurt Goedel");
  std::vector<std::string> created;
  for (const char* amount : {"100", "200.25", "300"})
    created.push_back(text_of(h.request(seller, customer, amount), "id"));
  REQUIRE(h.as(h.admin(), "PUT", "/api/approvals/exchange-rates/USD", R"({"rate":0.92})").status == 200);
  auto usd = h.as(seller, "POST", "/api/approvals",
                  R"({"customerId":")" + customer + R"(","title":"US deal","amount":50,"currency":"USD"})");
  REQUIRE(usd.status == 201);
  created.push_back(text_of(usd.json(), "id"));
  h.request(other, others_customer, "999");

  auto first = h.as(seller, "GET", "/api/approvals?limit=3");
  const auto page_one = item_ids(first);
  const std::string cursor = text_of(first.json(), "nextCursor");
  REQUIRE(!cursor.empty());
  auto second = h.as(seller, "GET", "/api/approvals?limit=3&cursor=" + cursor);
  const auto page_two = item_ids(second);
  CHECK(page_one == std::vector<std::string>{created[3], created[2], created[1]});
  CHECK(page_two == std::vector<std::string>{created[0]});
  CHECK(second.json()->isNull("nextCursor"));
  require_problem(h.as(seller, "GET", "/api/approvals?cursor=bogus"), 422);
  require_problem(h.as(seller, "GET", "/api/approvals?status=OPEN"), 422);

  // One is cancelled; the stats follow.
  REQUIRE(h.as(seller, "PATCH", "/api/approvals/" + created[0] + "/cancel", "{}").status == 200);
  auto stats = h.as(seller, "GET", "/api/approvals/stats");
  INFO(stats.body);
  REQUIRE(stats.status == 200);
  auto s = stats.json();
  CHECK(s->getValue<int>("total") == 4);
  auto by = s->getObject("byStatus");
  CHECK(by->getObject("PENDING")->getValue<int>("count") == 3);
  CHECK(by->getObject("PENDING")->getObject("amounts")->getValue<double>("EUR") == 500.25);
  CHECK(by->getObject("PENDING")->getObject("amounts")->getValue<double>("USD") == 50);
  CHECK(by->getObject("CANCELLED")->getValue<int>("count") == 1);
  CHECK(by->getObject("CANCELLED")->getObject("amounts")->getValue<double>("EUR") == 100);
  CHECK(by->getObject("APPROVED")->getValue<int>("count") == 0);
  CHECK(by->getObject("APPROVED")->getObject("amounts")->size() == 0);
  // The ADMIN counts everyone's.
  CHECK(h.as(h.admin(), "GET", "/api/approvals/stats").json()->getValue<int>("total") == 5);
}

TEST_CASE("bad input is refused on its field and writes nothing", "[approvals]") {
  ApprovalHost h;
  Account manager = h.auth().create_user("MANAGER");
  Account seller = h.auth().create_user("SALES", manager.id);
  Account other = h.auth().create_user("SALES");
  const std::string customer = h.create_customer(seller, "Edsger Dijkstra");
  const std::string invisible = h.create_customer(other, "Barbara Liskov");
  const std::string c = R"({"customerId":")" + customer + R"(",)";
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"title":"x","amount":10})", "customerId"},
      {R"({"customerId":"not-a-uuid","title":"x","amount":10})", "customerId"},
      {R"({"customerId":")" + random_uuid() + R"(","title":"x","amount":10})", "customerId"},
      {R"({"customerId":")" + invisible + R"(","title":"x","amount":10})", "customerId"},
      {c + R"("amount":10})", "title"},
      {c + R"("title":"","amount":10})", "title"},
      {c + R"("title":"   ","amount":10})", "title"},
      {c + R"("title":")" + std::string(201, 'x') + R"(","amount":10})", "title"},
      {c + R"("title":"x"})", "amount"},
      {c + R"("title":"x","amount":0})", "amount"},
      {c + R"("title":"x","amount":-5})", "amount"},
      {c + R"("title":"x","amount":10.125})", "amount"},
      {c + R"("title":"x","amount":"10"})", "amount"},
      {c + R"("title":"x","amount":10000000000000000})", "amount"},
      {c + R"("title":"x","amount":10,"currency":"eur"})", "currency"},
      {c + R"("title":"x","amount":10,"currency":"EURO"})", "currency"},
      {c + R"("title":"x","amount":10,"currency":"XYZ"})", "currency"}, // no exchange rate
      {c + R"("title":"x","amount":10,"status":"APPROVED"})", "status"},
  };
  for (const auto& [body, field] : cases) {
    INFO(body);
    auto problem = require_problem(h.as(seller, "POST", "/api/approvals", body), 422);
    CHECK(error_fields(problem) == std::vector<std::string>{field});
  }
  CHECK(h.sql().count("select count(*) from opportunity.approvals") == 0);
  CHECK(h.sql().count("select count(*) from opportunity.approval_history") == 0);
  CHECK(h.sql().count("select count(*) from opportunity.crm_outbox") == 0);

  // The largest amount numeric(18,2) holds, to the cent.
  auto big = h.request(seller, customer, "9999999999999.99");
  CHECK(h.sql().scalar("select amount::text from opportunity.approvals where id = $1", {text_of(big, "id")}) ==
        SqlValue{"9999999999999.99"});
  require_problem(h.as(seller, "GET", "/api/approvals/not-a-uuid"), 422);
  require_problem(h.as(seller, "GET", "/api/approvals/" + random_uuid()), 404);
}

TEST_CASE("without the customer plugin a request cannot be checked and is answered 503", "[approvals]") {
  ApprovalHostOptions options;
  options.plugins = {"auth", "opportunity"};
  options.workflow.clear();
  ApprovalHost h(options);
  Account seller = h.auth().create_user("SALES");
  require_problem(h.as(seller, "POST", "/api/approvals", ApprovalHost::request_body(random_uuid(), "10")), 503);
  CHECK(h.sql().count("select count(*) from opportunity.approvals") == 0);
}
