// PluginFileTrust: whether a file in the plugin folder may be loaded at all.
// Loading a .so runs its code inside the host, so the file must be one only
// the host's user (or root) can have written: owned by that user or root,
// writable by neither group nor others. A symbolic link may point only inside
// the plugin folder (a link elsewhere would let whoever controls the target
// change the host's code). The reason comes back in words an operator can
// act on.
#pragma once

#include <optional>
#include <string>

namespace crm::plugins {

// Why the file at `path` (in `folder`) must not be loaded, or nullopt when
// it may be. Checks the file a link resolves to.
std::optional<std::string> untrusted_plugin_file(const std::string& path, const std::string& folder);

} // namespace crm::plugins
