// AmountRules: the money an approval is about, checked as it arrives: an
// amount numeric(18,2) can hold and a currency code. Each failure is a 422 on
// its field. The general input rules are the SDK's (crm/sdk/input_rules.hpp).
#pragma once

#include <crm/plugin.hpp>

#include <string>

namespace opportunity {

// A money amount: a JSON number greater than 0, below 10^16 and with at most
// two decimals (numeric(18,2)), as a decimal text for PostgreSQL ("1500.5").
std::string required_amount(const crm::Input& in, const std::string& key);

// An ISO 4217-style code: three upper-case letters; `fallback` when absent.
std::string currency_or(const crm::Input& in, const std::string& key, const std::string& fallback);

} // namespace opportunity
