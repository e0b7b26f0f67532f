// PrincipalCache: answers are cached per user and role, dropped on change, and
// an answer fetched while a change was announced is not cached after it.
#include "security/PrincipalCache.hpp"

#include <catch2/catch.hpp>

using crm::security::PrincipalCache;
using Verdict = PrincipalCache::Verdict;

TEST_CASE("without a provider every principal is known as its token says", "[principals]") {
  PrincipalCache cache(std::chrono::seconds(60));
  CHECK_FALSE(cache.enabled());
  CHECK(cache.resolve("u1", "SALES").verdict == Verdict::Known);
}

TEST_CASE("a provider's answer is cached until dropped", "[principals]") {
  PrincipalCache cache(std::chrono::seconds(60));
  int fetches = 0;
  cache.set_fetch([&](const std::string& id, const std::string&) {
    ++fetches;
    return PrincipalCache::Lookup{Verdict::Known, "\"team\":[\"" + id + "-report\"]"};
  });
  CHECK(cache.resolve("m1", "MANAGER").members == "\"team\":[\"m1-report\"]");
  cache.resolve("m1", "MANAGER");
  CHECK(fetches == 1);
  cache.resolve("m1", "ADMIN"); // another role (a newer token): asked again
  CHECK(fetches == 2);
  cache.drop("m1");
  cache.resolve("m1", "ADMIN");
  CHECK(fetches == 3);
  cache.clear();
  cache.resolve("m1", "ADMIN");
  CHECK(fetches == 4);
}

TEST_CASE("an unavailable provider is asked again next time, an unknown user is remembered", "[principals]") {
  PrincipalCache cache(std::chrono::seconds(60));
  int fetches = 0;
  Verdict next = Verdict::Unavailable;
  cache.set_fetch([&](const std::string&, const std::string&) {
    ++fetches;
    return PrincipalCache::Lookup{next, {}};
  });
  CHECK(cache.resolve("u", "SALES").verdict == Verdict::Unavailable);
  next = Verdict::Unknown;
  CHECK(cache.resolve("u", "SALES").verdict == Verdict::Unknown);
  CHECK(cache.resolve("u", "SALES").verdict == Verdict::Unknown);
  CHECK(fetches == 2);
}

TEST_CASE("an answer fetched while a change is announced is not cached", "[principals]") {
  PrincipalCache cache(std::chrono::seconds(60));
  int fetches = 0;
  cache.set_fetch([&](const std::string&, const std::string&) {
    ++fetches;
    if (fetches == 1) cache.drop("u"); // the change lands while the old answer is on its way
    return PrincipalCache::Lookup{Verdict::Known, "\"n\":" + std::to_string(fetches)};
  });
  CHECK(cache.resolve("u", "SALES").members == "\"n\":1");
  CHECK(cache.resolve("u", "SALES").members == "\"n\":2"); // fetched again, not the stale one
  CHECK(cache.resolve("u", "SALES").members == "\"n\":2");
}

TEST_CASE("entries expire after the TTL", "[principals]") {
  PrincipalCache cache(std::chrono::seconds(0));
  int fetches = 0;
  cache.set_fetch([&](const std::string&, const std::string&) {
    ++fetches;
    return PrincipalCache::Lookup{Verdict::Known, {}};
  });
  cache.resolve("u", "SALES");
  cache.resolve("u", "SALES");
  CHECK(fetches == 2);
}

TEST_CASE("the observer hears every drop after it took effect, until it is removed", "[principals]") {
  PrincipalCache cache(std::chrono::seconds(60));
  int fetches = 0;
  cache.set_fetch([&](const std::string&, const std::string&) {
    ++fetches;
    return PrincipalCache::Lookup{Verdict::Known, ""};
  });
  cache.resolve("u1", "SALES");
  std::vector<std::string> heard;
  cache.observe([&](const std::string& subject) {
    heard.push_back(subject);
    cache.resolve("u1", "SALES"); // asked again from the observer: the answer is fresh
  });
  cache.drop("u1");
  cache.clear();
  CHECK(heard == std::vector<std::string>{"u1", ""});
  CHECK(fetches == 3);
  cache.observe(nullptr);
  cache.drop("u1");
  CHECK(heard.size() == 2);
}
