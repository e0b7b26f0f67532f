// PluginWatcher: loads every *.so of the plugin folder at start, then keeps
// looking at the folder and loads new files as they appear. A file is loaded
// only once its size and modification time held still across two looks, so a
// copy still in progress is never opened. A file that was refused is tried
// again when it changes, its mode or owner included (a file refused as
// writable by others is loaded once `chmod go-w` fixed it), or when a link
// is pointed elsewhere; a loaded file that changes is reported, not reloaded.
#pragma once

#include "plugins/PluginLoader.hpp"

#include <Poco/Event.h>
#include <Poco/Thread.h>

#include <map>
#include <string>

namespace crm::plugins {

class PluginWatcher : public Poco::Runnable {
public:
  PluginWatcher(PluginLoader& loader, std::string dir, long interval_ms);
  ~PluginWatcher() override;

  // Loads what is in the folder now (in name order).
  void load_initial();
  void start();
  void stop();

  void run() override;

private:
  // What tells one state of a file from another: the file's (a link's
  // target's) size, modification and status-change times (ctime moves on
  // chmod and chown), and the link's own change time.
  struct FileState {
    long long size = 0;
    long long modified_ns = 0;
    long long changed_ns = 0;
    long long link_changed_ns = 0;
    bool operator==(const FileState&) const = default;
  };
  struct Seen {
    FileState state;
    bool handled = false; // loaded or refused in this state
    bool warned = false;
  };
  static bool read_state(const std::string& path, FileState& out);
  void scan(bool initial);

  PluginLoader& loader_;
  std::string dir_;
  long interval_ms_;
  std::map<std::string, Seen> seen_;
  Poco::Thread thread_{"plugin-watcher"};
  Poco::Event stop_{Poco::Event::EVENT_MANUALRESET};
  bool running_ = false;
};

} // namespace crm::plugins
