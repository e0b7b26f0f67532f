// PluginFileTrust: see the header.
#include "plugins/PluginFileTrust.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace crm::plugins {

namespace {

// The canonical absolute path (links and ".." resolved), or nullopt.
std::optional<std::string> real_path(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr), &std::free);
  if (!resolved) return std::nullopt;
  return std::string(resolved.get());
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

} // namespace

std::optional<std::string> untrusted_plugin_file(const std::string& path, const std::string& folder) {
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0) return "cannot inspect the file: " + std::string(std::strerror(errno));
  if (S_ISLNK(link.st_mode)) {
    const auto target = real_path(path);
    const auto base = real_path(folder);
    if (!target || !base) return "cannot resolve the symbolic link: " + std::string(std::strerror(errno));
    if (target->compare(0, base->size() + 1, *base + "/") != 0)
      return "a symbolic link to " + *target + ", outside the plugin folder " + *base;
  }

  struct stat file {};
  if (::stat(path.c_str(), &file) != 0) return "cannot inspect the file: " + std::string(std::strerror(errno));
  if (!S_ISREG(file.st_mode)) return "not a regular file";
  if (file.st_mode & (S_IWGRP | S_IWOTH))
    return "writable by group or others (mode " + octal_mode(file.st_mode) +
           "): whoever can write it could run code in the host; chmod go-w it";
  const uid_t host_user = ::geteuid();
  if (file.st_uid != host_user && file.st_uid != 0)
    return "owned by uid " + std::to_string(file.st_uid) + ", neither the host's user (uid " +
           std::to_string(host_user) + ") nor root";
  return std::nullopt;
}

} // namespace crm::plugins
