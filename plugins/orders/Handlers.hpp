// Handlers: every operation of the orders plugin, one function each,
// declared for the operation table in OrdersPlugin.cpp. Each throws
// crm::Error to fail.
#pragma once

#include <crm/plugin.hpp>

namespace orders {

// OrderPlacement.cpp: POST /api/orders
void place_order(crm::Call& call);

// OrderQueries.cpp: GET /api/orders, GET /api/orders/{id}
void list_orders(crm::Call& call);
void get_order(crm::Call& call);

// OrderCancel.cpp: POST /api/orders/{id}/cancel
void cancel_order(crm::Call& call);

// OrderSteps.cpp: the order_fulfillment saga's operations (system only)
void begin_order(crm::Call& call);
void advance_order(crm::Call& call);
void confirm_order(crm::Call& call);
void fail_order(crm::Call& call);

// OrderSubscriptions.cpp: what other plugins' events change
void on_shipment_delivered(crm::Call& call);
void on_payment_refunded(crm::Call& call);

// OrderStats.cpp: the stats read-model and its route
void project_status_changed(crm::Call& call);
void reset_stats(crm::Call& call);
void order_stats(crm::Call& call);

// OrderStream.cpp: GET /api/orders/{id}/stream
void stream_order(crm::Call& call);

} // namespace orders
