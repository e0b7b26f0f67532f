// PluginWatcher: see the header.
#include "plugins/PluginWatcher.hpp"

#include "log/Log.hpp"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/Path.h>

#include <sys/stat.h>

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

bool PluginWatcher::read_state(const std::string& path, FileState& out) {
  struct stat link {};
  struct stat file {};
  if (::lstat(path.c_str(), &link) != 0 || ::stat(path.c_str(), &file) != 0) return false;
  auto ns = [](const timespec& t) { return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec; };
  out.size = static_cast<long long>(file.st_size);
  out.modified_ns = ns(file.st_mtim);
  out.changed_ns = ns(file.st_ctim);
  out.link_changed_ns = S_ISLNK(link.st_mode) ? ns(link.st_ctim) : 0;
  return true;
}

void PluginWatcher::scan(bool initial) {
  Poco::File folder(dir_);
  if (!folder.exists() || !folder.isDirectory()) {
    if (initial) log::warn("plugins", "plugin folder " + dir_ + " does not exist; no plugins loaded", {});
    return;
  }
  std::map<std::string, std::string> files; // name -> path, in name order: a deterministic start
  for (Poco::DirectoryIterator it(dir_), end; it != end; ++it) {
    if (Poco::Path(it.name()).getExtension() != "so" || !it->isFile()) continue;
    files.emplace(it.name(), it->path());
  }
  for (auto& [name, path] : files) {
    FileState state;
    if (!read_state(path, state)) continue; // gone since the listing
    auto [it, fresh] = seen_.emplace(name, Seen{state, false, false});
    Seen& s = it->second;
    if (!fresh && !(s.state == state)) {
      const bool same_contents = s.state.size == state.size && s.state.modified_ns == state.modified_ns;
      s.state = state;
      if (s.handled && loader_.is_loaded_file(name)) {
        // A chmod of a running plugin changes nothing that runs.
        if (!same_contents && !s.warned)
          log::warn("plugins", name + " changed on disk; restart the host to load the new version", {});
        s.warned = s.warned || !same_contents;
        continue;
      }
      s.handled = false; // a refused file that changed gets another chance
      continue;          // ...once it holds still
    }
    if (s.handled) continue;
    if (fresh && !initial) continue; // seen once; load when it is still the same next time
    s.handled = true;
    loader_.load(path);
  }
}

} // namespace crm::plugins
