// HttpTransport's pure parts: server URLs, answer heads, chunked bodies.
#include "Errors.hpp"
#include "HttpTransport.hpp"

#include <catch2/catch.hpp>

using namespace crmctl;

TEST_CASE("a server URL is taken apart into host, port and base path", "[crmctl][http]") {
  auto u = parse_server("http://127.0.0.1:8080");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == "8080");
  CHECK(u.base.empty());
  u = parse_server("http://crm.example.com/api-gw");
  CHECK(u.host == "crm.example.com");
  CHECK(u.port == "80");
  CHECK(u.base == "/api-gw");
  u = parse_server("http://[::1]:9000");
  CHECK(u.host == "::1");
  CHECK(u.port == "9000");
  CHECK_THROWS_AS(parse_server("http://h:99999"), UsageError);
  CHECK_THROWS_AS(parse_server("http://h:x"), UsageError);
  CHECK_THROWS_AS(parse_server("http://user:pw@h:1"), UsageError);
  CHECK_THROWS_AS(normalise_server("http://:80"), UsageError);
  CHECK_THROWS_AS(normalise_server("http://h:1/?q=1"), UsageError);
}

TEST_CASE("an answer head gives the status and the headers", "[crmctl][http]") {
  int status = 0;
  Headers headers;
  REQUIRE(http_detail::parse_head(
      "HTTP/1.1 422 Unprocessable Content\r\nContent-Type: application/problem+json\r\nX-Request-Id:  abc \r\n", status,
      headers));
  CHECK(status == 422);
  REQUIRE(headers.size() == 2);
  CHECK(headers[1] == std::make_pair(std::string("X-Request-Id"), std::string("abc")));
  HttpResponse r;
  r.headers = headers;
  CHECK(r.header("content-type") == "application/problem+json");
  CHECK(r.header("missing").empty());
  CHECK(!http_detail::parse_head("SSH-2.0-OpenSSH_9.2", status, headers));
  CHECK(!http_detail::parse_head("HTTP/1.1 abc", status, headers));
}

TEST_CASE("a chunked body is decoded once complete", "[crmctl][http]") {
  std::string body;
  bool bad = false;
  CHECK(http_detail::decode_chunked("4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n", body, bad));
  CHECK(body == "Wikipedia");
  CHECK(!http_detail::decode_chunked("4\r\nWiki\r\n5\r\nped", body, bad));
  CHECK(!bad);
  CHECK(!http_detail::decode_chunked("4\r\nWiki\r\n0\r\n", body, bad)); // the last line is missing
  CHECK(http_detail::decode_chunked("0\r\nTrailer: x\r\n\r\n", body, bad));
  CHECK(body.empty());
  CHECK(!http_detail::decode_chunked("zz\r\n", body, bad));
  CHECK(bad);
  CHECK(!http_detail::decode_chunked("2\r\nabc\r\n", body, bad));
  CHECK(bad);
}
