// ClientAddress: see the header.
#include "http/ClientAddress.hpp"

#include <stdexcept>
#include <Poco/String.h>

#include <algorithm>
#include <cstring>

namespace crm::http {

namespace {

// IPv4-mapped IPv6 (::ffff:a.b.c.d) compares as IPv4.
Poco::Net::IPAddress plain(const Poco::Net::IPAddress& a) {
  if (a.family() == Poco::Net::IPAddress::IPv6 && a.isIPv4Mapped()) {
    auto* bytes = static_cast<const unsigned char*>(a.addr());
    return Poco::Net::IPAddress(bytes + 12, 4);
  }
  return a;
}

bool same_prefix(const Poco::Net::IPAddress& a, const Poco::Net::IPAddress& b, unsigned prefix) {
  if (a.family() != b.family()) return false;
  auto* x = static_cast<const unsigned char*>(a.addr());
  auto* y = static_cast<const unsigned char*>(b.addr());
  unsigned full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(x, y, full) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (x[full] & mask) == (y[full] & mask);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An address as proxies write it: "192.0.2.1", "192.0.2.1:8080", "[2001:db8::1]:80", "2001:db8::1".
bool read_address(std::string_view text, Poco::Net::IPAddress& out) {
  text = trim(text);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    text = text.substr(0, text.find(':'));
  }
  if (text.empty() || text.size() > 45) return false;
  return Poco::Net::IPAddress::tryParse(std::string(text), out);
}

// Every value of a header, in order, split at commas.
std::vector<std::string_view> elements(const Poco::Net::NameValueCollection& headers, const std::string& name) {
  std::vector<std::string_view> out;
  for (const auto& [key, value] : headers) {
    if (Poco::icompare(key, name) != 0) continue;
    std::string_view v = value;
    size_t pos = 0;
    while (pos <= v.size()) {
      size_t comma = v.find(',', pos);
      if (comma == std::string_view::npos) comma = v.size();
      out.push_back(trim(v.substr(pos, comma - pos)));
      pos = comma + 1;
    }
  }
  return out;
}

// The for= parameter of one Forwarded element ("for=192.0.2.60;proto=http").
std::string_view forwarded_for(std::string_view element) {
  size_t pos = 0;
  while (pos < element.size()) {
    size_t semi = element.find(';', pos);
    if (semi == std::string_view::npos) semi = element.size();
    std::string_view pair = trim(element.substr(pos, semi - pos));
    if (pair.size() > 4 && Poco::icompare(std::string(pair.substr(0, 4)), "for=") == 0) return pair.substr(4);
    pos = semi + 1;
  }
  return {};
}

} // namespace

TrustedProxies TrustedProxies::parse(std::string_view list) {
  TrustedProxies out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view entry = trim(list.substr(pos, comma - pos));
    pos = comma + 1;
    if (entry.empty()) continue;
    std::string_view addr = entry.substr(0, entry.find('/'));
    Poco::Net::IPAddress ip;
    if (!Poco::Net::IPAddress::tryParse(std::string(addr), ip))
      throw std::invalid_argument("http.trusted_proxies: not an address or CIDR block: " + std::string(entry));
    ip = plain(ip);
    unsigned max = ip.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128, prefix = max;
    if (addr.size() < entry.size()) {
      std::string bits(entry.substr(addr.size() + 1));
      char* end = nullptr;
      long n = std::strtol(bits.c_str(), &end, 10);
      if (bits.empty() || *end != '\0' || n < 0 || n > static_cast<long>(max))
        throw std::invalid_argument("http.trusted_proxies: bad prefix length in " + std::string(entry));
      prefix = static_cast<unsigned>(n);
    }
    out.blocks_.push_back({ip, prefix});
  }
  return out;
}

bool TrustedProxies::contains(const Poco::Net::IPAddress& address) const {
  Poco::Net::IPAddress a = plain(address);
  for (const auto& b : blocks_)
    if (same_prefix(a, b.network, b.prefix)) return true;
  return false;
}

Poco::Net::IPAddress TrustedProxies::client_of(const Poco::Net::IPAddress& peer,
                                               const Poco::Net::NameValueCollection& headers) const {
  if (blocks_.empty() || !contains(peer)) return peer;
  std::vector<std::string_view> hops = elements(headers, "X-Forwarded-For");
  bool forwarded = false;
  if (hops.empty()) {
    hops = elements(headers, "Forwarded");
    forwarded = true;
  }
  Poco::Net::IPAddress client = peer;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    Poco::Net::IPAddress hop;
    if (!read_address(forwarded ? forwarded_for(*it) : *it, hop)) break; // unreadable: stop at the last known hop
    client = plain(hop);
    if (!contains(client)) break;
  }
  return client;
}

} // namespace crm::http
