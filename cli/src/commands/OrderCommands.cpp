// OrderCommands: `orders list|get|cancel|watch` over /api/orders and
// `products list|get|create|restock` over /api/products.
//
// `orders watch ID` follows GET /api/orders/{id}/stream (Server-Sent Events):
// the order as it is, then one line per status change, and exits 0 once the
// order is SHIPPED or DELIVERED, 4 once it FAILED or was CANCELLED. When the
// connection drops (a host restarting), it reconnects with Last-Event-ID and
// goes on from the last change it printed, so nothing is missed or repeated.
#include "Commands.hpp"

#include "Errors.hpp"
#include "EventStream.hpp"
#include "Json.hpp"
#include "Terminal.hpp"

#include <chrono>
#include <memory>
#include <thread>

namespace crmctl {

namespace {

// Functions, not statics: nothing is built before main().
std::vector<std::string> order_statuses() {
  return {"PENDING", "RESERVED", "PAID", "SHIPPED", "DELIVERED", "FAILED", "CANCELLED"};
}

std::vector<Column> order_columns() {
  return {text_column("ID", "id"),
          text_column("CUSTOMER", "customerId"),
          status_column("STATUS", "status"),
          text_column("TOTAL", "total"),
          text_column("CURRENCY", "currency"),
          text_column("REASON", "failureReason"),
          time_column("CREATED", "createdAt")};
}

std::vector<Column> order_fields() {
  auto fields = order_columns();
  fields.push_back(text_column("PAYMENT", "payment.status"));
  fields.push_back(text_column("CHARGE", "payment.chargeId"));
  fields.push_back(text_column("TRACKING", "shipment.trackingNumber"));
  fields.push_back(text_column("CARRIER", "shipment.carrier"));
  fields.push_back(time_column("UPDATED", "updatedAt"));
  return fields;
}

std::vector<Column> product_columns() {
  return {text_column("SKU", "sku"),       text_column("NAME", "name", 40),     text_column("PRICE", "price"),
          text_column("CURRENCY", "currency"), text_column("AVAILABLE", "available"), status_column("ACTIVE", "active")};
}

std::string order_path(const std::string& id) { return "/api/orders/" + id; }

// Whether the order has got where the watcher waits for (0) or cannot get
// there any more (4); -1 while it is on its way.
int watch_outcome(const std::string& status) {
  if (status == "SHIPPED" || status == "DELIVERED") return kExitOk;
  if (status == "FAILED" || status == "CANCELLED") return kExitWorkflowFailed;
  return -1;
}

struct ListOptions {
  std::string status, customer, cursor;
  int limit = 50;
  bool all = false;
};

void list(Context& ctx, const ListOptions& o) {
  Query q;
  q.add("status", o.status).add("customerId", o.customer).add("limit", std::to_string(o.all ? 200 : o.limit));
  print_page(ctx, "/api/orders" + q.str(), o.all, o.cursor, order_columns(), "no orders");
}

void get(Context& ctx, const std::string& id) {
  Printer& out = ctx.out();
  json::Value order = ctx.api().get_object(order_path(id));
  if (out.format() == Format::Json) {
    out.json(order);
    return;
  }
  out.record(order, order_fields());
  const json::Value& timeline = order.get("timeline");
  if (out.human() && timeline.is_array() && timeline.size() > 0) {
    out.line("");
    out.list(timeline, {time_column("AT", "at"), status_column("STATUS", "status"), text_column("EVENT", "event")});
  }
}

void cancel(Context& ctx, const std::string& id) {
  json::Value order = ctx.api().send_json("POST", order_path(id) + "/cancel", json::Value::object());
  if (ctx.out().human())
    ctx.out().line("Cancellation of " + id + " accepted: the payment is refunded and the stock released");
  else
    ctx.out().record(order.is_object() ? order : json::Value::object(), order_columns());
}

// Follows the order's stream; returns the exit status.
class OrderWatch {
public:
  OrderWatch(Context& ctx, std::string id) : ctx_(ctx), id_(std::move(id)) {}

  int run() {
    constexpr int kReconnects = 60; // a second apart: a host restart takes a few
    for (int attempt = 0;; ++attempt) {
      SseParser parser;
      Headers headers;
      if (!last_id_.empty()) headers.push_back({"Last-Event-ID", last_id_});
      try {
        ctx_.api().stream(order_path(id_) + "/stream", headers,
                          [&](std::string_view piece) {
                            return parser.feed(piece, [&](const SseEvent& e) { return take(e); });
                          },
                          std::chrono::seconds(90));
      } catch (const UnreachableError& e) {
        if (attempt >= kReconnects) throw;
        ctx_.out().note("stream lost (" + std::string(e.what()) + "); reconnecting");
      }
      if (outcome_ >= 0) return outcome_;
      if (attempt >= kReconnects) throw UnreachableError("the order's stream keeps ending before a final status");
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }

private:
  // One event of the stream; false ends reading.
  bool take(const SseEvent& e) {
    if (!e.id.empty()) last_id_ = e.id;
    auto parsed = json::try_parse_object(e.data);
    if (!parsed) return true;
    const json::Value& data = *parsed;
    if (e.event == "order") {
      status_ = json::text(data, "status");
      show(data, "now " + status_);
    } else {
      status_ = json::text(data, "status");
      show(data, status_ + "  " + json::text(data, "event"));
    }
    outcome_ = watch_outcome(status_);
    return outcome_ < 0;
  }

  void show(const json::Value& data, const std::string& what) {
    Printer& out = ctx_.out();
    if (out.format() == Format::Json) {
      out.json(data);
      return;
    }
    std::string line = Printer::short_time(json::text(data, "at").empty() ? json::text(data, "updatedAt")
                                                                            : json::text(data, "at")) +
                       "  " + what;
    const std::string reason = json::text(data, "failureReason");
    if (!reason.empty()) line += " (" + reason + ")";
    if (out.format() == Format::Csv)
      out.table(Table{{"status", "event", "at"}, {{status_, json::text(data, "event"), json::text(data, "at")}}},
                {"status", "event", "at"});
    else
      out.line(line);
  }

  Context& ctx_;
  std::string id_;
  std::string last_id_;
  std::string status_;
  int outcome_ = -1;
};

struct ProductListOptions {
  std::string active, cursor;
  int limit = 50;
  bool all = false;
};

struct CreateProductOptions {
  std::string sku, name, price, currency = "USD";
  long long stock = 0;
};

void list_products(Context& ctx, const ProductListOptions& o) {
  Query q;
  q.add("active", o.active).add("limit", std::to_string(o.all ? 200 : o.limit));
  print_page(ctx, "/api/products" + q.str(), o.all, o.cursor, product_columns(), "no products");
}

void create_product(Context& ctx, const CreateProductOptions& o) {
  json::Value body = json::Value::object();
  body.set("sku", o.sku);
  body.set("name", o.name);
  body.set("price", o.price);
  body.set("currency", o.currency);
  body.set("stock", o.stock);
  json::Value product = ctx.api().send_json("POST", "/api/products", body);
  if (ctx.out().human())
    ctx.out().line("Created " + json::text(product, "sku") + " (" + json::text(product, "name") + "), " +
                   json::text(product, "available") + " available");
  else
    ctx.out().record(product, product_columns());
}

void restock(Context& ctx, const std::string& sku, long long quantity) {
  json::Value body = json::Value::object();
  body.set("quantity", quantity);
  json::Value product = ctx.api().send_json("POST", "/api/products/" + sku + "/restock", body);
  if (ctx.out().human())
    ctx.out().line("Restocked " + sku + ": " + json::text(product, "available") + " available");
  else
    ctx.out().record(product, product_columns());
}

} // namespace

void add_order_commands(CLI::App& app, Context& ctx) {
  CLI::App* orders = command(app, "orders", "Look at, cancel and follow orders",
                             "crmctl orders list --status FAILED\ncrmctl orders watch 3f0c1d2e-...");
  orders->require_subcommand(1);

  auto lo = std::make_shared<ListOptions>();
  CLI::App* ls = command(*orders, "list", "List the orders you can see, newest first",
                         "crmctl orders list --status SHIPPED --all -o csv");
  ls->add_option("--status", lo->status, "Only this status")->check(CLI::IsMember(order_statuses()));
  ls->add_option("--customer", lo->customer, "Only this customer's (its id)");
  ls->add_option("--limit", lo->limit, "Orders per page")->check(CLI::Range(1, 200))->capture_default_str();
  ls->add_option("--cursor", lo->cursor, "Start at this page (from the previous page's hint)");
  ls->add_flag("--all", lo->all, "Every page");
  ls->callback([&ctx, lo] { list(ctx, *lo); });

  auto gid = std::make_shared<std::string>();
  CLI::App* g = command(*orders, "get", "Show one order with its payment, shipment and timeline",
                        "crmctl orders get 3f0c1d2e-...");
  g->add_option("id", *gid, "The order's id")->required();
  g->callback([&ctx, gid] { get(ctx, *gid); });

  auto cid = std::make_shared<std::string>();
  CLI::App* c = command(*orders, "cancel", "Cancel an order before it ships: refund, release the stock, CANCELLED",
                        "crmctl orders cancel 3f0c1d2e-... && crmctl orders watch 3f0c1d2e-...");
  c->add_option("id", *cid, "The order's id")->required();
  c->callback([&ctx, cid] { cancel(ctx, *cid); });

  auto wid = std::make_shared<std::string>();
  CLI::App* w = command(*orders, "watch",
                        "Follow an order live; exit 0 once SHIPPED or DELIVERED, 4 once FAILED or CANCELLED",
                        "crmctl orders watch 3f0c1d2e-...");
  w->add_option("id", *wid, "The order's id")->required();
  w->callback([&ctx, wid] {
    const int status = OrderWatch(ctx, *wid).run();
    if (status != kExitOk) throw ExitStatus(status);
  });

  CLI::App* products = command(app, "products", "The product catalogue: list, create, restock",
                               "crmctl products list\ncrmctl products restock product-1 --quantity 50");
  products->require_subcommand(1);

  auto po = std::make_shared<ProductListOptions>();
  CLI::App* pl = command(*products, "list", "List products with their available stock", "crmctl products list -o csv");
  pl->add_option("--active", po->active, "Only active (true) or inactive (false) products")
      ->check(CLI::IsMember({"true", "false"}));
  pl->add_option("--limit", po->limit, "Products per page")->check(CLI::Range(1, 200))->capture_default_str();
  pl->add_option("--cursor", po->cursor, "Start at this page (from the previous page's hint)");
  pl->add_flag("--all", po->all, "Every page");
  pl->callback([&ctx, po] { list_products(ctx, *po); });

  auto co = std::make_shared<CreateProductOptions>();
  CLI::App* pc = command(*products, "create", "Create a product (ADMIN)",
                         "crmctl products create --sku product-4 --name 'Basic Thing' --price 9.99 --stock 200");
  pc->add_option("--sku", co->sku, "Its stock-keeping unit, unique")->required();
  pc->add_option("--name", co->name, "Its name")->required();
  pc->add_option("--price", co->price, "Its unit price, e.g. 9.99")->required();
  pc->add_option("--currency", co->currency, "ISO 4217 code")->capture_default_str();
  pc->add_option("--stock", co->stock, "Units in stock")->check(CLI::Range(0LL, 1000000000LL))->capture_default_str();
  pc->callback([&ctx, co] { create_product(ctx, *co); });

  auto rsku = std::make_shared<std::string>();
  auto rqty = std::make_shared<long long>(0);
  CLI::App* pr = command(*products, "restock", "Add units to a product's stock (ADMIN)",
                         "crmctl products restock product-1 --quantity 50");
  pr->add_option("sku", *rsku, "The product's sku")->required();
  pr->add_option("--quantity", *rqty, "Units added")->required()->check(CLI::Range(1LL, 1000000LL));
  pr->callback([&ctx, rsku, rqty] { restock(ctx, *rsku, *rqty); });
}

} // namespace crmctl
