// WorkflowCatalog: the workflow definitions of the workflows folder. Each
// *.lua file is checked (check_definition) against the loaded platform; a
// valid one becomes the live version of its workflow, stored in
// platform.workflow_definitions under its content hash with its source, so
// every version that ever ran can be read back. The folder is watched: an edit
// goes live after it passes the checks; an invalid edit is refused with its
// errors (and logged with file:line) while the previous version stays live.
// Deleting a workflow's file retires it: no new instance starts (a start is
// refused as retired), it is listed as RETIRED, and the instances already
// running finish on their version. The file coming back makes it live again.
// Thread-safe.
#pragma once

#include "plugins/PluginRegistry.hpp"
#include "storage/ConnectionPool.hpp"
#include "workflows/WorkflowDefinition.hpp"

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace crm::workflows {

struct CatalogEntry {
  std::string name;           // from the file name
  std::string file;           // e.g. reassignment.lua
  WorkflowDefinition live;    // valid when !live_version.empty()
  std::string live_version;   // content hash (sha256 hex, 16 chars shown)
  std::string live_source;
  std::vector<DefinitionError> errors; // of the file as it is now; empty: it is the live version
  // The file was removed: live_version is the last version that was live, and
  // nothing new starts on it.
  bool retired = false;
};

// What a start of a retired workflow is answered (409).
std::string retired_message(const std::string& name);

class WorkflowCatalog {
public:
  WorkflowCatalog(std::filesystem::path dir, plugins::PluginRegistry& registry, storage::ConnectionPool& pool);
  ~WorkflowCatalog(); // stops the watcher

  // Reads the folder now; then every interval while started.
  void scan();
  void start(std::chrono::milliseconds interval);

  std::vector<CatalogEntry> entries() const;
  // The entry of `name` when it has a live version.
  std::optional<CatalogEntry> live(const std::string& name) const;
  bool is_live(const std::string& name) const;
  // Its file was removed (see the file's first comment).
  bool is_retired(const std::string& name) const;
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path lib_dir() const { return dir_ / "lib"; }

  // PUT /api/workflows/{name}: checks `source`; when valid, writes it to the
  // folder (so it survives a restart) and makes it live at once. Returns the
  // errors (empty: live) and sets `version`.
  std::vector<DefinitionError> put(const std::string& name, const std::string& source, std::string& version,
                                   bool& created);
  // {"items": [{name, kind, trigger, version, status (LIVE, INVALID, RETIRED), errors}]}
  std::string list_json() const;
  // {name, file, status, version, source, errors, versions: [{version, createdAt}]}; empty when unknown.
  std::string detail_json(const std::string& name);

private:
  // Returns the errors; empty: it went live.
  std::vector<DefinitionError> load_file(const std::filesystem::path& path, const std::string& source, bool log_errors);
  void store_version(const std::string& name, const std::string& version, const std::string& source,
                     const WorkflowDefinition& definition);
  // After a scan: retires the workflows whose file is gone (`present`: the
  // files there are). The first scan also retires what was live in the
  // database without a file (removed while no host ran) and lists the
  // workflows retired before. Called with folder_mutex_ held.
  void retire_missing(const std::set<std::string>& present);

  std::filesystem::path dir_;
  plugins::PluginRegistry& registry_;
  storage::ConnectionPool& pool_;
  mutable std::mutex mutex_;
  std::mutex folder_mutex_; // scan() and put() one at a time (see scan())
  std::map<std::string, CatalogEntry> entries_;
  std::map<std::string, std::string> seen_; // file -> hash of the content last read
  bool scanned_ = false; // the first scan is done (under folder_mutex_)
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

} // namespace crm::workflows
