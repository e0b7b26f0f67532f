// The client address behind trusted proxies: X-Forwarded-For and Forwarded
// count only from a trusted peer, read from the right.
#include "http/ClientAddress.hpp"

#include <Poco/Exception.h>
#include <catch2/catch.hpp>

using crm::http::TrustedProxies;
using Poco::Net::IPAddress;
using Poco::Net::NameValueCollection;

namespace {
std::string client(const TrustedProxies& proxies, const std::string& peer, std::vector<std::pair<std::string, std::string>> headers) {
  NameValueCollection h;
  for (auto& [k, v] : headers) h.add(k, v);
  return proxies.client_of(IPAddress(peer), h).toString();
}
} // namespace

TEST_CASE("with no trusted proxy, forwarding headers are ignored", "[client-address]") {
  auto none = TrustedProxies::parse("");
  CHECK(none.empty());
  CHECK(client(none, "192.0.2.7", {{"X-Forwarded-For", "203.0.113.9"}}) == "192.0.2.7");
  CHECK(client(none, "192.0.2.7", {{"Forwarded", "for=203.0.113.9"}}) == "192.0.2.7");
}

TEST_CASE("an untrusted peer cannot name the client", "[client-address]") {
  auto proxies = TrustedProxies::parse("10.0.0.0/8");
  CHECK(client(proxies, "192.0.2.7", {{"X-Forwarded-For", "203.0.113.9"}}) == "192.0.2.7");
}

TEST_CASE("a trusted proxy names the client, entries the client wrote are skipped", "[client-address]") {
  auto proxies = TrustedProxies::parse(" 10.0.0.0/8 , 127.0.0.1 ");
  CHECK(client(proxies, "127.0.0.1", {{"X-Forwarded-For", "203.0.113.9"}}) == "203.0.113.9");
  // The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real peer.
  CHECK(client(proxies, "10.1.2.3", {{"X-Forwarded-For", "1.2.3.4, 203.0.113.9"}}) == "203.0.113.9");
  // Two proxies in a row: the rightmost untrusted address is the client.
  CHECK(client(proxies, "10.1.2.3", {{"X-Forwarded-For", "1.2.3.4, 203.0.113.9, 10.9.9.9"}}) == "203.0.113.9");
  // Several header lines read as one list.
  CHECK(client(proxies, "10.1.2.3", {{"X-Forwarded-For", "1.2.3.4"}, {"X-Forwarded-For", "198.51.100.2"}}) ==
        "198.51.100.2");
  // With ports and brackets.
  CHECK(client(proxies, "10.1.2.3", {{"X-Forwarded-For", "198.51.100.2:5555"}}) == "198.51.100.2");
  CHECK(client(proxies, "10.1.2.3", {{"X-Forwarded-For", "[2001:db8::1]:80"}}) == "2001:db8::1");
}

TEST_CASE("Forwarded for= is read when X-Forwarded-For is absent", "[client-address]") {
  auto proxies = TrustedProxies::parse("10.0.0.0/8");
  CHECK(client(proxies, "10.0.0.1", {{"Forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43"}}) == "192.0.2.60");
  CHECK(client(proxies, "10.0.0.1", {{"Forwarded", "for=1.1.1.1, for=\"[2001:db8:cafe::17]:4711\""}}) ==
        "2001:db8:cafe::17");
}

TEST_CASE("an unreadable hop stops the walk at the last known address", "[client-address]") {
  auto proxies = TrustedProxies::parse("10.0.0.0/8");
  CHECK(client(proxies, "10.0.0.1", {{"X-Forwarded-For", "garbage"}}) == "10.0.0.1");
  CHECK(client(proxies, "10.0.0.1", {{"X-Forwarded-For", "203.0.113.9, unknown"}}) == "10.0.0.1");
}

TEST_CASE("CIDR blocks match by prefix, for IPv4, IPv6 and IPv4-mapped peers", "[client-address]") {
  auto proxies = TrustedProxies::parse("192.168.4.0/22, ::1, 2001:db8::/32");
  CHECK(proxies.contains(IPAddress("192.168.7.255")));
  CHECK_FALSE(proxies.contains(IPAddress("192.168.8.0")));
  CHECK(proxies.contains(IPAddress("::1")));
  CHECK(proxies.contains(IPAddress("2001:db8:ffff::1")));
  CHECK_FALSE(proxies.contains(IPAddress("2001:db9::1")));
  CHECK(proxies.contains(IPAddress("::ffff:192.168.5.1")));
}

TEST_CASE("a bad trusted_proxies entry is refused with its text", "[client-address]") {
  CHECK_THROWS_WITH(TrustedProxies::parse("10.0.0.0/8, nonsense"), Catch::Contains("nonsense"));
  CHECK_THROWS_WITH(TrustedProxies::parse("10.0.0.0/33"), Catch::Contains("10.0.0.0/33"));
}
