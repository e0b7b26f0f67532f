// Tests of core/Router.hpp: templates, clashes, literal-over-parameter
// precedence with backtracking, 405 Allow lists and percent-decoding.
#include "core/Router.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using crm::core::Router;
using Kind = Router<std::string>::Match::Kind;

namespace {

Router<std::string> customer_routes() {
  Router<std::string> r;
  std::string error;
  REQUIRE(r.add("GET", "/api/customers", "customer.list", &error));
  REQUIRE(r.add("POST", "/api/customers", "customer.create", &error));
  REQUIRE(r.add("GET", "/api/customers/stats", "customer.stats", &error));
  REQUIRE(r.add("GET", "/api/customers/{id}", "customer.get", &error));
  REQUIRE(r.add("PATCH", "/api/customers/{id}", "customer.update", &error));
  REQUIRE(r.add("DELETE", "/api/customers/{id}", "customer.delete", &error));
  REQUIRE(r.add("GET", "/api/customers/{id}/investment-profile", "customer.get_profile", &error));
  REQUIRE(r.add("PUT", "/api/customers/{id}/investment-profile", "customer.put_profile", &error));
  return r;
}

} // namespace

TEST_CASE("a literal path finds its target and no parameters", "[router]") {
  auto r = customer_routes();
  auto m = r.match("GET", "/api/customers");
  REQUIRE(m.kind == Kind::Found);
  CHECK(*m.target == "customer.list");
  CHECK(m.params.empty());
  CHECK(m.route->path_template == "/api/customers");
}

TEST_CASE("a template parameter captures its segment by name", "[router]") {
  auto r = customer_routes();
  auto m = r.match("GET", "/api/customers/3f1c2a9e-0000-4000-8000-000000000001/investment-profile");
  REQUIRE(m.kind == Kind::Found);
  CHECK(*m.target == "customer.get_profile");
  REQUIRE(m.params.size() == 1);
  CHECK(m.params[0].name == "id");
  CHECK(m.param("id") == "3f1c2a9e-0000-4000-8000-000000000001");
  CHECK(m.param("missing").empty());
}

TEST_CASE("a literal segment wins over a parameter at the same place", "[router]") {
  auto r = customer_routes();
  auto stats = r.match("GET", "/api/customers/stats");
  REQUIRE(stats.kind == Kind::Found);
  CHECK(*stats.target == "customer.stats");
  auto other = r.match("GET", "/api/customers/42");
  REQUIRE(other.kind == Kind::Found);
  CHECK(*other.target == "customer.get");
  CHECK(other.param("id") == "42");
}

TEST_CASE("a method the literal route lacks falls through to the parameter route", "[router]") {
  auto r = customer_routes();
  auto m = r.match("PATCH", "/api/customers/stats");
  REQUIRE(m.kind == Kind::Found);
  CHECK(*m.target == "customer.update");
  CHECK(m.param("id") == "stats");
}

TEST_CASE("matching backtracks when a literal branch dead-ends", "[router]") {
  Router<std::string> r;
  REQUIRE(r.add("GET", "/a/{x}/c", "param-route", nullptr));
  REQUIRE(r.add("GET", "/a/b/d", "literal-route", nullptr));
  auto m = r.match("GET", "/a/b/c");
  REQUIRE(m.kind == Kind::Found);
  CHECK(*m.target == "param-route");
  CHECK(m.param("x") == "b");
  auto d = r.match("GET", "/a/b/d");
  REQUIRE(d.kind == Kind::Found);
  CHECK(*d.target == "literal-route");
  CHECK(d.params.empty());
}

TEST_CASE("parameters of different routes sharing a prefix get their own names", "[router]") {
  Router<std::string> r;
  REQUIRE(r.add("GET", "/x/{id}/a", "A", nullptr));
  REQUIRE(r.add("GET", "/x/{key}/b/{n}", "B", nullptr));
  auto a = r.match("GET", "/x/1/a");
  REQUIRE(a.kind == Kind::Found);
  CHECK(a.param("id") == "1");
  auto b = r.match("GET", "/x/2/b/7");
  REQUIRE(b.kind == Kind::Found);
  REQUIRE(b.params.size() == 2);
  CHECK(b.params[0].name == "key");
  CHECK(b.params[0].value == "2");
  CHECK(b.params[1].name == "n");
  CHECK(b.params[1].value == "7");
  CHECK(b.param("id").empty());
}

TEST_CASE("a known path with another method is 405 with the methods it has, in canonical order", "[router]") {
  auto r = customer_routes();
  auto m = r.match("PUT", "/api/customers/42");
  REQUIRE(m.kind == Kind::MethodNotAllowed);
  CHECK(m.target == nullptr);
  CHECK(m.allow == "GET, PATCH, DELETE");
  auto list = r.match("DELETE", "/api/customers");
  REQUIRE(list.kind == Kind::MethodNotAllowed);
  CHECK(list.allow == "GET, POST");
}

TEST_CASE("the Allow list joins every route the path reaches", "[router]") {
  auto r = customer_routes();
  // /api/customers/stats is reached by the literal (GET) and by {id} (GET, PATCH, DELETE).
  auto m = r.match("POST", "/api/customers/stats");
  REQUIRE(m.kind == Kind::MethodNotAllowed);
  CHECK(m.allow == "GET, PATCH, DELETE");
}

TEST_CASE("an unknown method on a known path is 405, not 404", "[router]") {
  auto r = customer_routes();
  auto m = r.match("BREW", "/api/customers");
  CHECK(m.kind == Kind::MethodNotAllowed);
  CHECK(m.allow == "GET, POST");
}

TEST_CASE("paths no route reaches are not found", "[router]") {
  auto r = customer_routes();
  CHECK(r.match("GET", "/api/customer").kind == Kind::NotFound);
  CHECK(r.match("GET", "/api/customers/1/investment-profile/extra").kind == Kind::NotFound);
  CHECK(r.match("GET", "/api").kind == Kind::NotFound); // an inner trie node without routes
  CHECK(r.match("GET", "").kind == Kind::NotFound);
  CHECK(r.match("GET", "api/customers").kind == Kind::NotFound);
  CHECK(r.match("GET", "/").kind == Kind::NotFound);
}

TEST_CASE("a trailing slash is ignored but empty segments match nothing", "[router]") {
  auto r = customer_routes();
  CHECK(r.match("GET", "/api/customers/").kind == Kind::Found);
  CHECK(r.match("GET", "/api//customers").kind == Kind::NotFound);
  CHECK(r.match("GET", "/api/customers//investment-profile").kind == Kind::NotFound);
}

TEST_CASE("the root path can be routed", "[router]") {
  Router<std::string> r;
  REQUIRE(r.add("GET", "/", "root", nullptr));
  auto m = r.match("GET", "/");
  REQUIRE(m.kind == Kind::Found);
  CHECK(*m.target == "root");
  CHECK(r.match("GET", "/x").kind == Kind::NotFound);
}

TEST_CASE("parameter values are percent-decoded", "[router]") {
  auto r = customer_routes();
  auto m = r.match("GET", "/api/customers/a%20b%2Fc%C3%A9");
  REQUIRE(m.kind == Kind::Found);
  CHECK(m.param("id") == "a b/c\xC3\xA9");
  // '+' is a plain character in a path, not a space.
  CHECK(r.match("GET", "/api/customers/a+b").param("id") == "a+b");
}

TEST_CASE("encoded literal segments match their decoded text", "[router]") {
  auto r = customer_routes();
  auto m = r.match("GET", "/api/customers/st%61ts");
  REQUIRE(m.kind == Kind::Found);
  CHECK(*m.target == "customer.stats");
}

TEST_CASE("invalid percent escapes and encoded NUL are not found", "[router]") {
  auto r = customer_routes();
  CHECK(r.match("GET", "/api/customers/%").kind == Kind::NotFound);
  CHECK(r.match("GET", "/api/customers/%2").kind == Kind::NotFound);
  CHECK(r.match("GET", "/api/customers/%zz").kind == Kind::NotFound);
  CHECK(r.match("GET", "/api/customers/a%00b").kind == Kind::NotFound);
  // Not even a 405: the path itself is malformed.
  CHECK(r.match("PUT", "/api/customers/%G1").kind == Kind::NotFound);
}

TEST_CASE("the same method and shape clash even with different parameter names", "[router]") {
  Router<int> r;
  std::string error;
  REQUIRE(r.add("GET", "/x/{id}", 1, &error));
  CHECK_FALSE(r.add("GET", "/x/{key}", 2, &error));
  CHECK(error.find("/x/{key}") != std::string::npos);
  CHECK(error.find("clashes with GET /x/{id}") != std::string::npos);
  CHECK(r.size() == 1);
  // Same shape, another method: fine. A literal beside a parameter: fine.
  CHECK(r.add("DELETE", "/x/{key}", 3, &error));
  CHECK(r.add("GET", "/x/stats", 4, &error));
  // A trailing slash does not make another shape.
  CHECK_FALSE(r.add("GET", "/x/stats/", 5, &error));
  CHECK(r.size() == 3);
}

TEST_CASE("malformed templates are refused with a reason and change nothing", "[router]") {
  Router<int> r;
  std::string error;
  auto refused = [&](std::string_view method, std::string_view path, std::string_view why) {
    error.clear();
    INFO(method << " " << path);
    CHECK_FALSE(r.add(method, path, 1, &error));
    CHECK_THAT(error, Catch::Contains(std::string(why)));
  };
  refused("GET", "api/x", "must start with '/'");
  refused("GET", "", "must start with '/'");
  refused("GET", "/a//b", "empty segment");
  refused("GET", "/a/{}", "must be {name}");
  refused("GET", "/a/{id", "must be {name}");
  refused("GET", "/a/{1id}", "bad parameter name");
  refused("GET", "/a/{i-d}", "bad parameter name");
  refused("GET", "/a/x{id}", "not allowed in segment");
  refused("GET", "/a/%20", "not allowed in segment");
  refused("GET", "/a/{id}/b/{id}", "appears twice");
  refused("GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", "more than 8 parameters");
  refused("FETCH", "/a", "unsupported HTTP method");
  CHECK(r.size() == 0);
  CHECK(r.match("GET", "/a/x").kind == Kind::NotFound);
  // A null error pointer is allowed.
  CHECK_FALSE(r.add("GET", "bad", 1, nullptr));
}

TEST_CASE("a copy is independent of the router it was copied from", "[router]") {
  Router<std::shared_ptr<const std::string>> base;
  REQUIRE(base.add("GET", "/a", std::make_shared<const std::string>("a"), nullptr));
  auto next = base;
  REQUIRE(next.add("GET", "/b", std::make_shared<const std::string>("b"), nullptr));
  CHECK(base.match("GET", "/b").kind == Router<std::shared_ptr<const std::string>>::Match::Kind::NotFound);
  auto m = next.match("GET", "/a");
  REQUIRE(m.kind == Router<std::shared_ptr<const std::string>>::Match::Kind::Found);
  CHECK(**m.target == "a");
  // The match points into `next`, not into `base`.
  CHECK(m.route == &*next.begin());
}

TEST_CASE("routes can be listed in the order they were added", "[router]") {
  auto r = customer_routes();
  REQUIRE(r.size() == 8);
  std::vector<std::string> seen;
  for (const auto& route : r) seen.push_back(route.method + " " + route.path_template + " " + route.target);
  CHECK(seen.front() == "GET /api/customers customer.list");
  CHECK(seen.back() == "PUT /api/customers/{id}/investment-profile customer.put_profile");
}

TEST_CASE("many routes under one prefix still match exactly", "[router]") {
  Router<int> r;
  for (int i = 0; i < 200; ++i) REQUIRE(r.add("GET", "/api/r" + std::to_string(i) + "/{id}", i, nullptr));
  for (int i = 0; i < 200; i += 37) {
    auto m = r.match("GET", "/api/r" + std::to_string(i) + "/z");
    REQUIRE(m.kind == Router<int>::Match::Kind::Found);
    CHECK(*m.target == i);
  }
}
