// Handlers: every operation of the customer plugin, one function each,
// declared for the operation table in CustomerPlugin.cpp. Each throws
// crm::Error to fail; record rules come from crm::OwnerScope.
#pragma once

#include <crm/plugin.hpp>

namespace customer {

// CustomerReadHandler.cpp: GET /api/customers/{id}, also customer.get.
void get_customer(crm::Call& call);

// CustomerQueryHandlers.cpp
void list_customers(crm::Call& call);
void customer_stats(crm::Call& call);

// CustomerCommandHandlers.cpp
void create_customer(crm::Call& call);
void update_customer(crm::Call& call);
void delete_customer(crm::Call& call);

// InvestmentProfileHandlers.cpp
void get_investment_profile(crm::Call& call);
void put_investment_profile(crm::Call& call);

// ReassignOwnerHandler.cpp
void reassign_owner(crm::Call& call);
void reassign_back(crm::Call& call);
void count_owned(crm::Call& call);

} // namespace customer
