// Counter: a monotonically increasing number exposed on /metrics, owned by the
// metrics Registry and handed out by reference (its address never changes), so
// a subsystem can keep a Counter& and bump it from any thread without a lookup.
#pragma once

#include <atomic>
#include <cstdint>

namespace crm::metrics {

class Counter {
public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<std::uint64_t> value_{0};
};

} // namespace crm::metrics
