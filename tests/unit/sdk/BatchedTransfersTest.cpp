// Tests of crm/sdk/batched_transfers.hpp's pure parts: a reassignment's
// request and its ids cut into batches.
#include <crm/sdk/batched_transfers.hpp>

#include <catch2/catch.hpp>

#include <cstdio>

namespace {
std::string nth_uuid(size_t n) {
  char id[37];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012zx", n);
  return id;
}
std::string ids_json(size_t count) {
  std::string out = "[";
  for (size_t i = 0; i < count; ++i) out += (i ? ",\"" : "\"") + nth_uuid(i) + "\"";
  return out + "]";
}
} // namespace

TEST_CASE("ids are cut into uuid[] literals of at most one batch", "[sdk][transfers]") {
  const auto batches = crm::id_batches(crm::Input(R"({"ids": )" + ids_json(2500) + "}"), "ids", true);
  REQUIRE(batches.size() == 3);
  CHECK(std::count(batches[0]->begin(), batches[0]->end(), ',') == 999);
  CHECK(std::count(batches[2]->begin(), batches[2]->end(), ',') == 499);
  CHECK(batches[2]->rfind(nth_uuid(2499) + "}") != std::string::npos);
}

TEST_CASE("no ids means all of them or a required field, and an empty list means none", "[sdk][transfers]") {
  const auto all = crm::id_batches(crm::Input("{}"), "ids", true);
  REQUIRE(all.size() == 1);
  CHECK_FALSE(all[0]);
  CHECK(crm::id_batches(crm::Input(R"({"ids": {}})"), "ids", true).empty());
  CHECK(crm::id_batches(crm::Input(R"({"ids": []})"), "ids", false).empty());
  CHECK_THROWS_AS(crm::id_batches(crm::Input("{}"), "ids", false), crm::Error);
}

TEST_CASE("a reassignment names two different users and a bounded batch", "[sdk][transfers]") {
  const std::string a = nth_uuid(1), b = nth_uuid(2);
  const auto t = crm::TransferRequest::of(
      crm::Input(R"({"fromUserId": ")" + a + R"(", "toUserId": ")" + b + R"(", "transfer": "i:tasks", "limit": 10})"));
  CHECK(t.from == a);
  CHECK(*t.transfer == "i:tasks");
  CHECK(t.limit == 10);
  CHECK(crm::TransferRequest::of(crm::Input(R"({"fromUserId": ")" + a + R"(", "toUserId": ")" + b + R"("})")).limit ==
        1000);
  CHECK_THROWS_AS(crm::TransferRequest::of(crm::Input(R"({"fromUserId": ")" + a + R"(", "toUserId": ")" + a + R"("})")),
                  crm::Error);
  // A limit of 0 would settle nothing and report "more" for ever.
  CHECK_THROWS_AS(crm::TransferRequest::of(crm::Input(R"({"fromUserId": ")" + a + R"(", "toUserId": ")" + b +
                                                      R"(", "limit": 0})")),
                  crm::Error);
}
