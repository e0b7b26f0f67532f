// RedisConnection: one connection to Redis, over TCP or TLS, that sends a
// pipeline of commands and reads their replies. Poco's Redis::Client speaks
// plain TCP only and cannot be handed a TLS socket; this class keeps Poco's
// RESP types (Array, BulkString, Error) and streams, over a socket it owns.
// Not thread-safe: RedisPool lends it to one caller at a time.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/RedisStream.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace crm::cache {

struct RedisConfig {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::chrono::milliseconds timeout{250};      // connect, TLS handshake, and each reply
  std::chrono::milliseconds retry_after{1000}; // how long "down" is believed
  size_t max_idle = 16;
  // AUTH on every new connection when `password` is set: `AUTH password`, or
  // with an ACL user `AUTH user password` (Redis 6+).
  std::string user, password;
  // TLS (Redis built with TLS, tls-port): the server's certificate is checked
  // against `tls_ca_file` (the system's CAs when empty) and `host`; a client
  // certificate and key are sent when given (Redis asks for one unless
  // tls-auth-clients is no).
  bool tls = false;
  std::string tls_ca_file, tls_cert_file, tls_key_file;
};

class RedisConnection {
public:
  // Connects, completes the TLS handshake when `tls` is given, and sends AUTH
  // when the config has a password. Throws Poco::Exception (unreachable,
  // timed out, certificate refused) or Poco::Redis::RedisException (AUTH refused).
  RedisConnection(const RedisConfig& config, const Poco::Net::Context::Ptr& tls);
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Writes the commands in one go and reads one reply each, in order. An
  // error reply is an element of type Error, not an exception; a broken
  // connection or a reply late by more than the timeout throws.
  Poco::Redis::Array send(const std::vector<Poco::Redis::Array>& commands);

  // The TLS context for `config` (nullptr when config.tls is false). Throws
  // std::invalid_argument naming the setting whose file cannot be used.
  static Poco::Net::Context::Ptr tls_context(const RedisConfig& config);

private:
  Poco::Redis::RedisType::Ptr read_reply();

  Poco::Net::StreamSocket socket_;
  std::unique_ptr<Poco::Redis::RedisInputStream> in_;
  std::unique_ptr<Poco::Redis::RedisOutputStream> out_;
};

} // namespace crm::cache
