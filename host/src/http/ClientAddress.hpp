// ClientAddress: who the client is when requests may come through proxies.
// Only a peer inside `http.trusted_proxies` may name the client, with
// X-Forwarded-For or Forwarded (RFC 7239); from anyone else those headers are
// ignored and the client is the peer. Walking the list from the right, the
// first address that is not itself a trusted proxy is the client: entries to
// its left were written by the client and prove nothing. Immutable after
// construction; shared by every worker.
#pragma once

#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NameValueCollection.h>

#include <string>
#include <string_view>
#include <vector>

namespace crm::http {

class TrustedProxies {
public:
  // "10.0.0.0/8, 127.0.0.1, ::1/128": CIDR blocks or single addresses.
  // Throws std::invalid_argument naming the entry it cannot read.
  static TrustedProxies parse(std::string_view list);

  bool empty() const { return blocks_.empty(); }
  bool contains(const Poco::Net::IPAddress& address) const;

  // The client's address for a request from `peer` carrying `headers`.
  Poco::Net::IPAddress client_of(const Poco::Net::IPAddress& peer, const Poco::Net::NameValueCollection& headers) const;

private:
  struct Block {
    Poco::Net::IPAddress network;
    unsigned prefix;
  };
  std::vector<Block> blocks_;
};

} // namespace crm::http
