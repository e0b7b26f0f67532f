// PluginFileTrust: which files of the plugin folder may be loaded, on real
// files, modes and links in a temporary folder.
#include "plugins/PluginFileTrust.hpp"

#include <catch2/catch.hpp>

#include <Poco/TemporaryFile.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using crm::plugins::untrusted_plugin_file;
namespace fs = std::filesystem;

namespace {

constexpr fs::perms k0755 = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec;

struct Folder {
  Folder() : root(fs::path(Poco::TemporaryFile::tempName())) {
    fs::create_directories(root / "plugins");
    fs::create_directories(root / "elsewhere");
  }
  ~Folder() {
    std::error_code ignored;
    fs::remove_all(root, ignored);
  }
  fs::path file(const fs::path& relative, fs::perms perms = k0755) const {
    const fs::path p = root / relative;
    std::ofstream(p) << "not really a library";
    fs::permissions(p, perms);
    return p;
  }
  std::string plugins() const { return (root / "plugins").string(); }
  fs::path root;
};

std::string reason(const fs::path& file, const std::string& folder) {
  return untrusted_plugin_file(file.string(), folder).value_or("");
}

} // namespace

TEST_CASE("a plugin file only its owner may write is trusted", "[plugin-trust]") {
  Folder f;
  CHECK_FALSE(untrusted_plugin_file(f.file("plugins/a.so").string(), f.plugins()));
  CHECK_FALSE(untrusted_plugin_file(f.file("plugins/b.so", fs::perms::owner_read).string(), f.plugins()));
}

TEST_CASE("a plugin file its group or others may write is refused with the mode", "[plugin-trust]") {
  Folder f;
  auto group = reason(f.file("plugins/g.so", k0755 | fs::perms::group_write), f.plugins());
  CHECK(group.find("writable by group or others (mode 0775)") != std::string::npos);
  auto others = reason(f.file("plugins/o.so", k0755 | fs::perms::others_write), f.plugins());
  CHECK(others.find("writable by group or others (mode 0757)") != std::string::npos);
  CHECK(others.find("chmod go-w") != std::string::npos);
}

TEST_CASE("a plugin file owned by another user than the host's or root is refused", "[plugin-trust]") {
  if (::geteuid() != 0) {
    WARN("not root: cannot give a file to another user");
    return;
  }
  Folder f;
  const fs::path p = f.file("plugins/foreign.so");
  REQUIRE(::chown(p.c_str(), 65534, 65534) == 0);
  CHECK(reason(p, f.plugins()).find("owned by uid 65534, neither the host's user (uid 0) nor root") !=
        std::string::npos);
  REQUIRE(::chown(p.c_str(), 0, 0) == 0);
  CHECK_FALSE(untrusted_plugin_file(p.string(), f.plugins()));
}

TEST_CASE("a symbolic link is trusted only when it points inside the plugin folder", "[plugin-trust]") {
  Folder f;
  f.file("elsewhere/x.so");
  f.file("plugins/lib.so.real");
  fs::create_directories(f.root / "plugins" / "sub");
  f.file("plugins/sub/y.so");

  fs::create_symlink("../elsewhere/x.so", f.root / "plugins" / "out.so");
  CHECK(reason(f.root / "plugins" / "out.so", f.plugins()).find("outside the plugin folder") != std::string::npos);
  // ".." that comes back inside, and an absolute link inside, are inside.
  fs::create_symlink("../plugins/sub/y.so", f.root / "plugins" / "back.so");
  CHECK_FALSE(untrusted_plugin_file((f.root / "plugins" / "back.so").string(), f.plugins()));
  fs::create_symlink(f.root / "plugins" / "lib.so.real", f.root / "plugins" / "abs.so");
  CHECK_FALSE(untrusted_plugin_file((f.root / "plugins" / "abs.so").string(), f.plugins()));
  // A folder whose name starts like the plugin folder's is not inside it.
  fs::create_directories(f.root / "plugins-evil");
  f.file("plugins-evil/z.so");
  fs::create_symlink("../plugins-evil/z.so", f.root / "plugins" / "evil.so");
  CHECK(reason(f.root / "plugins" / "evil.so", f.plugins()).find("outside the plugin folder") != std::string::npos);
  // The target's mode counts, not the link's.
  f.file("plugins/open.so.real", k0755 | fs::perms::others_write);
  fs::create_symlink("open.so.real", f.root / "plugins" / "open.so");
  CHECK(reason(f.root / "plugins" / "open.so", f.plugins()).find("writable") != std::string::npos);
  // A link to nothing cannot be resolved.
  fs::create_symlink("missing.so.real", f.root / "plugins" / "dangling.so");
  CHECK(reason(f.root / "plugins" / "dangling.so", f.plugins()).find("cannot resolve") != std::string::npos);
}

TEST_CASE("what is not a regular file is refused", "[plugin-trust]") {
  Folder f;
  fs::create_directories(f.root / "plugins" / "dir.so");
  CHECK(reason(f.root / "plugins" / "dir.so", f.plugins()) == "not a regular file");
}
