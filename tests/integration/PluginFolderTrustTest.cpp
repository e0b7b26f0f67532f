// The plugin folder trusts only files the host's user (or root) alone can
// write: a .so writable by group or others, or owned by another user, is
// refused with its reason before any of its code runs, and so is a symbolic
// link pointing outside the folder. The host keeps serving, lists the refusal
// in GET /api/plugins, and loads the file once it is fixed.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace itest;

namespace {

constexpr fs::perms kOwnerWritable = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec; // 0755

Poco::JSON::Object::Ptr require_refused(HostUnderTest& host, const std::string& file, const std::string& reason) {
  auto entry = host.wait_for_plugin(file, "REFUSED");
  INFO("plugin file " << file);
  REQUIRE(entry);
  INFO("entry " << json_of(*entry));
  CHECK(contains_nocase(text_of(entry, "error"), reason));
  CHECK(contains(host.process().log(), "refused plugin " + file));
  return entry;
}

} // namespace

TEST_CASE("a plugin file writable by its group or others is refused with its reason and loaded once fixed",
          "[plugins][plugin-trust]") {
  HostUnderTest host({"fixture_c"}, {}, HostUnderTest::Start::Later);
  const fs::path group_writable = host.add_plugin("fixture_cpp");
  fs::permissions(group_writable, kOwnerWritable | fs::perms::group_write);
  const fs::path others_writable = host.add_plugin("fixture_flow", "fixture_flow_open.so");
  fs::permissions(others_writable, kOwnerWritable | fs::perms::others_write);
  host.start();

  auto group = require_refused(host, "fixture_cpp.so", "writable by group or others");
  CHECK(contains(text_of(group, "error"), "0775"));
  auto others = require_refused(host, "fixture_flow_open.so", "writable by group or others");
  CHECK(contains(text_of(others, "error"), "0757"));
  // Refused before loading: nothing of it was read, not even its name.
  CHECK(group->isNull("name"));

  // The host serves the trusted plugin next to them.
  create_item(host.http(), "still serving");

  // chmod go-w: the watcher sees the change and loads it.
  fs::permissions(group_writable, kOwnerWritable);
  REQUIRE(host.wait_for_plugin("fixture_cpp.so", "LOADED"));
  CHECK(host.process().running());
}

TEST_CASE("a plugin file owned by another user than the host's or root is refused with its reason",
          "[plugins][plugin-trust]") {
  if (::geteuid() != 0) {
    WARN("not root: cannot give a file to another user; the ownership check is not exercised");
    return;
  }
  HostUnderTest host({"fixture_c"}, {}, HostUnderTest::Start::Later);
  const fs::path foreign = host.add_plugin("fixture_cpp");
  REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0); // nobody
  host.start();

  require_refused(host, "fixture_cpp.so", "owned by uid 65534");
  create_item(host.http(), "still serving");

  // Given back to root (here also the host's user), it is loaded.
  REQUIRE(::chown(foreign.c_str(), 0, 0) == 0);
  REQUIRE(host.wait_for_plugin("fixture_cpp.so", "LOADED"));
}

TEST_CASE("a symbolic link to a plugin outside the plugin folder is refused, one to a file inside it is loaded",
          "[plugins][plugin-trust]") {
  HostUnderTest host({}, {}, HostUnderTest::Start::Later);
  const fs::path elsewhere = host.dir() / "elsewhere";
  fs::create_directories(elsewhere);
  copy_fixture("fixture_cpp", elsewhere);
  fs::create_symlink("../elsewhere/fixture_cpp.so", host.plugins_dir() / "linked_out.so");

  // A subfolder is not scanned; a link into it stays inside the folder.
  const fs::path inside = host.plugins_dir() / "lib";
  fs::create_directories(inside);
  copy_fixture("fixture_c", inside);
  fs::create_symlink("lib/fixture_c.so", host.plugins_dir() / "linked_in.so");
  host.start();

  require_refused(host, "linked_out.so", "outside the plugin folder");
  REQUIRE(host.wait_for_plugin("linked_in.so", "LOADED"));
  create_item(host.http(), "through a link inside the folder");

  // A link dropped in later is checked the same way.
  fs::create_symlink(elsewhere / "fixture_cpp.so", host.plugins_dir() / "linked_out_later.so");
  require_refused(host, "linked_out_later.so", "outside the plugin folder");
  CHECK(host.process().running());
}
