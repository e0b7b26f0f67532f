// WorkflowCatalog: see the header.
#include "workflows/WorkflowCatalog.hpp"

#include "core/JsonText.hpp"
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

void append_summary(std::string& out, const CatalogEntry& e) {
  out += "{\"name\":";
  core::append_json_string(out, e.name);
  out += ",\"file\":";
  core::append_json_string(out, e.file);
  const bool live = !e.live_version.empty();
  out += ",\"kind\":";
  out += !live ? "null" : e.live.kind == WorkflowDefinition::Kind::Saga ? "\"saga\"" : "\"state_machine\"";
  out += ",\"trigger\":";
  if (!live) out += "null";
  else if (e.live.trigger_event.empty()) out += "\"manual\"";
  else core::append_json_string(out, e.live.trigger_event);
  out += ",\"version\":";
  if (live) core::append_json_string(out, e.live_version);
  else out += "null";
  // LIVE: the file is the live version. INVALID: the file's current content
  // was refused; the previous version (if any) stays live. RETIRED: the file
  // was removed; `version` is the last one that was live.
  out += !e.errors.empty() ? ",\"status\":\"INVALID\"" : e.retired ? ",\"status\":\"RETIRED\"" : ",\"status\":\"LIVE\"";
  out += ",\"errors\":";
  append_errors_json(out, e.errors);
}

} // namespace

std::string retired_message(const std::string& name) {
  return "the workflow " + name + " is retired (its file was removed): no new instance starts; "
         "instances already running finish on their version";
}

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
  // A PUT adds its entry before its file appears: a scan that listed the
  // folder in between would drop the entry as "file removed".
  std::lock_guard folder(folder_mutex_);
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
    try {
      load_file(item.path(), source, true);
    } catch (const std::exception&) {
      // logged; the next scan tries again
    }
  }
  retire_missing(present);
}

void WorkflowCatalog::retire_missing(const std::set<std::string>& present) {
  std::vector<std::string> gone; // live until now, file removed
  {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      CatalogEntry& e = it->second;
      if (present.count(e.file)) {
        ++it;
        continue;
      }
      seen_.erase(e.file);
      if (e.live_version.empty()) { // never live: nothing to retire, nothing to list
        it = entries_.erase(it);
        continue;
      }
      if (!e.retired) gone.push_back(e.name);
      ++it;
    }
  }
  // The first scan also finds what no host saw go: live in the database
  // without a file here, or retired before this host started.
  std::vector<CatalogEntry> earlier;
  try {
    auto conn = pool_.acquire();
    if (!scanned_) {
      auto rows = conn->query("select distinct on (d.name) d.name, d.version, d.source "
                              "from platform.workflow_definitions d left join platform.workflow_live l "
                              "on l.name = d.name "
                              "order by d.name, (l.version is not distinct from d.version) desc, d.created_at desc",
                              nullptr, 0);
      std::lock_guard lock(mutex_);
      for (int i = 0; i < rows.rows(); ++i) {
        const std::string name = rows.value(i, 0);
        if (present.count(name + ".lua") || entries_.count(name)) continue;
        CatalogEntry e;
        e.name = name;
        e.file = name + ".lua";
        e.live_version = rows.value(i, 1);
        e.live_source = rows.value(i, 2);
        e.retired = true;
        earlier.push_back(std::move(e));
        gone.push_back(name);
      }
    }
    for (const auto& name : gone) {
      const char* p[] = {name.c_str()};
      // No host starts an instance on it from here on (they start on
      // workflow_live's version); running ones keep theirs.
      conn->query("delete from platform.workflow_live where name = $1", p, 1);
    }
  } catch (const std::exception& e) {
    log::warn("workflows", std::string("cannot retire the workflows whose file was removed: ") + e.what(), {});
    return; // the next scan tries again
  }
  scanned_ = true;
  // What a definition declares (kind, trigger) is read for the listing only;
  // it need not pass today's checks.
  for (auto& e : earlier) {
    e.live = check_definition(e.live_source, e.file, DefinitionContext{{}, {}, lib_dir()}).definition;
  }
  std::lock_guard lock(mutex_);
  for (auto& e : earlier) entries_.emplace(e.name, std::move(e));
  for (const auto& name : gone) {
    auto it = entries_.find(name);
    if (it == entries_.end() || it->second.retired) continue;
    it->second.retired = true;
    it->second.errors.clear();
    log::info("workflows",
              "workflow " + name + " is retired (its file was removed); running instances finish on version " +
                  it->second.live_version,
              {{"workflow", name}});
  }
}

std::vector<DefinitionError> WorkflowCatalog::load_file(const fs::path& path, const std::string& source,
                                                        bool log_errors) {
  const std::string file = path.filename().string();
  const std::string name = path.stem().string();
  auto snapshot = registry_.snapshot();
  const std::set<std::string> events = known_event_types(*snapshot);
  DefinitionContext context{[&snapshot](const std::string& op) { return snapshot->operations.count(op) > 0; },
                            [&events](const std::string& type) { return events.count(type) > 0; }, lib_dir()};
  DefinitionCheck check = check_definition(source, file, context);

  if (!check.errors.empty()) {
    if (log_errors) {
      for (const auto& e : check.errors)
        log::error("workflows",
                   file + ":" + std::to_string(e.line) + ": " + e.message + " (the previous version stays live)",
                   {{"workflow", name}});
      std::lock_guard lock(mutex_);
      CatalogEntry& entry = entries_[name];
      entry.name = name;
      entry.file = file;
      entry.errors = check.errors;
    }
    return check.errors;
  }
  const std::string version = sha256_hex(source).substr(0, 16);
  try {
    store_version(name, version, source, check.definition);
  } catch (const std::exception& e) {
    // Not stored, not live: the next scan tries again.
    log::warn("workflows", std::string("cannot store the definition: ") + e.what(), {{"workflow", name}});
    std::lock_guard lock(mutex_);
    seen_.erase(file);
    throw;
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
  entry.retired = false;
  return {};
}

std::vector<DefinitionError> WorkflowCatalog::put(const std::string& name, const std::string& source,
                                                  std::string& version, bool& created) {
  const fs::path path = dir_ / (name + ".lua");
  std::lock_guard folder(folder_mutex_);
  {
    std::lock_guard lock(mutex_);
    created = !entries_.count(name);
  }
  fs::create_directories(dir_);
  auto errors = load_file(path, source, false);
  if (!errors.empty()) return errors;
  // Into the folder too, so the version survives a restart; the watcher sees
  // the same content and leaves it be.
  const fs::path tmp = dir_ / ("." + name + ".lua.tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << source;
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
  std::lock_guard lock(mutex_);
  seen_[path.filename().string()] = sha256_hex(source);
  version = entries_[name].live_version;
  return {};
}

void WorkflowCatalog::store_version(const std::string& name, const std::string& version, const std::string& source,
                                    const WorkflowDefinition& definition) {
  const std::string kind = definition.kind == WorkflowDefinition::Kind::Saga ? "saga" : "state_machine";
  const char* params[] = {name.c_str(), version.c_str(), source.c_str(), kind.c_str(),
                          definition.start.empty() ? nullptr : definition.start.c_str()};
  auto conn = pool_.acquire();
  conn->query("with v as (insert into platform.workflow_definitions (name, version, source) values ($1, $2, $3) "
              "on conflict do nothing) "
              "insert into platform.workflow_live (name, version, kind, start) values ($1, $2, $4, $5) "
              "on conflict (name) do update set version = excluded.version, kind = excluded.kind, "
              "start = excluded.start, updated_at = now()",
              params, 5);
}

bool WorkflowCatalog::is_live(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  return it != entries_.end() && !it->second.live_version.empty() && !it->second.retired;
}

bool WorkflowCatalog::is_retired(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  return it != entries_.end() && it->second.retired;
}

std::optional<CatalogEntry> WorkflowCatalog::live(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end() || it->second.live_version.empty() || it->second.retired) return std::nullopt;
  return it->second;
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
  else core::append_json_string(out, entry.live_source);
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
    core::append_json_string(out, rows.value(i, 0));
    out += ",\"createdAt\":";
    core::append_json_string(out, rows.value(i, 1));
    out += '}';
  }
  return out + "]}";
}

} // namespace crm::workflows
