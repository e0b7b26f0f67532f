// Metrics: see the header.
#include "metrics/Metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace crm::metrics {

namespace {

constexpr std::string_view kOtherOperation = "other";

// The bucket bounds as Prometheus expects to read them in le="...".
constexpr std::array<std::string_view, Registry::kBuckets.size()> kBucketLabels{
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"};

bool valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void append_help_text(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
}

void append_label_value(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
}

void append_header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out += "# HELP ";
  out += name;
  out.push_back(' ');
  append_help_text(out, help);
  out += "\n# TYPE ";
  out += name;
  out.push_back(' ');
  out += type;
  out.push_back('\n');
}

void append_labels(std::string& out, const Labels& labels) {
  if (labels.empty()) return;
  out.push_back('{');
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out.push_back(',');
    out += labels[i].first;
    out += "=\"";
    append_label_value(out, labels[i].second);
    out.push_back('"');
  }
  out.push_back('}');
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec; // 24 bytes hold any uint64
  out.append(buf, end);
}

void append_double(std::string& out, double v) {
  if (std::isnan(v)) return void(out += "NaN");
  if (std::isinf(v)) return void(out += v > 0 ? "+Inf" : "-Inf");
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec; // the shortest form of a double fits in 32 bytes
  out.append(buf, end);
}

void check_labels(const Labels& labels) {
  for (const auto& [name, value] : labels)
    if (!valid_name(name, false) || name.rfind("__", 0) == 0)
      throw std::invalid_argument("invalid metric label name '" + name + "'");
}

} // namespace

Registry::OperationStats::~OperationStats() {
  for (auto& slot : by_status_) delete slot.load(std::memory_order_relaxed);
}

void Registry::OperationStats::record(int status, double seconds) {
  if (status < kMinStatus || status > kMaxStatus) status = 500;
  std::atomic<Histogram*>& slot = by_status_[status - kMinStatus];
  Histogram* h = slot.load(std::memory_order_acquire);
  if (h == nullptr) {
    auto fresh = std::make_unique<Histogram>();
    if (slot.compare_exchange_strong(h, fresh.get(), std::memory_order_acq_rel)) h = fresh.release();
    // else: another thread installed one first; h now points at it.
  }
  if (!(seconds >= 0)) seconds = 0; // negative or NaN: a clock went wrong
  std::size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  h->buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  h->sum_nanos.fetch_add(static_cast<std::uint64_t>(std::min(seconds, 1e9) * 1e9 + 0.5), std::memory_order_relaxed);
}

Registry::OperationStats& Registry::stats_for(std::string_view operation) {
  {
    std::shared_lock lock(operations_mutex_);
    auto it = operations_.find(operation);
    if (it != operations_.end()) return *it->second;
  }
  std::unique_lock lock(operations_mutex_);
  auto it = operations_.find(operation); // another thread may have inserted it meanwhile
  if (it != operations_.end()) return *it->second;
  if (operations_.size() >= kMaxOperations) {
    operation = kOtherOperation;
    it = operations_.find(operation);
    if (it != operations_.end()) return *it->second;
  }
  auto [inserted, _] = operations_.emplace(std::string(operation), std::make_unique<OperationStats>());
  return *inserted->second;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  if (!valid_name(name, true)) throw std::invalid_argument("invalid metric name '" + name + "'");
  check_labels(labels);
  std::lock_guard lock(families_mutex_);
  CounterFamily& family = counters_[name];
  if (family.help.empty()) family.help = help;
  std::unique_ptr<Counter>& slot = family.series[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

void Registry::add_gauge_callback(const std::string& name, const std::string& help, GaugeCallback callback) {
  if (!valid_name(name, true)) throw std::invalid_argument("invalid metric name '" + name + "'");
  std::lock_guard lock(families_mutex_);
  gauges_.push_back(std::make_shared<const GaugeFamily>(GaugeFamily{name, help, std::move(callback)}));
}

std::string Registry::render() const {
  std::string out;

  // Requests: a sorted snapshot of the operations; their stats are atomics
  // read without the lock (entries are never removed, addresses never move).
  std::vector<std::pair<const std::string*, const OperationStats*>> ops;
  {
    std::shared_lock lock(operations_mutex_);
    ops.reserve(operations_.size());
    for (const auto& [name, stats] : operations_) ops.emplace_back(&name, stats.get());
  }
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
  out.reserve(512 + ops.size() * 2048);

  // One histogram per (operation, status); its _count is also the requests total.
  struct Series {
    const std::string* operation;
    int status;
    std::array<std::uint64_t, kBuckets.size() + 1> cumulative;
    double sum;
  };
  std::vector<Series> series;
  for (const auto& [name, stats] : ops) {
    for (std::size_t i = 0; i < stats->by_status_.size(); ++i) {
      const OperationStats::Histogram* h = stats->by_status_[i].load(std::memory_order_acquire);
      if (h == nullptr) continue;
      Series s{name, static_cast<int>(i) + OperationStats::kMinStatus, {}, 0};
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
        cumulative += h->buckets[b].load(std::memory_order_relaxed);
        s.cumulative[b] = cumulative;
      }
      s.sum = static_cast<double>(h->sum_nanos.load(std::memory_order_relaxed)) / 1e9;
      series.push_back(s);
    }
  }
  auto append_series_labels = [&out](const Series& s) {
    out += "{operation=\"";
    append_label_value(out, *s.operation);
    out += "\",status=\"";
    append_uint(out, static_cast<std::uint64_t>(s.status));
    out += '"';
  };

  append_header(out, "crm_http_requests_total", "HTTP requests handled, by operation and status.", "counter");
  for (const Series& s : series) {
    out += "crm_http_requests_total";
    append_series_labels(s);
    out += "} ";
    append_uint(out, s.cumulative.back());
    out.push_back('\n');
  }

  append_header(out, "crm_http_request_duration_seconds", "Time to handle an HTTP request, by operation and status.",
                "histogram");
  for (const Series& s : series) {
    for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
      out += "crm_http_request_duration_seconds_bucket";
      append_series_labels(s);
      out += ",le=\"";
      out += b < kBuckets.size() ? kBucketLabels[b] : std::string_view("+Inf");
      out += "\"} ";
      append_uint(out, s.cumulative[b]);
      out.push_back('\n');
    }
    out += "crm_http_request_duration_seconds_sum";
    append_series_labels(s);
    out += "} ";
    append_double(out, s.sum);
    out += "\ncrm_http_request_duration_seconds_count";
    append_series_labels(s);
    out += "} ";
    append_uint(out, s.cumulative.back());
    out.push_back('\n');
  }

  std::vector<std::shared_ptr<const GaugeFamily>> gauges;
  {
    std::lock_guard lock(families_mutex_);
    for (const auto& [name, family] : counters_) {
      append_header(out, name, family.help, "counter");
      for (const auto& [labels, counter] : family.series) {
        out += name;
        append_labels(out, labels);
        out.push_back(' ');
        append_uint(out, counter->value());
        out.push_back('\n');
      }
    }
    gauges = gauges_;
  }

  // Callbacks may query other subsystems: call them with no lock held.
  for (const auto& gauge : gauges) {
    std::vector<std::pair<Labels, double>> samples;
    try {
      samples = gauge->callback();
      for (const auto& [labels, value] : samples) check_labels(labels);
    } catch (const std::exception&) {
      continue; // a failing source leaves its family out rather than failing the scrape
    }
    append_header(out, gauge->name, gauge->help, "gauge");
    for (const auto& [labels, value] : samples) {
      out += gauge->name;
      append_labels(out, labels);
      out.push_back(' ');
      append_double(out, value);
      out.push_back('\n');
    }
  }
  return out;
}

} // namespace crm::metrics
