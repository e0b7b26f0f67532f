// Handlers: every operation of the inventory plugin, one function each,
// declared for the operation table in InventoryPlugin.cpp. Each throws
// crm::Error to fail; the call's transaction makes a failure change nothing.
#pragma once

#include <crm/plugin.hpp>

namespace inventory {

// ProductHandlers.cpp: the catalogue (REST).
void list_products(crm::Call& call);
void get_product(crm::Call& call);
void create_product(crm::Call& call);
void update_product(crm::Call& call);
void restock_product(crm::Call& call);

// PriceHandler.cpp: inventory.price, an order's lines priced.
void price_items(crm::Call& call);

// ReservationHandlers.cpp: the stock an order holds.
void reserve(crm::Call& call);
void release(crm::Call& call);
void commit(crm::Call& call);

// BalanceHandler.cpp: GET /api/inventory/balance.
void stock_check(crm::Call& call);

// DemoProducts.cpp: the on-start operation.
void load_demo_products(crm::Call& call);

} // namespace inventory
