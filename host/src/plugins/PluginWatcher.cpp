// PluginWatcher: see the header.
#include "plugins/PluginWatcher.hpp"

#include "log/Log.hpp"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/Path.h>

namespace crm::plugins {

PluginWatcher::PluginWatcher(PluginLoader& loader, std::string dir, long interval_ms)
    : loader_(loader), dir_(std::move(dir)), interval_ms_(interval_ms) {}

PluginWatcher::~PluginWatcher() { stop(); }

void PluginWatcher::load_initial() { scan(true); }

void PluginWatcher::start() {
  if (interval_ms_ <= 0 || running_) return;
  running_ = true;
  thread_.start(*this);
}

void PluginWatcher::stop() {
  if (!running_) return;
  stop_.set();
  thread_.join();
  running_ = false;
}

void PluginWatcher::run() {
  while (!stop_.tryWait(interval_ms_)) {
    try {
      scan(false);
    } catch (const std::exception& e) {
      log::warn("plugins", std::string("cannot scan the plugin folder: ") + e.what(), {});
    }
  }
}

void PluginWatcher::scan(bool initial) {
  Poco::File folder(dir_);
  if (!folder.exists() || !folder.isDirectory()) {
    if (initial) log::warn("plugins", "plugin folder " + dir_ + " does not exist; no plugins loaded", {});
    return;
  }
  std::map<std::string, Poco::File> files; // name order: a deterministic start
  for (Poco::DirectoryIterator it(dir_), end; it != end; ++it) {
    if (Poco::Path(it.name()).getExtension() != "so" || !it->isFile()) continue;
    files.emplace(it.name(), *it);
  }
  for (auto& [name, file] : files) {
    auto size = file.getSize();
    auto modified = file.getLastModified();
    auto [it, fresh] = seen_.emplace(name, Seen{size, modified, false, false});
    Seen& s = it->second;
    bool changed = !fresh && (s.size != size || s.modified != modified);
    if (changed) {
      s.size = size;
      s.modified = modified;
      if (s.handled && loader_.is_loaded_file(name)) {
        if (!s.warned) log::warn("plugins", name + " changed on disk; restart the host to load the new version", {});
        s.warned = true;
        continue;
      }
      s.handled = false; // a refused file that changed gets another chance
      continue;          // ...once it holds still
    }
    if (s.handled) continue;
    if (fresh && !initial) continue; // seen once; load when it is still the same next time
    s.handled = true;
    loader_.load(file.path());
  }
}

} // namespace crm::plugins
