// Drop-in loading: a plugin copied into the watched folder of a running host is
// loaded, migrated and routed without a restart, without disturbing requests in
// flight; a broken one is refused and reported.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

using namespace itest;

namespace {

// GETs one thing in a loop on its own connection until stopped, counting
// answers that are not 200 (and transport errors).
class BackgroundReader {
public:
  BackgroundReader(int port, std::string path) : port_(port), path_(std::move(path)) {
    thread_ = std::thread([this] { run(); });
  }
  ~BackgroundReader() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long ok() const { return ok_; }
  long failed() const { return failed_; }
  std::string first_failure() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return first_failure_;
  }

private:
  void run() {
    Http http(port_, std::chrono::seconds(10));
    while (!stop_) {
      try {
        auto r = http.get(path_);
        if (r.status == 200) {
          ++ok_;
          continue;
        }
        note(std::to_string(r.status) + " " + r.body);
      } catch (const std::exception& e) {
        note(e.what());
        http.reset();
      }
      ++failed_;
    }
  }
  void note(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (first_failure_.empty()) first_failure_ = what;
  }

  int port_;
  std::string path_;
  std::atomic<bool> stop_{false};
  std::atomic<long> ok_{0}, failed_{0};
  mutable std::mutex mutex_;
  std::string first_failure_;
  std::thread thread_;
};

// Polls POST /api/fixture-c/items until it answers 201.
bool fixture_c_answers(int port, std::chrono::milliseconds timeout) {
  return eventually(
      [&] {
        try {
          Http http(port, std::chrono::seconds(5));
          return http.post("/api/fixture-c/items", R"({"name":"dropped in"})").status == 201;
        } catch (const std::exception&) {
          return false;
        }
      },
      timeout, std::chrono::milliseconds(100));
}

} // namespace

TEST_CASE("a plugin copied into the folder while the host runs is loaded without dropping requests", "[dropin]") {
  HostUnderTest host({"fixture_cpp"});
  auto thing = host.http().post("/api/fixture-cpp/things", R"({"name":"steady"})");
  REQUIRE(thing.status == 201);
  require_problem(host.http().post("/api/fixture-c/items", R"({"name":"too early"})"), 404);

  BackgroundReader reader(host.port(), "/api/fixture-cpp/things/" + text_of(thing.json(), "id"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  host.add_plugin("fixture_c"); // a plain copy, not an atomic rename

  CHECK(fixture_c_answers(host.port(), std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  reader.stop();
  INFO("first failure: " << reader.first_failure());
  CHECK(reader.ok() > 0);
  CHECK(reader.failed() == 0);

  auto entry = host.wait_for_plugin("fixture_c.so", "LOADED", std::chrono::seconds(2));
  REQUIRE(entry);
  CHECK(text_of(entry, "name") == "fixture_c");
  CHECK(text_of(host.plugin_entry("fixture_cpp.so"), "status") == "LOADED");
  auto sql = host.sql();
  CHECK(sql.count("select count(*) from platform.plugin_migrations where plugin = 'fixture_c'") == 1);
}

TEST_CASE("a plugin copied slowly is loaded once the copy is complete", "[dropin]") {
  HostUnderTest host({"fixture_cpp"});

  // Write half the file, wait a few watch intervals, then the rest: the host
  // must not give up on the file because it once saw it half written.
  std::ifstream in(fixture_path("fixture_c"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() > 1000);
  {
    std::ofstream out(host.plugins_dir() / "fixture_c.so", std::ios::binary);
    trust_plugin_file(host.plugins_dir() / "fixture_c.so"); // whatever the umask
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
    out.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    REQUIRE(host.process().running());
    out.write(bytes.data() + bytes.size() / 2, static_cast<std::streamsize>(bytes.size() - bytes.size() / 2));
  }

  CHECK(fixture_c_answers(host.port(), std::chrono::seconds(10)));
  CHECK(host.wait_for_plugin("fixture_c.so", "LOADED", std::chrono::seconds(2)));
}

TEST_CASE("a broken plugin dropped in is refused and reported while the host keeps serving", "[dropin]") {
  HostUnderTest host({"fixture_cpp"});
  host.add_plugin("fixture_bad_abi");
  host.add_plugin("fixture_no_entry");

  auto bad_abi = host.wait_for_plugin("fixture_bad_abi.so", "REFUSED");
  REQUIRE(bad_abi);
  CHECK(contains_nocase(text_of(bad_abi, "error"), "abi"));
  auto no_entry = host.wait_for_plugin("fixture_no_entry.so", "REFUSED");
  REQUIRE(no_entry);
  CHECK(contains_nocase(text_of(no_entry, "error"), "no entry symbol"));

  CHECK(host.process().running());
  CHECK(host.http().post("/api/fixture-cpp/things", R"({"name":"still serving"})").status == 201);
}
