// Tests of crm/keyset_page.hpp's cursors: opaque positions that round-trip
// and refuse anything a list did not hand out.
#include <crm/keyset_page.hpp>

#include <catch2/catch.hpp>

namespace {
const std::string kId = "0b7e5c2a-1f3d-4c55-9a0e-2b9f8d7c6e51";

bool is_short(std::string_view key) { return !key.empty() && key.size() <= 10; }

std::string invalid_field(const crm::Input& in) {
  try {
    crm::cursor_of(in);
  } catch (const crm::Error& e) {
    return e.fields().at(0).first;
  }
  return "";
}
} // namespace

TEST_CASE("a time cursor reads back as the position it was made from", "[sdk][cursor]") {
  const crm::PagePosition p{"2026-01-31T09:30:00.123456Z", kId};
  const std::string cursor = crm::encode_cursor(p);
  CHECK(cursor.find_first_of("+/=") == std::string::npos); // URL-safe as it is
  const auto back = crm::decode_cursor(cursor);
  REQUIRE(back);
  CHECK(back->at == p.at);
  CHECK(back->id == p.id);
}

TEST_CASE("a cursor over another key is checked by that key's rule", "[sdk][cursor]") {
  const std::string cursor = crm::encode_cursor({"ada@x.io", kId});
  CHECK_FALSE(crm::decode_cursor(cursor)); // not a time
  const auto back = crm::decode_cursor(cursor, is_short);
  REQUIRE(back);
  CHECK(back->at == "ada@x.io");
  CHECK_FALSE(crm::decode_cursor(crm::encode_cursor({"far-too-long-a-key", kId}), is_short));
}

TEST_CASE("texts no list handed out are refused as the cursor field", "[sdk][cursor]") {
  CHECK_FALSE(crm::decode_cursor("not a cursor!"));
  CHECK_FALSE(crm::decode_cursor(crm::encode_cursor({"2026-01-31T09:30:00.123456Z", "not-a-uuid"})));
  CHECK_FALSE(crm::decode_cursor(crm::encode_cursor({"2026-01-31T09:30:00Z", kId}))); // no microseconds
  CHECK_FALSE(crm::decode_cursor(std::string(2000, 'A')));
  CHECK(invalid_field(crm::Input(R"({"cursor": "bm9wZQ"})")) == "cursor");
  CHECK_FALSE(crm::cursor_of(crm::Input(R"({"cursor": ""})")));
}
