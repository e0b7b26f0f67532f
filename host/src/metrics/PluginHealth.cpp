// PluginHealth: see the header.
#include "metrics/PluginHealth.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace crm::metrics {

namespace {

// Bounds what a plugin can make the host hold: a leaking label value must not
// grow /metrics without end.
constexpr size_t kMaxComponents = 200;
constexpr size_t kMaxFamilies = 500;
constexpr size_t kMaxSeriesPerFamily = 1000;

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

std::string help_text(const std::string& help) {
  // HELP escapes backslash and newline.
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

} // namespace

PluginHealth& PluginHealth::instance() {
  static PluginHealth health;
  return health;
}

bool PluginHealth::valid_name(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0)) return false;
  return true;
}

bool PluginHealth::valid_labels(const std::string& labels) {
  size_t i = 0;
  const size_t n = labels.size();
  if (n > 1000) return false;
  while (i < n) {
    size_t start = i;
    while (i < n && name_char(labels[i], i == start)) ++i;
    if (i == start || i + 1 >= n || labels[i] != '=' || labels[i + 1] != '"') return false;
    i += 2;
    bool closed = false;
    while (i < n) {
      if (labels[i] == '\\') {
        if (i + 1 >= n || (labels[i + 1] != '\\' && labels[i + 1] != '"' && labels[i + 1] != 'n')) return false;
        i += 2;
      } else if (labels[i] == '"') {
        closed = true;
        ++i;
        break;
      } else if (labels[i] == '\n') {
        return false;
      } else {
        ++i;
      }
    }
    if (!closed) return false;
    if (i < n) {
      if (labels[i] != ',') return false;
      ++i;
      if (i == n) return false;
    }
  }
  return true;
}

bool PluginHealth::report(const std::string& component, bool up, const std::string& detail) {
  if (component.empty() || component.size() > 100 || component.find('.') == std::string::npos) return false;
  for (char c : component)
    if (!name_char(c, false) && c != '.' && c != '-') return false;
  std::lock_guard lock(mutex_);
  if (!components_.count(component) && components_.size() >= kMaxComponents) return false;
  components_[component] = Component{component, up, detail.substr(0, 500)};
  return true;
}

bool PluginHealth::gauge(const std::string& name, const std::string& help, const std::string& labels, double value) {
  return set(Kind::Gauge, name, help, labels, value);
}

bool PluginHealth::count(const std::string& name, const std::string& help, const std::string& labels, double delta) {
  if (!(delta >= 0) || std::isinf(delta)) return false;
  return set(Kind::Counter, name, help, labels, delta);
}

bool PluginHealth::set(Kind kind, const std::string& name, const std::string& help, const std::string& labels,
                       double value) {
  if (!valid_name(name) || !valid_labels(labels)) return false;
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    if (families_.size() >= kMaxFamilies) return false;
    it = families_.emplace(name, Family{kind, help, {}}).first; // the first help given wins
  }
  Family& family = it->second;
  if (family.kind != kind) return false;
  auto series = family.series.find(labels);
  if (series == family.series.end()) {
    if (family.series.size() >= kMaxSeriesPerFamily) return false;
    series = family.series.emplace(labels, 0.0).first;
  }
  if (kind == Kind::Gauge)
    series->second = value;
  else
    series->second += value;
  return true;
}

std::vector<PluginHealth::Component> PluginHealth::components() const {
  std::lock_guard lock(mutex_);
  std::vector<Component> out;
  out.reserve(components_.size());
  for (const auto& [name, c] : components_) out.push_back(c);
  return out;
}

std::string PluginHealth::render() const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    out << "# HELP " << name << ' ' << help_text(family.help) << '\n';
    out << "# TYPE " << name << (family.kind == Kind::Gauge ? " gauge\n" : " counter\n");
    for (const auto& [labels, value] : family.series) {
      out << name;
      if (!labels.empty()) out << '{' << labels << '}';
      out << ' ' << number(value) << '\n';
    }
  }
  return out.str();
}

void PluginHealth::clear() {
  std::lock_guard lock(mutex_);
  components_.clear();
  families_.clear();
}

} // namespace crm::metrics
