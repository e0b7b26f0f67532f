// Metrics: the host's Prometheus registry, rendered as text exposition format
// 0.0.4 on GET /metrics.
//
// The per-request path (record_request) is lock-free once an operation has been
// seen: the operation's statistics are found under a shared lock (or kept by
// the caller as an OperationStats*), then updated with relaxed atomics. Other
// subsystems add counters (kept by reference) and gauges computed at scrape
// time by a callback (outbox lag, consumer pending, DLQ depth, ...).
#pragma once

#include "metrics/Counter.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace crm::metrics {

// Label name/value pairs, in the order they are rendered.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry {
public:
  // Upper bounds of the request duration histogram, seconds.
  static constexpr std::array<double, 14> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  // Distinct operation labels kept; more are folded into "other" so a caller
  // that passes raw paths by mistake cannot grow memory without bound.
  static constexpr std::size_t kMaxOperations = 1000;

  // Counts and latencies of one operation, one histogram per status seen.
  // Stable address for the Registry's life.
  class OperationStats {
  public:
    OperationStats() = default;
    OperationStats(const OperationStats&) = delete;
    OperationStats& operator=(const OperationStats&) = delete;
    ~OperationStats();
    void record(int status, double seconds);

  private:
    friend class Registry;
    static constexpr int kMinStatus = 100, kMaxStatus = 599;
    struct Histogram {
      // Per bucket (not cumulative: one increment per request); the last slot is +Inf.
      std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};
      std::atomic<std::uint64_t> sum_nanos{0};
    };
    // Indexed by status - 100, allocated on the first request with that status.
    // A status outside 100..599 is a bug somewhere and is counted as 500.
    std::array<std::atomic<Histogram*>, kMaxStatus - kMinStatus + 1> by_status_{};
  };

  using GaugeCallback = std::function<std::vector<std::pair<Labels, double>>()>;

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // One HTTP request handled. `operation` is the operation name, or a fixed
  // word for requests that reached none ("not_found"), never a raw path.
  void record_request(std::string_view operation, int status, double seconds) {
    stats_for(operation).record(status, seconds);
  }
  // The statistics of `operation`, created on first use; callers on a hot path
  // may keep the reference and call record() on it directly.
  OperationStats& stats_for(std::string_view operation);

  // The counter `name`{labels}, created on first use with `help`. Names follow
  // Prometheus rules ([a-zA-Z_:][a-zA-Z0-9_:]*); a bad name throws
  // std::invalid_argument (a programming error).
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});

  // A gauge family whose samples `callback` computes at each render(). The
  // callback runs without the registry's locks held and may throw: the family
  // is then left out of that scrape.
  void add_gauge_callback(const std::string& name, const std::string& help, GaugeCallback callback);

  // Everything, as Prometheus text exposition format 0.0.4.
  std::string render() const;

private:
  struct CounterFamily {
    std::string help;
    std::map<Labels, std::unique_ptr<Counter>> series;
  };
  struct GaugeFamily {
    std::string name, help;
    GaugeCallback callback;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  mutable std::shared_mutex operations_mutex_;
  std::unordered_map<std::string, std::unique_ptr<OperationStats>, StringHash, std::equal_to<>> operations_;

  mutable std::mutex families_mutex_; // counters and gauges: rarely touched
  std::map<std::string, CounterFamily> counters_;
  std::vector<std::shared_ptr<const GaugeFamily>> gauges_;
};

} // namespace crm::metrics
