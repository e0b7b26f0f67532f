// PluginHealth: what plugins tell the host's probes and metrics through the
// "health" service (plugin_services.h): the state of their components, shown
// among GET /health/ready's checks, and their own gauges and counters, shown
// on GET /metrics after the host's.
//
// The service's functions carry no call, so the state is process-wide: one
// PluginHealth, shared by every thread (the functions may be called from a
// plugin's own threads, outside any call). All members are thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace crm::metrics {

class PluginHealth {
public:
  static PluginHealth& instance();

  struct Component {
    std::string name;
    bool up = false;
    std::string detail;
  };

  // The last report wins. A name that is not "<plugin>.<part>" (letters,
  // digits, '.', '_', '-'; 1..100 characters) is refused: false.
  bool report(const std::string& component, bool up, const std::string& detail);
  // false for a bad name or labels (see valid_name, valid_labels), or when
  // `name` already is a series of the other kind, or a negative delta.
  bool gauge(const std::string& name, const std::string& help, const std::string& labels, double value);
  bool count(const std::string& name, const std::string& help, const std::string& labels, double delta);

  std::vector<Component> components() const; // by name
  // The series as Prometheus text exposition (HELP and TYPE once per name).
  std::string render() const;

  // Forgets everything (unit tests).
  void clear();

  // A Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*, at most 200 characters.
  static bool valid_name(const std::string& name);
  // A label set as Prometheus text without braces: name="value" pairs,
  // comma-separated, values escaped (\\, \", \n), or empty.
  static bool valid_labels(const std::string& labels);

private:
  enum class Kind { Gauge, Counter };
  struct Family {
    Kind kind;
    std::string help;
    std::map<std::string, double> series; // by label text
  };
  bool set(Kind kind, const std::string& name, const std::string& help, const std::string& labels, double value);

  mutable std::mutex mutex_;
  std::map<std::string, Component> components_;
  std::map<std::string, Family> families_;
};

} // namespace crm::metrics
