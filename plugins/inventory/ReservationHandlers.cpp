// ReservationHandlers: the stock an order holds, for the order_fulfillment
// saga (all "system"). A reservation is keyed by the order id and moves
// RESERVED -> COMMITTED (shipped: the stock leaves) or RESERVED -> RELEASED
// (given back). Each operation is idempotent by this data, whatever key the
// saga's call came with: a replay finds the reservation's row and answers as
// the first call did, so nothing is counted twice.
//
// Stock is never oversold, under any concurrency: each line is one
// conditional UPDATE (reserved + q only where stock - reserved >= q), which
// PostgreSQL re-checks on the row it has locked, and the table's CHECK
// (stock - reserved >= 0) refuses whatever slips past. Lines are locked in
// SKU order, so two orders sharing products never wait on each other in a
// circle. Everything runs in the call's transaction: all lines or none.
#include "Handlers.hpp"
#include "ProductInput.hpp"

#include <crm/sdk/input_rules.hpp>

#include <string>
#include <vector>

namespace inventory {

namespace {

// The lines of a reservation, in SKU order, as [{sku, quantity}].
std::vector<Line> lines_of(crm::Call& call, const std::string& reservation) {
  auto rows = call.sql("select sku, quantity from reservation_items where reservation = $1::uuid order by sku",
                       {reservation});
  std::vector<Line> lines;
  for (size_t r = 0; r < rows.size(); ++r)
    lines.push_back(Line{std::string(*rows.at(r, 0)), std::stoll(std::string(*rows.at(r, 1))), r});
  return lines;
}

// The reservation's status, its row locked until the call ends; "" if none.
std::string locked_status(crm::Call& call, const std::string& reservation) {
  auto rows = call.sql("select status from reservations where reservation = $1::uuid for update", {reservation});
  return rows.empty() ? std::string() : std::string(*rows.at(0, 0));
}

std::string reply_of(const std::string& reservation, const std::string& status, const std::vector<Line>& lines) {
  return crm::JsonObject()
      .field("reservation", reservation)
      .field("status", status)
      .raw("items", lines_json(lines))
      .str();
}

// Why a line could not be held: not a product (422), not for sale or not
// enough available (409, permanent for the saga).
[[noreturn]] void refuse_line(crm::Call& call, const Line& line) {
  auto rows = call.sql("select stock - reserved, active from products where sku = $1", {line.sku});
  if (rows.empty()) throw crm::invalid("items[" + std::to_string(line.index) + "].sku", "is not a product");
  if (*rows.at(0, 1) != "t") throw crm::conflict("OUT_OF_STOCK: " + line.sku + " is not for sale");
  throw crm::conflict("OUT_OF_STOCK: " + line.sku + " has " + std::string(*rows.at(0, 0)) + " available");
}

} // namespace

void reserve(crm::Call& call) {
  const auto& in = call.input();
  const std::string reservation = crm::required_uuid(in, "reservation");
  const auto lines = merged_by_sku(read_lines(in));

  // The reservation's row first: a concurrent call for the same order waits
  // here for this one to end, then finds its row.
  auto fresh = call.sql("insert into reservations (reservation, status) values ($1::uuid, 'RESERVED') "
                        "on conflict (reservation) do nothing returning reservation",
                        {reservation});
  if (fresh.empty()) {
    const std::string status = locked_status(call, reservation);
    if (status == "RELEASED") throw crm::conflict("reservation was released");
    // RESERVED or already COMMITTED: the first call's reply again.
    call.reply(reply_of(reservation, "RESERVED", lines_of(call, reservation)));
    return;
  }

  for (const auto& line : lines) {
    auto held = call.sql("update products set reserved = reserved + $2::int, updated_at = now() "
                         "where sku = $1 and active and stock - reserved >= $2::int returning sku",
                         {line.sku, line.quantity});
    if (held.empty()) refuse_line(call, line);
  }
  call.sql("insert into reservation_items (reservation, sku, quantity) "
           "select $1::uuid, l.sku, l.quantity from jsonb_to_recordset($2::jsonb) as l(sku text, quantity int)",
           {reservation, lines_json(lines)});

  const std::string reply = reply_of(reservation, "RESERVED", lines);
  call.emit("stock.reserved", reservation, reply);
  call.reply(reply);
}

void release(crm::Call& call) {
  const std::string reservation = crm::required_uuid(call.input(), "reservation");
  std::string status = locked_status(call, reservation);
  if (status.empty()) {
    // Nothing was reserved (the reserve failed, or never ran): remember the
    // release, so that a reserve arriving late for this order holds nothing.
    auto remembered = call.sql("insert into reservations (reservation, status) values ($1::uuid, 'RELEASED') "
                               "on conflict (reservation) do nothing returning reservation",
                               {reservation});
    if (!remembered.empty()) {
      call.reply(crm::JsonObject().field("reservation", reservation).field("status", "NONE").str());
      return;
    }
    // A reserve of the same order committed meanwhile: release what it holds.
    status = locked_status(call, reservation);
  }
  if (status == "COMMITTED") throw crm::conflict("reservation was committed");
  const auto lines = lines_of(call, reservation);
  if (status == "RELEASED") {
    call.reply(crm::JsonObject()
                   .field("reservation", reservation)
                   .field("status", lines.empty() ? "NONE" : "RELEASED")
                   .str());
    return;
  }
  for (const auto& line : lines)
    call.sql("update products set reserved = reserved - $2::int, released = released + $2::int, updated_at = now() "
             "where sku = $1",
             {line.sku, line.quantity});
  call.sql("update reservations set status = 'RELEASED', updated_at = now() where reservation = $1::uuid",
           {reservation});
  const std::string data = reply_of(reservation, "RELEASED", lines);
  call.emit("stock.released", reservation, data);
  call.reply(crm::JsonObject().field("reservation", reservation).field("status", "RELEASED").str());
}

void commit(crm::Call& call) {
  const std::string reservation = crm::required_uuid(call.input(), "reservation");
  const std::string status = locked_status(call, reservation);
  if (status.empty()) throw crm::not_found("reservation " + reservation);
  if (status == "RELEASED") throw crm::conflict("reservation was released");
  const auto lines = lines_of(call, reservation);
  if (status == "RESERVED") {
    for (const auto& line : lines)
      call.sql("update products set stock = stock - $2::int, reserved = reserved - $2::int, "
               "committed = committed + $2::int, updated_at = now() where sku = $1",
               {line.sku, line.quantity});
    call.sql("update reservations set status = 'COMMITTED', updated_at = now() where reservation = $1::uuid",
             {reservation});
    call.emit("stock.committed", reservation, reply_of(reservation, "COMMITTED", lines));
  }
  call.reply(reply_of(reservation, "COMMITTED", lines));
}

} // namespace inventory
