// CustomerReadHandler: GET /api/customers/{id}, the operation customer.get
// that other contexts also invoke (as their caller, so the record rules hold:
// 404 for a customer that is missing, deleted or not the caller's to see).
//
// The hottest path of the plugin: it answers from the cache when it can, and
// otherwise reads one row and caches it. It therefore reads the input and the
// principal in place (JsonScan, no JSON tree), calls the host API directly
// rather than through the SDK's copying wrappers, and hands the cached or
// selected text to reply() as it is.
//
// The cached value is the customer's JSON, ownerId included, so visibility is
// checked against it without the database. Deleted customers are never cached
// (the read skips them) and every change drops the key after it commits; the
// host keeps a value read before a change from being stored after it.
#include "Handlers.hpp"

#include "CacheKeys.hpp"
#include "Settings.hpp"

#include <crm/sdk/json_scan.hpp>
#include <crm/sdk/owner_scope.hpp>

#include <array>

namespace customer {

namespace {

// "customer:<uuid>" in a fixed buffer, the id lower-cased (one key per customer
// however the caller spells it). NUL-terminated for the host.
class CustomerKey {
public:
  explicit CustomerKey(std::string_view id) {
    size_t n = 0;
    for (char c : kCustomerKeyPrefix) text_[n++] = c;
    for (char c : id) text_[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    text_[n] = '\0';
  }
  const char* key() const { return text_.data(); }
  const char* id() const { return text_.data() + kCustomerKeyPrefix.size(); }

private:
  std::array<char, kCustomerKeyPrefix.size() + 36 + 1> text_{};
};

std::string_view input_id(crm::Call& call) {
  const auto raw = crm::json_scan::member(call.input_json(), "id");
  if (!raw) throw crm::invalid("id", "is required");
  const auto id = crm::json_scan::plain_string(*raw);
  if (!id || !crm::is_uuid(*id)) throw crm::invalid("id", "must be a UUID");
  return *id;
}

constexpr const char* kSelectLive =
    "select customer_json(c), c.owner_id from customers c where c.id = $1::uuid and c.deleted_at is null";

} // namespace

void get_customer(crm::Call& call) {
  const crm_host_api* host = crm::detail::host;
  const CustomerKey key(input_id(call));
  const auto scope = crm::OwnerScope::of(call);

  const char* cached = nullptr;
  size_t cached_len = 0;
  if (host->cache_get(call.raw(), key.key(), &cached, &cached_len) == CRM_OK && cached) {
    const std::string_view value(cached, cached_len);
    const auto raw_owner = crm::json_scan::member(value, "ownerId");
    const auto owner = raw_owner ? crm::json_scan::plain_string(*raw_owner) : std::nullopt;
    if (owner) {
      if (!scope.may_see(*owner)) throw crm::not_found("customer");
      call.reply(value);
      return;
    }
    // Not a value this code wrote: fall through to the database.
  }

  const char* params[] = {key.id()};
  crm_rows* rows = nullptr;
  const crm_status st = host->sql(call.raw(), kSelectLive, params, 1, &rows);
  if (st != CRM_OK) throw crm::Error(st, ""); // the host recorded why
  if (host->rows_count(rows) == 0) throw crm::not_found("customer");
  size_t json_len = 0, owner_len = 0;
  const char* json = host->rows_value(rows, 0, 0, &json_len);
  const char* owner = host->rows_value(rows, 0, 1, &owner_len);
  // Cached whoever asked: the next caller may be one who sees it.
  host->cache_set(call.raw(), key.key(), json, json_len, settings().cache_ttl_seconds);
  if (!scope.may_see(std::string_view(owner, owner_len))) throw crm::not_found("customer");
  call.reply(std::string_view(json, json_len));
}

} // namespace customer
