// GET/PUT /api/notifications/preferences (the email plugin) on a real host
// where the analytics plugin serves the other /api/notifications routes:
// each user sees and sets only their own, defaults until set, and bad input
// is refused on its field path with nothing changed.
#include "support/AnalyticsHost.hpp"

#include <catch2/catch.hpp>

using namespace itest;

namespace {

constexpr const char* kPath = "/api/notifications/preferences";

std::vector<std::string> muted_of(const Poco::JSON::Object::Ptr& prefs) {
  std::vector<std::string> out;
  auto list = prefs->getArray("mutedKinds");
  REQUIRE(list);
  for (size_t i = 0; i < list->size(); ++i) out.push_back(list->getElement<std::string>(static_cast<unsigned>(i)));
  return out;
}

} // namespace

TEST_CASE("preferences are INSTANT with nothing muted until set, and each user's are their own", "[email]") {
  AuthHost h(analytics_options({}, {"email"}));
  Account ada = h.create_user("SALES");
  Account bob = h.create_user("SALES");

  auto defaults = ok_json(h.http(), ada, "GET", kPath);
  CHECK(text_of(defaults, "email") == "INSTANT");
  CHECK(muted_of(defaults).empty());

  auto stored = ok_json(h.http(), ada, "PUT", kPath,
                        R"({"email":"DAILY_DIGEST","mutedKinds":["TASK_DUE_SOON","PRICE_ALERT","TASK_DUE_SOON"]})");
  CHECK(text_of(stored, "email") == "DAILY_DIGEST");
  CHECK(muted_of(stored) == std::vector<std::string>{"PRICE_ALERT", "TASK_DUE_SOON"});
  CHECK_FALSE(text_of(stored, "updatedAt").empty());
  auto read = ok_json(h.http(), ada, "GET", kPath);
  CHECK(text_of(read, "email") == "DAILY_DIGEST");
  CHECK(muted_of(read) == std::vector<std::string>{"PRICE_ALERT", "TASK_DUE_SOON"});

  // Bob sees his own (the defaults), and no route names another user.
  auto bobs = ok_json(h.http(), bob, "GET", kPath);
  CHECK(text_of(bobs, "email") == "INSTANT");
  CHECK(muted_of(bobs).empty());
  CHECK(as(h.http(), bob, "GET", std::string(kPath) + "?userId=" + ada.id).status == 200);
  CHECK(text_of(ok_json(h.http(), bob, "GET", std::string(kPath) + "?userId=" + ada.id), "email") == "INSTANT");
  CHECK(h.get(kPath, "").status == 401);

  // PUT replaces: mutedKinds left out is none muted.
  auto replaced = ok_json(h.http(), ada, "PUT", kPath, R"({"email":"NONE"})");
  CHECK(text_of(replaced, "email") == "NONE");
  CHECK(muted_of(replaced).empty());

  // The analytics plugin's routes beside it answer as before.
  CHECK(as(h.http(), ada, "GET", "/api/notifications").status == 200);
  CHECK(as(h.http(), ada, "GET", "/api/notifications/unread").status == 200);
}

TEST_CASE("bad preferences are refused with the field path and change nothing", "[email]") {
  AuthHost h(analytics_options({}, {"email"}));
  Account ada = h.create_user("SALES");
  ok_json(h.http(), ada, "PUT", kPath, R"({"email":"INSTANT","mutedKinds":["PRICE_ALERT"]})");

  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"email":"WEEKLY"})", "email"},
      {R"({"mutedKinds":[]})", "email"},
      {R"({"email":"NONE","mutedKinds":"PRICE_ALERT"})", "mutedKinds"},
      {R"({"email":"NONE","mutedKinds":["PRICE_ALERT",7]})", "mutedKinds[1]"},
      {R"({"email":"NONE","mutedKinds":[""]})", "mutedKinds[0]"},
      {R"({"email":"NONE","extra":true})", "extra"},
  };
  for (const auto& [body, field] : cases) {
    auto r = as(h.http(), ada, "PUT", kPath, body);
    INFO(body << " -> " << r.status << " " << r.body);
    auto problem = require_problem(r, 422);
    CHECK(error_fields(problem) == std::vector<std::string>{field});
  }
  auto r = as(h.http(), ada, "PUT", kPath, "{not json");
  CHECK(r.status == 400);

  auto read = ok_json(h.http(), ada, "GET", kPath);
  CHECK(text_of(read, "email") == "INSTANT");
  CHECK(muted_of(read) == std::vector<std::string>{"PRICE_ALERT"});
}
