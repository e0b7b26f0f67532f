// The payments plugin against a real host and PostgreSQL, called as the
// order saga calls it (as the host, through the workflow engine,
// support/SystemCalls.hpp): tok_ok pays, tok_decline is declined and the
// decline recorded, tok_slow times out; a charge replayed returns the same
// charge and the provider's books hold one; a refund is made once; and the
// circuit breaker opens after failures, answers at once while open, and
// closes after a successful half-open trial.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"
#include "support/SystemCalls.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace itest;
using namespace std::chrono_literals;

namespace {

struct PaymentsHost {
  explicit PaymentsHost(std::map<std::string, std::string> settings)
      : host({}, with_defaults(std::move(settings)), HostUnderTest::Start::Later), calls(host) {
    host.add_shipped_plugin("payments");
    host.start();
    auto entry = host.wait_for_plugin("payments.so", "LOADED", std::chrono::seconds(20));
    INFO(host.process().log_tail(40));
    REQUIRE(entry);
    calls.wait_until_ready();
  }
  static std::map<std::string, std::string> with_defaults(std::map<std::string, std::string> env) {
    env.emplace("CRM_WORKFLOWS_POLL_MS", "20");
    env.emplace("CRM_WORKFLOWS_WATCH_INTERVAL_MS", "100");
    env.emplace("CRM_WORKFLOWS_HOST_ID", "itest-" + random_uuid().substr(0, 8));
    return env;
  }

  SystemAnswer charge(const std::string& order, const std::string& token, const std::string& amount = "29.99") {
    return calls.call("payments.charge", "{\"orderId\":\"" + order + "\",\"amount\":\"" + amount +
                                             "\",\"currency\":\"USD\",\"token\":\"" + token + "\"}");
  }
  SystemAnswer refund(const std::string& order) {
    return calls.call("payments.refund", "{\"orderId\":\"" + order + "\"}");
  }
  SystemAnswer get(const std::string& order) { return calls.call("payments.get", "{\"orderId\":\"" + order + "\"}"); }

  // The circuit as the host's probes show it: /health/ready's check of the
  // provider ("ok", "down" or "absent") and the state gauge on /metrics
  // (0 closed, 1 open, 2 half-open; -1 absent).
  std::string readiness_of_provider() {
    auto checks = host.http().get("/health/ready").json()->getObject("checks");
    return checks && checks->has("payments.provider") ? checks->getValue<std::string>("payments.provider") : "absent";
  }
  double circuit_gauge() {
    auto r = host.http().get("/metrics", {{"Authorization", bearer(HostUnderTest::admin_token())}});
    return metric_value(r.body, "crm_payments_circuit_state", {{"provider", "simulated"}}).value_or(-1);
  }

  // The provider's books for one order, through the ADMIN route.
  Poco::JSON::Array::Ptr ledger(const std::string& order) {
    auto r = host.http().get("/api/payments/ledger?orderId=" + order,
                             {{"Authorization", bearer(HostUnderTest::admin_token())}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.json()->getArray("items");
  }
  long long events(const std::string& type) {
    return host.sql().count("select count(*) from payments.crm_outbox where type = $1", {type});
  }

  HostUnderTest host;
  SystemCalls calls;
};

} // namespace

TEST_CASE("tok_ok pays, tok_decline is declined and recorded, tok_slow times out, another token is invalid",
          "[payments]") {
  PaymentsHost pay(std::map<std::string, std::string>{{"CRM_PLUGIN_PAYMENTS_TIMEOUT_MS", "200"}});

  const std::string paid = random_uuid();
  auto ok = pay.charge(paid, "tok_ok");
  INFO(ok.message);
  REQUIRE(ok.ok());
  CHECK(text_of(ok.reply, "status") == "CHARGED");
  CHECK(text_of(ok.reply, "amount") == "29.99");
  CHECK(text_of(ok.reply, "currency") == "USD");
  CHECK_FALSE(text_of(ok.reply, "chargeId").empty());
  CHECK(pay.events("payment.charged") == 1);

  const std::string declined = random_uuid();
  auto no = pay.charge(declined, "tok_decline");
  CHECK(no.status == "CONFLICT");
  CHECK(contains(no.message, "PAYMENT_DECLINED: card declined"));
  // Recorded although the call failed: the order's payment and the event.
  CHECK(text_of(pay.get(declined).reply, "status") == "DECLINED");
  CHECK(pay.events("payment.declined") == 1);
  CHECK(pay.ledger(declined)->size() == 1);
  // Declined again on a retry, by the provider's first answer, not charged.
  CHECK(pay.charge(declined, "tok_decline").status == "CONFLICT");
  CHECK(pay.ledger(declined)->size() == 1);

  const std::string slow = random_uuid();
  const auto before = std::chrono::steady_clock::now();
  auto late = pay.charge(slow, "tok_slow");
  const auto took = std::chrono::steady_clock::now() - before;
  CHECK(late.status == "UNAVAILABLE");
  CHECK(contains(late.message, "PAYMENT_UNAVAILABLE: the provider did not answer within 200 ms"));
  CHECK(took >= 200ms);
  CHECK(text_of(pay.get(slow).reply, "status") == "NONE");
  CHECK(pay.ledger(slow)->size() == 0);
  CHECK(pay.host.sql().count("select attempts from payments.charges where order_id = $1::uuid", {slow}) == 1);

  auto invalid = pay.charge(random_uuid(), "tok_nonsense");
  CHECK(invalid.status == "CONFLICT");
  CHECK(contains(invalid.message, "PAYMENT_DECLINED: invalid card token"));

  // Bad input: the field's path, nothing written.
  const long long rows = pay.host.sql().count("select count(*) from payments.charges");
  auto bad_amount = pay.charge(random_uuid(), "tok_ok", "12.345");
  CHECK(bad_amount.status == "INVALID");
  CHECK(bad_amount.fields == std::vector<std::string>{"amount"});
  auto zero = pay.charge(random_uuid(), "tok_ok", "0.00");
  CHECK(zero.fields == std::vector<std::string>{"amount"});
  auto no_order = pay.calls.call("payments.charge", R"({"orderId":"42","amount":"1.00","currency":"USD","token":"tok_ok"})");
  CHECK(no_order.fields == std::vector<std::string>{"orderId"});
  auto no_currency = pay.calls.call("payments.charge",
                                    "{\"orderId\":\"" + random_uuid() + "\",\"amount\":\"1.00\",\"currency\":\"usd\",\"token\":\"tok_ok\"}");
  CHECK(no_currency.fields == std::vector<std::string>{"currency"});
  CHECK(pay.host.sql().count("select count(*) from payments.charges") == rows);
}

TEST_CASE("a charge replayed returns the same charge, the provider charged once, a refund is made once",
          "[payments][idempotency]") {
  PaymentsHost pay(std::map<std::string, std::string>{{"CRM_PLUGIN_PAYMENTS_TIMEOUT_MS", "200"}});
  const std::string order = random_uuid();

  CHECK(text_of(pay.refund(order).reply, "status") == "NONE"); // nothing charged yet: nothing to refund
  auto first = pay.charge(order, "tok_ok");
  REQUIRE(first.ok());
  for (const char* token : {"tok_ok", "tok_decline", "tok_slow"}) {
    auto again = pay.charge(order, token); // whatever the token: it is paid
    INFO(token << " " << again.message);
    REQUIRE(again.ok());
    CHECK(text_of(again.reply, "chargeId") == text_of(first.reply, "chargeId"));
  }
  auto books = pay.ledger(order);
  REQUIRE(books->size() == 1);
  CHECK(text_of(books->getObject(0), "kind") == "CHARGE");
  CHECK(text_of(books->getObject(0), "outcome") == "APPROVED");
  CHECK(text_of(books->getObject(0), "reference") == text_of(first.reply, "chargeId"));
  CHECK(pay.events("payment.charged") == 1);
  auto got = pay.get(order);
  CHECK(text_of(got.reply, "status") == "CHARGED");
  CHECK(text_of(got.reply, "chargeId") == text_of(first.reply, "chargeId"));

  for (int i = 0; i < 3; ++i) {
    auto refunded = pay.refund(order);
    INFO(refunded.message);
    REQUIRE(refunded.ok());
    CHECK(text_of(refunded.reply, "status") == "REFUNDED");
  }
  books = pay.ledger(order);
  REQUIRE(books->size() == 2);
  CHECK(text_of(books->getObject(1), "kind") == "REFUND");
  CHECK(pay.events("payment.refunded") == 1);
  CHECK(text_of(pay.get(order).reply, "status") == "REFUNDED");
  // Refunded is final: no second charge for the order.
  CHECK(pay.charge(order, "tok_ok").status == "CONFLICT");
  CHECK(pay.ledger(order)->size() == 2);

  // The books are an ADMIN's.
  auto r = pay.host.http().get("/api/payments/ledger?orderId=" + order,
                               {{"Authorization", bearer(mint_token("SALES", random_uuid()))}});
  CHECK(r.status == 403);
}

TEST_CASE("the circuit opens after provider failures, answers at once while open and closes after a good trial",
          "[payments][breaker]") {
  // Two failures of at most four calls open it for ten seconds (room for a
  // slow machine to make its checks while it is open); one trial.
  PaymentsHost pay({{"CRM_PLUGIN_PAYMENTS_TIMEOUT_MS", "2000"},
                    {"CRM_PLUGIN_PAYMENTS_BREAKER_WINDOW", "4"},
                    {"CRM_PLUGIN_PAYMENTS_BREAKER_MINIMUM_CALLS", "2"},
                    {"CRM_PLUGIN_PAYMENTS_BREAKER_FAILURE_PERCENT", "50"},
                    {"CRM_PLUGIN_PAYMENTS_BREAKER_OPEN_SECONDS", "10"},
                    {"CRM_PLUGIN_PAYMENTS_BREAKER_HALF_OPEN_CALLS", "1"}});

  // A declined card is an answer, not a failure: the circuit stays closed.
  for (int i = 0; i < 3; ++i) CHECK(pay.charge(random_uuid(), "tok_decline").status == "CONFLICT");
  REQUIRE(pay.charge(random_uuid(), "tok_ok").ok());
  CHECK(pay.readiness_of_provider() == "ok");
  CHECK(pay.circuit_gauge() == 0);

  const std::string slow = random_uuid();
  for (int i = 0; i < 2; ++i) {
    auto timed_out = pay.charge(slow, "tok_slow");
    CHECK(timed_out.status == "UNAVAILABLE");
    CHECK(contains(timed_out.message, "did not answer within 2000 ms"));
  }

  // Open: a slow card would take 2 s at the provider; the answer comes at
  // once, and the provider never hears of a good card either.
  CHECK(contains(pay.host.process().log(), "payment provider simulated: circuit open (was closed)"));
  // The probes say so: the host is degraded (still 200), the gauge reads open.
  CHECK(pay.readiness_of_provider() == "down");
  CHECK(text_of(pay.host.http().get("/health/ready").json(), "status") == "degraded");
  CHECK(pay.host.http().get("/health/ready").status == 200);
  CHECK(pay.circuit_gauge() == 1);
  const auto before = std::chrono::steady_clock::now();
  auto refused = pay.charge(random_uuid(), "tok_slow");
  const auto took = std::chrono::steady_clock::now() - before;
  CHECK(refused.status == "UNAVAILABLE");
  CHECK(contains(refused.message, "PAYMENT_UNAVAILABLE: circuit open"));
  CHECK(took < 2000ms);
  const std::string waiting = random_uuid();
  auto refused_ok = pay.charge(waiting, "tok_ok");
  CHECK(contains(refused_ok.message, "PAYMENT_UNAVAILABLE: circuit open"));
  CHECK(pay.ledger(waiting)->size() == 0);

  // After open_seconds one trial goes through; it succeeds and closes it.
  SystemAnswer trial;
  REQUIRE(eventually(
      [&] {
        trial = pay.charge(waiting, "tok_ok");
        return trial.ok();
      },
      40s, 200ms));
  CHECK(contains(pay.host.process().log(), "payment provider simulated: circuit half-open (was open)"));
  CHECK(contains(pay.host.process().log(), "payment provider simulated: circuit closed (was half-open)"));
  CHECK(text_of(trial.reply, "status") == "CHARGED");
  CHECK(pay.ledger(waiting)->size() == 1);
  CHECK(pay.readiness_of_provider() == "ok");
  CHECK(pay.circuit_gauge() == 0);

  // Closed again with an empty window: one failure alone does not open it.
  CHECK(contains(pay.charge(random_uuid(), "tok_slow").message, "did not answer"));
  REQUIRE(pay.charge(random_uuid(), "tok_ok").ok());
}
