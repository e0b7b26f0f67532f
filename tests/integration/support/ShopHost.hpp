// ShopHost: a real host with the shop's plugins (auth, customer, inventory,
// orders, shipping, and analytics for the notifications), a workflows folder
// holding the sagas a test writes, and the calls the Orders* and Shipping*
// tests share: products, customers, orders, and the saga operations driven
// through one-step sagas started with POST /api/sagas/{name}.
#pragma once

#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace itest {

// A saga of one step calling `operation` (a system operation) with the
// instance's input less the api's own `requestedBy`; an ADMIN starts it.
inline std::string one_step_saga(const std::string& name, const std::string& operation) {
  return "return saga \"" + name + "\" {\n"
         "  trigger = manual,\n"
         "  api = { roles = \"ADMIN\" },\n"
         "  steps = {\n"
         "    step \"call\" { call = \"" + operation + "\",\n"
         "      input = function(ctx)\n"
         "        local out = {}\n"
         "        for k, v in pairs(ctx.input) do if k ~= \"requestedBy\" then out[k] = v end end\n"
         "        return out\n"
         "      end },\n"
         "  },\n"
         "}\n";
}

// The sagas that drive the shop's system operations in the tests, by name:
// those whose operations a loaded plugin offers (a workflow naming an
// operation no plugin offers is refused).
inline std::map<std::string, std::string> shop_test_sagas(const std::vector<std::string>& plugins) {
  auto loaded = [&](const std::string& name) { return std::find(plugins.begin(), plugins.end(), name) != plugins.end(); };
  std::map<std::string, std::string> out;
  if (loaded("orders")) {
    out["t_begin"] = one_step_saga("t_begin", "orders.begin");
    out["t_advance"] = one_step_saga("t_advance", "orders.advance");
    out["t_confirm"] = one_step_saga("t_confirm", "orders.confirm");
    out["t_fail"] = one_step_saga("t_fail", "orders.fail");
    // payment.refunded as the payments plugin announces a refund.
    out["t_refund"] = "return workflow \"t_refund\" {\n"
                      "  trigger = manual,\n"
                      "  start = \"emit\",\n"
                      "  states = {\n"
                      "    emit = function(ctx)\n"
                      "      crm.emit(\"payment.refunded\", { orderId = ctx.input.orderId, status = \"REFUNDED\" },\n"
                      "               ctx.input.orderId)\n"
                      "    end,\n"
                      "  },\n"
                      "}\n";
  }
  if (loaded("shipping")) {
    out["t_ship"] = one_step_saga("t_ship", "shipping.create");
    out["t_unship"] = one_step_saga("t_unship", "shipping.cancel");
    out["t_shipment"] = one_step_saga("t_shipment", "shipping.get");
  }
  return out;
}

inline AuthHostOptions shop_options(const std::vector<std::string>& plugins, std::vector<std::string> extra_config) {
  AuthHostOptions options;
  const fs::path dir = make_temp_dir("crm-shop-plugins-");
  copy_shipped_plugin("auth", dir);
  for (const auto& name : plugins) copy_shipped_plugin(name, dir);
  const fs::path workflows = make_temp_dir("crm-shop-workflows-");
  for (const auto& [name, source] : shop_test_sagas(plugins)) std::ofstream(workflows / (name + ".lua")) << source;
  options.env["CRM_PLUGINS_DIR"] = dir.string();
  options.env["CRM_WORKFLOWS_DIR"] = workflows.string();
  options.env["CRM_WORKFLOWS_POLL_MS"] = "100";
  options.extra_config = std::move(extra_config);
  return options;
}

// The outcome of one saga run: its status and its step's reply or error.
struct SagaRun {
  std::string status; // COMPLETED, COMPENSATED, FAILED
  Poco::JSON::Object::Ptr reply;
  std::string error; // the instance's error as JSON text, when it did not complete
};

class ShopHost {
public:
  explicit ShopHost(std::vector<std::string> plugins = {"customer", "inventory", "orders", "shipping", "analytics"},
                    std::vector<std::string> extra_config = {})
      : plugins_(std::move(plugins)), auth_(shop_options(plugins_, std::move(extra_config))) {
    wait_for_plugins();
    for (const auto& [name, source] : shop_test_sagas(plugins_)) wait_for_workflow(name);
  }

  AuthHost& auth() { return auth_; }
  const Account& admin() const { return auth_.admin(); }
  Sql sql() { return auth_.host().sql(); }

  Response as(const Account& who, const std::string& method, const std::string& path, const std::string& body = "",
              Headers extra = {}) {
    Headers headers{{"Authorization", bearer(who.access_token)}};
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    for (auto& h : extra) headers.push_back(std::move(h));
    return auth_.http().request(method, path, body, headers);
  }

  // POST /api/products as the admin; requires 201.
  void create_product(const std::string& sku, const std::string& price, long long stock) {
    Poco::JSON::Object o;
    o.set("sku", sku);
    o.set("name", "Product " + sku);
    o.set("price", price);
    o.set("currency", "USD");
    o.set("stock", stock);
    auto r = as(admin(), "POST", "/api/products", json_of(o));
    INFO("POST /api/products -> " << r.status << " " << r.body);
    REQUIRE(r.status == 201);
  }

  // POST /api/customers as the admin, owned by `owner_id`; its id.
  std::string create_customer(const std::string& owner_id) {
    Poco::JSON::Object o;
    o.set("name", "Customer " + random_hex(6));
    o.set("ownerId", owner_id);
    auto r = as(admin(), "POST", "/api/customers", json_of(o));
    INFO("POST /api/customers -> " << r.status << " " << r.body);
    REQUIRE(r.status == 201);
    return text_of(r.json(), "id");
  }

  // The body of an order: `lines` of (sku, quantity).
  static std::string order_body(const std::string& customer_id,
                                const std::vector<std::pair<std::string, long long>>& lines,
                                const std::string& token = "tok_ok") {
    Poco::JSON::Object o;
    o.set("customerId", customer_id);
    Poco::JSON::Array items;
    for (const auto& [sku, quantity] : lines) {
      Poco::JSON::Object item;
      item.set("sku", sku);
      item.set("quantity", quantity);
      items.add(item);
    }
    o.set("items", items);
    Poco::JSON::Object payment;
    payment.set("token", token);
    o.set("payment", payment);
    Poco::JSON::Object address;
    address.set("name", "Ada Lovelace");
    address.set("line1", "12 Analytical Row");
    address.set("city", "London");
    address.set("postalCode", "N1 9GU");
    address.set("country", "GB");
    o.set("shippingAddress", address);
    return json_of(o);
  }

  // POST /api/orders as `who`; requires 201; the order's id.
  std::string place_order(const Account& who, const std::string& customer_id,
                          const std::vector<std::pair<std::string, long long>>& lines) {
    auto r = as(who, "POST", "/api/orders", order_body(customer_id, lines));
    INFO("POST /api/orders -> " << r.status << " " << r.body);
    REQUIRE(r.status == 201);
    return text_of(r.json(), "id");
  }

  // GET /api/orders/{id} as `who`; requires 200.
  Poco::JSON::Object::Ptr order(const Account& who, const std::string& id) {
    auto r = as(who, "GET", "/api/orders/" + id);
    INFO("GET /api/orders/" << id << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return r.json();
  }

  // Runs the one-step saga `name` with `input` to its end.
  SagaRun run(const std::string& name, const std::string& input) {
    auto r = as(admin(), "POST", "/api/sagas/" + name, input);
    INFO("POST /api/sagas/" << name << " " << input << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 202);
    const std::string id = text_of(r.json(), "workflowInstanceId");
    Poco::JSON::Object::Ptr last;
    const bool ended = eventually(
        [&] {
          auto i = as(admin(), "GET", "/api/workflow-instances/" + id);
          if (i.status != 200) return false;
          last = i.json();
          const std::string s = text_of(last, "status");
          return s == "COMPLETED" || s == "COMPENSATED" || s == "FAILED";
        },
        std::chrono::seconds(20), std::chrono::milliseconds(50));
    INFO("instance " << id << ": " << (last ? json_of(*last) : std::string("never read")));
    REQUIRE(ended);
    SagaRun out;
    out.status = text_of(last, "status");
    if (auto vars = last->getObject("vars"))
      if (auto results = vars->getObject("results")) out.reply = results->getObject("call");
    if (last->has("error") && !last->isNull("error")) {
      std::ostringstream text;
      Poco::JSON::Stringifier::stringify(last->get("error"), text);
      out.error = text.str();
    }
    return out;
  }

  // Rows of the orders outbox of `type` about `subject`.
  long long events(const std::string& schema, const std::string& type, const std::string& subject) {
    return sql().count("select count(*) from " + schema + ".crm_outbox where type = $1 and subject = $2",
                       {type, subject});
  }

private:
  void wait_for_plugins() {
    std::string last;
    const bool loaded = eventually(
        [&] {
          auto r = as(admin(), "GET", "/api/plugins");
          last = r.body;
          if (r.status != 200) return false;
          int found = 0;
          auto items = r.json()->getArray("items");
          for (size_t i = 0; items && i < items->size(); ++i) {
            auto entry = items->getObject(static_cast<unsigned>(i));
            for (const auto& name : plugins_)
              if (text_of(entry, "file") == name + ".so" && text_of(entry, "status") == "LOADED") ++found;
          }
          return found == static_cast<int>(plugins_.size());
        },
        std::chrono::seconds(20), std::chrono::milliseconds(100));
    INFO("GET /api/plugins: " << last);
    REQUIRE(loaded);
  }

  void wait_for_workflow(const std::string& name) {
    std::string last;
    const bool live = eventually(
        [&] {
          auto r = as(admin(), "GET", "/api/workflows/" + name);
          last = r.body;
          return r.status == 200 && text_of(r.json(), "status") == "LIVE";
        },
        std::chrono::seconds(20), std::chrono::milliseconds(100));
    INFO("GET /api/workflows/" << name << ": " << last);
    REQUIRE(live);
  }

  std::vector<std::string> plugins_; // besides auth
  AuthHost auth_;
};

} // namespace itest
