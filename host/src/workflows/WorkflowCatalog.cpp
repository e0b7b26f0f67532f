// WorkflowCatalog: see the header.
#include "workflows/WorkflowCatalog.hpp"

#include "http/JsonText.hpp"
#include "log/Log.hpp"
#include "workflows/WorkflowValidation.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <fstream>
#include <set>
#include <sstream>

namespace crm::workflows {

namespace fs = std::filesystem;

namespace {

std::string sha256_hex(const std::string& text) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(text);
  return Poco::DigestEngine::digestToHex(sha.digest());
}

void append_errors(std::string& out, const std::vector<DefinitionError>& errors) {
  out += '[';
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i) out += ',';
    out += "{\"line\":" + std::to_string(errors[i].line) + ",\"message\":";
    http::append_json_string(out, errors[i].message);
    out += '}';
  }
  out += ']';
}

void append_summary(std::string& out, const CatalogEntry& e) {
  out += "{\"name\":";
  http::append_json_string(out, e.name);
  out += ",\"file\":";
  http::append_json_string(out, e.file);
  const bool live = !e.live_version.empty();
  out += ",\"kind\":";
  out += !live ? "null" : e.live.kind == WorkflowDefinition::Kind::Saga ? "\"saga\"" : "\"state_machine\"";
  out += ",\"trigger\":";
  if (!live) out += "null";
  else if (e.live.trigger_event.empty()) out += "\"manual\"";
  else http::append_json_string(out, e.live.trigger_event);
  out += ",\"version\":";
  if (live) http::append_json_string(out, e.live_version);
  else out += "null";
  // LIVE: the file is the live version. INVALID: the file's current content
  // was refused; the previous version (if any) stays live.
  out += e.errors.empty() ? ",\"status\":\"LIVE\"" : ",\"status\":\"INVALID\"";
  out += ",\"errors\":";
  append_errors(out, e.errors);
}

} // namespace

WorkflowCatalog::WorkflowCatalog(fs::path dir, plugins::PluginRegistry& registry, storage::ConnectionPool& pool)
    : dir_(std::move(dir)), registry_(registry), pool_(pool) {}

WorkflowCatalog::~WorkflowCatalog() {
  stop_ = true;
  if (watcher_.joinable()) watcher_.join();
}

void WorkflowCatalog::start(std::chrono::milliseconds interval) {
  watcher_ = std::thread([this, interval] {
    while (!stop_) {
      for (auto slept = std::chrono::milliseconds(0); slept < interval && !stop_; slept += std::chrono::milliseconds(50))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (!stop_) scan();
    }
  });
}

void WorkflowCatalog::scan() {
  std::error_code ec;
  std::set<std::string> present;
  for (const auto& item : fs::directory_iterator(dir_, ec)) {
    if (!item.is_regular_file() || item.path().extension() != ".lua") continue;
    const std::string file = item.path().filename().string();
    present.insert(file);
    std::ifstream in(item.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const std::string source = text.str();
    const std::string hash = sha256_hex(source);
    {
      std::lock_guard lock(mutex_);
      auto seen = seen_.find(file);
      if (seen != seen_.end() && seen->second == hash) continue;
      seen_[file] = hash;
    }
    load_file(item.path(), source);
  }
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!present.count(it->second.file)) {
      seen_.erase(it->second.file);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

void WorkflowCatalog::load_file(const fs::path& path, const std::string& source) {
  const std::string file = path.filename().string();
  const std::string name = path.stem().string();
  auto snapshot = registry_.snapshot();
  const std::set<std::string> events = known_event_types(*snapshot);
  DefinitionContext context{[&snapshot](const std::string& op) { return snapshot->operations.count(op) > 0; },
                            [&events](const std::string& type) { return events.count(type) > 0; }};
  DefinitionCheck check = check_definition(source, file, context);

  if (!check.errors.empty()) {
    for (const auto& e : check.errors)
      log::error("workflows", file + ":" + std::to_string(e.line) + ": " + e.message + " (the previous version stays live)",
                 {{"workflow", name}});
    std::lock_guard lock(mutex_);
    CatalogEntry& entry = entries_[name];
    entry.name = name;
    entry.file = file;
    entry.errors = std::move(check.errors);
    return;
  }
  const std::string version = sha256_hex(source).substr(0, 16);
  try {
    store_version(name, version, source);
  } catch (const std::exception& e) {
    // Not stored, not live: the next scan tries again.
    log::warn("workflows", std::string("cannot store the definition: ") + e.what(), {{"workflow", name}});
    std::lock_guard lock(mutex_);
    seen_.erase(file);
    return;
  }
  log::info("workflows", "workflow " + name + " version " + version + " is live", {{"workflow", name}});
  std::lock_guard lock(mutex_);
  CatalogEntry& entry = entries_[name];
  entry.name = name;
  entry.file = file;
  entry.live = std::move(check.definition);
  entry.live_version = version;
  entry.live_source = source;
  entry.errors.clear();
}

void WorkflowCatalog::store_version(const std::string& name, const std::string& version, const std::string& source) {
  const char* params[] = {name.c_str(), version.c_str(), source.c_str()};
  auto conn = pool_.acquire();
  conn->query("insert into platform.workflow_definitions (name, version, source) values ($1, $2, $3) "
              "on conflict do nothing",
              params, 3);
}

std::vector<CatalogEntry> WorkflowCatalog::entries() const {
  std::lock_guard lock(mutex_);
  std::vector<CatalogEntry> out;
  for (const auto& [name, e] : entries_) out.push_back(e);
  return out;
}

std::string WorkflowCatalog::list_json() const {
  std::string out = "{\"items\":[";
  bool first = true;
  for (const auto& e : entries()) {
    if (!first) out += ',';
    first = false;
    append_summary(out, e);
    out += '}';
  }
  return out + "],\"nextCursor\":null}";
}

std::string WorkflowCatalog::detail_json(const std::string& name) {
  CatalogEntry entry;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return {};
    entry = it->second;
  }
  std::string out;
  append_summary(out, entry);
  out += ",\"source\":";
  if (entry.live_version.empty()) out += "null";
  else http::append_json_string(out, entry.live_source);
  out += ",\"versions\":[";
  const char* params[] = {name.c_str()};
  auto conn = pool_.acquire();
  auto rows = conn->query("select version, to_char(created_at at time zone 'UTC', "
                          "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') from platform.workflow_definitions "
                          "where name = $1 order by created_at desc",
                          params, 1);
  for (int i = 0; i < rows.rows(); ++i) {
    if (i) out += ',';
    out += "{\"version\":";
    http::append_json_string(out, rows.value(i, 0));
    out += ",\"createdAt\":";
    http::append_json_string(out, rows.value(i, 1));
    out += '}';
  }
  return out + "]}";
}

} // namespace crm::workflows
