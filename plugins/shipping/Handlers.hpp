// Handlers: every operation of the shipping plugin, declared for the
// operation table in ShippingPlugin.cpp. Each throws crm::Error to fail.
#pragma once

#include <crm/plugin.hpp>

namespace shipping {

// ShipmentHandlers.cpp
void create_shipment(crm::Call& call);
void cancel_shipment(crm::Call& call);
void deliver_shipment(crm::Call& call);
void get_shipment(crm::Call& call);

} // namespace shipping
