// SqlStatement: one SQL statement put together from fixed clauses, with its
// parameters numbered as they are added. For the queries whose filters vary
// (lists, stats): each combination of filters is its own statement text, so
// PostgreSQL plans it with only the conditions that apply (the host prepares
// every text once per connection; a catch-all "$1 is null or ..." would be
// planned once for all cases and lose the indexes). Values are always bound
// parameters, never part of the text.
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace customer {

class SqlStatement {
public:
  SqlStatement& operator<<(std::string_view text) {
    text_ += text;
    return *this;
  }
  // Binds `value` (nullopt: NULL) and returns its placeholder, "$<n>".
  std::string bind(std::optional<std::string> value) {
    values_.push_back(std::move(value));
    return "$" + std::to_string(values_.size());
  }
  // Runs it in the call's transaction; throws crm::Error with the host's status.
  crm::Rows run(crm::Call& call) const {
    std::vector<const char*> params;
    params.reserve(values_.size());
    for (const auto& v : values_) params.push_back(v ? v->c_str() : nullptr);
    crm_rows* out = nullptr;
    const crm_status st = crm::detail::host->sql(call.raw(), text_.c_str(), params.data(), params.size(), &out);
    if (st != CRM_OK) throw crm::Error(st, "");
    return crm::Rows(out);
  }

private:
  std::string text_;
  std::vector<std::optional<std::string>> values_;
};

} // namespace customer
