// CacheKeys: the names under which this plugin caches (the host namespaces
// them per plugin). One customer's JSON, as GET /api/customers/{id} answers
// it, lives under "customer:<id>"; every change of the customer drops it.
#pragma once

#include <string>
#include <string_view>

namespace customer {

inline constexpr std::string_view kCustomerKeyPrefix = "customer:";

inline std::string customer_cache_key(std::string_view id) {
  std::string key(kCustomerKeyPrefix);
  key += id;
  return key;
}

} // namespace customer
