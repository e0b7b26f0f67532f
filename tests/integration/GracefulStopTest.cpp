// Graceful stop: SIGTERM drains requests in flight, then the host exits 0.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace itest;

TEST_CASE("SIGTERM lets a request in flight finish and the host exits with code 0", "[lifecycle]") {
  HostUnderTest host({"fixture_cpp"});

  int status = 0;
  std::string body, error;
  auto started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration took{};
  std::thread request([&] {
    try {
      Http http(host.port(), std::chrono::seconds(15));
      auto r = http.get("/api/fixture-cpp/sleep?ms=1500");
      status = r.status;
      body = r.body;
    } catch (const std::exception& e) {
      error = e.what();
    }
    took = std::chrono::steady_clock::now() - started;
  });

  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  host.process().terminate();
  auto code = host.process().wait_for_exit(std::chrono::seconds(10));
  request.join();

  INFO("request: " << status << " " << body << " " << error);
  CHECK(error.empty());
  CHECK(status == 200);
  if (status == 200) CHECK(Response{200, {}, body}.json()->getValue<int>("slept") == 1500);
  CHECK(took >= std::chrono::milliseconds(1400));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}
