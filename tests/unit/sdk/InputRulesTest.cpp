// Tests of crm/sdk/input_rules.hpp: a call's input checked with field paths.
#include <crm/sdk/input_rules.hpp>

#include <catch2/catch.hpp>

namespace {

// The one field an invalid() names, as "path: message".
template <class Fn> std::string failure_of(Fn fn) {
  try {
    fn();
  } catch (const crm::Error& e) {
    REQUIRE(e.status() == CRM_E_INVALID);
    REQUIRE(e.fields().size() == 1);
    return e.fields()[0].first + ": " + e.fields()[0].second;
  }
  return "no failure";
}

} // namespace

TEST_CASE("a UUID comes back lower case, and an empty one counts as absent", "[sdk][input-rules]") {
  const crm::Input in(R"({"a": "0B7E5C2A-1F3D-4C55-9A0E-2B9F8D7C6E51", "b": "", "c": "nope", "d": 7})");
  CHECK(*crm::optional_uuid(in, "a") == "0b7e5c2a-1f3d-4c55-9a0e-2b9f8d7c6e51");
  CHECK_FALSE(crm::optional_uuid(in, "b"));
  CHECK_FALSE(crm::optional_uuid(in, "absent"));
  CHECK(failure_of([&] { crm::optional_uuid(in, "c"); }) == "c: must be a UUID");
  CHECK(failure_of([&] { crm::optional_uuid(in, "d"); }) == "d: must be a string");
  CHECK(failure_of([&] { crm::required_uuid(in, "b"); }) == "b: is required");
}

TEST_CASE("?limit= is a number or a decimal string from 1 to 200, default 50", "[sdk][input-rules]") {
  CHECK(crm::page_limit(crm::Input("{}")) == 50);
  CHECK(crm::page_limit(crm::Input(R"({"limit": "200"})")) == 200);
  CHECK(crm::page_limit(crm::Input(R"({"limit": 1})")) == 1);
  CHECK(failure_of([] { crm::page_limit(crm::Input(R"({"limit": "201"})")); }) == "limit: must be from 1 to 200");
  CHECK(failure_of([] { crm::page_limit(crm::Input(R"({"limit": "0"})")); }) == "limit: must be from 1 to 200");
  CHECK(failure_of([] { crm::page_limit(crm::Input(R"({"limit": "12x"})")); }) == "limit: must be an integer");
  CHECK(failure_of([] { crm::page_limit(crm::Input(R"({"limit": 1.5})")); }) == "limit: must be an integer");
}

TEST_CASE("a flag is a JSON boolean or true/false/1/0 in any case", "[sdk][input-rules]") {
  const crm::Input in(R"({"a": "TRUE", "b": "0", "c": false, "d": "maybe", "e": ""})");
  CHECK(*crm::optional_flag(in, "a"));
  CHECK_FALSE(*crm::optional_flag(in, "b"));
  CHECK_FALSE(*crm::optional_flag(in, "c"));
  CHECK_FALSE(crm::optional_flag(in, "e"));
  CHECK(failure_of([&] { crm::optional_flag(in, "d"); }) == "d: must be true or false");
}

TEST_CASE("a bounded text must hold more than white space and fit", "[sdk][input-rules]") {
  const crm::Input in(R"({"name": "  Ada  ", "blank": " \t", "long": "\u00e9\u00e9\u00e9\u00e9"})");
  CHECK(crm::required_text(in, "name", 10) == "  Ada  ");
  CHECK(crm::required_text(in, "long", 4).size() == 8); // four characters, eight bytes
  CHECK(failure_of([&] { crm::required_text(in, "long", 3); }) == "long: must be at most 3 characters");
  CHECK(failure_of([&] { crm::required_text(in, "blank", 10); }) == "blank: must not be blank");
  CHECK(failure_of([&] { crm::required_text(in, "absent", 10); }) == "absent: is required");
  CHECK_FALSE(crm::optional_note(in, "blank", 10));
}

TEST_CASE("a clearable text tells absent, cleared and set apart", "[sdk][input-rules]") {
  const crm::Input in(R"({"phone": null, "email": " ", "company": "Acme"})");
  CHECK_FALSE(crm::clearable_text(in, "fax").given);
  CHECK(crm::clearable_text(in, "phone").given);
  CHECK_FALSE(crm::clearable_text(in, "phone").value);
  CHECK_FALSE(crm::clearable_text(in, "email").value); // blank is the same as null
  CHECK(*crm::clearable_text(in, "company").value == "Acme");
}

TEST_CASE("an enum takes only its values, and says which", "[sdk][input-rules]") {
  const crm::Input in(R"({"status": "OPEN", "bad": "open"})");
  CHECK(*crm::optional_choice(in, "status", {"OPEN", "DONE"}) == "OPEN");
  CHECK(failure_of([&] { crm::optional_choice(in, "bad", {"OPEN", "DONE"}); }) == "bad: must be one of OPEN, DONE");
}

TEST_CASE("a timestamp must be RFC 3339", "[sdk][input-rules]") {
  const crm::Input in(R"({"at": "2026-01-31T09:30:00Z", "bad": "2026-01-31"})");
  CHECK(*crm::optional_timestamp(in, "at") == "2026-01-31T09:30:00Z");
  CHECK(failure_of([&] { crm::optional_timestamp(in, "bad"); }).rfind("bad: must be an RFC 3339", 0) == 0);
}

TEST_CASE("a list of UUIDs fails on the element's own path", "[sdk][input-rules]") {
  const crm::Input in(R"({"ids": ["0B7E5C2A-1F3D-4C55-9A0E-2B9F8D7C6E51"], "empty": {}, "bad": ["x"],
                          "mixed": ["0b7e5c2a-1f3d-4c55-9a0e-2b9f8d7c6e51", 5], "text": "x"})");
  CHECK(crm::uuid_list(in, "ids") == std::vector<std::string>{"0b7e5c2a-1f3d-4c55-9a0e-2b9f8d7c6e51"});
  CHECK(crm::uuid_list(in, "empty").empty()); // a Lua workflow's empty table
  CHECK(failure_of([&] { crm::uuid_list(in, "bad"); }) == "bad[0]: must be a UUID");
  CHECK(failure_of([&] { crm::uuid_list(in, "mixed"); }) == "mixed[1]: must be a UUID");
  CHECK(failure_of([&] { crm::uuid_list(in, "text"); }) == "text: must be an array of UUIDs");
  CHECK(failure_of([&] { crm::uuid_list(in, "absent"); }) == "absent: is required");
}

TEST_CASE("a required integer has bounds and takes both spellings", "[sdk][input-rules]") {
  const crm::Input in(R"({"level": "3", "big": 21})");
  CHECK(crm::required_integer(in, "level", 1, 20) == 3);
  CHECK(failure_of([&] { crm::required_integer(in, "big", 1, 20); }) == "big: must be from 1 to 20");
  CHECK(failure_of([&] { crm::required_integer(in, "none", 1, 20); }) == "none: is required");
}
