// The example plugins docs/plugins.md walks through (examples/plugins/notes_c
// in C, examples/plugins/notes_cpp in C++), copied into the plugin folder of a
// real host beside the real auth and customer plugins: each loads, its route
// answers and emits its event, which the outbox relay publishes, and its
// subscription to customer.created gives a new customer its first note.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace itest;

namespace {

struct ExamplePlugin {
  const char* name;  // the plugin, its schema and its .so
  const char* route; // its one REST route (POST)
  const char* event; // the event the route emits
};

const ExamplePlugin kExamples[] = {
    {"notes_c", "/api/notes-c/notes", "note_c.created"},
    {"notes_cpp", "/api/notes-cpp/notes", "note_cpp.created"},
};

// AuthHost (the real auth plugin: the admin and its token) whose plugin
// folder also holds the customer plugin and both examples, so all load at start.
AuthHostOptions with_example_plugins() {
  AuthHostOptions options;
  const fs::path dir = make_temp_dir("crm-example-plugins-");
  for (const char* name : {"auth", "customer"}) copy_shipped_plugin(name, dir);
  for (const auto& example : kExamples) copy_fixture(example.name, dir);
  options.env["CRM_PLUGINS_DIR"] = dir.string();
  return options;
}

// Whether GET /api/plugins lists `file` as LOADED, asked as the admin.
bool loaded(AuthHost& auth, const std::string& file) {
  auto r = auth.get("/api/plugins", auth.admin().access_token);
  if (r.status != 200) return false;
  auto items = r.json()->getArray("items");
  for (size_t i = 0; items && i < items->size(); ++i) {
    auto entry = items->getObject(static_cast<unsigned>(i));
    if (entry && entry->optValue<std::string>("file", "") == file)
      return entry->optValue<std::string>("status", "") == "LOADED";
  }
  return false;
}

} // namespace

TEST_CASE("the example plugins of the plugin guide load, answer their route, emit their event and consume "
          "customer.created",
          "[examples]") {
  AuthHost auth(with_example_plugins());
  for (const char* file : {"customer.so", "notes_c.so", "notes_cpp.so"}) {
    INFO(file << " " << auth.host().process().log_tail(40));
    REQUIRE(eventually([&] { return loaded(auth, file); }, std::chrono::seconds(20)));
  }
  const std::string token = auth.admin().access_token;
  auto sql = auth.host().sql();

  for (const auto& example : kExamples) {
    {
      INFO("example plugin " << example.name);
      const std::string schema = example.name;
      const std::string customer_name = "Ada " + random_hex(6);
      auto created = auth.call("POST", "/api/customers", R"({"name":")" + customer_name + R"("})", token);
      INFO("POST /api/customers -> " << created.status << " " << created.body);
      REQUIRE(created.status == 201);
      const std::string customer_id = text_of(created.json(), "id");

      // The consumed event's effect: the new customer's first note, by the system.
      const bool first_note = eventually(
          [&] {
            return sql.count("select count(*) from " + schema +
                                 ".notes where customer_id = $1::uuid and author = 'system' and text = $2",
                             {customer_id, "New customer: " + customer_name}) == 1;
          },
          std::chrono::seconds(20));
      INFO(auth.host().process().log_tail(40));
      CHECK(first_note);

      // The route: a note by the caller, answered 201.
      Poco::JSON::Object body;
      body.set("customerId", customer_id);
      body.set("text", "Called about the renewal");
      auto added = auth.call("POST", example.route, json_of(body), token);
      INFO("POST " << example.route << " -> " << added.status << " " << added.body);
      REQUIRE(added.status == 201);
      auto note = added.json();
      const std::string note_id = text_of(note, "id");
      CHECK(text_of(note, "customerId") == customer_id);
      CHECK(text_of(note, "text") == "Called about the renewal");
      CHECK(text_of(note, "author") == auth.admin().id);
      CHECK(sql.count("select count(*) from " + schema + ".notes where customer_id = $1::uuid", {customer_id}) == 2);

      // The emitted event, published by the outbox relay.
      const bool published = eventually(
          [&] {
            return sql.count("select count(*) from " + schema +
                                 ".crm_outbox where type = $1 and subject = $2 and published_at is not null",
                             {std::string(example.event), note_id}) == 1;
          },
          std::chrono::seconds(20));
      CHECK(published);

      // Input the schema refuses changes nothing.
      auto refused = auth.call("POST", example.route, R"({"customerId":"not-a-uuid","text":""})", token);
      auto problem = require_problem(refused, 422);
      auto fields = error_fields(problem);
      std::sort(fields.begin(), fields.end());
      CHECK(fields == std::vector<std::string>{"customerId", "text"});
      CHECK(sql.count("select count(*) from " + schema + ".notes where customer_id = $1::uuid", {customer_id}) == 2);
    }
  }
}
