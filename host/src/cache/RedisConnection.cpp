// RedisConnection: see the header.
#include "cache/RedisConnection.hpp"

#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Redis/Error.h>
#include <Poco/Redis/Exception.h>
#include <Poco/Timespan.h>

#include <stdexcept>

namespace crm::cache {

namespace {

Poco::Timespan span(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

} // namespace

Poco::Net::Context::Ptr RedisConnection::tls_context(const RedisConfig& config) {
  if (!config.tls) return nullptr;
  if (config.tls_cert_file.empty() != config.tls_key_file.empty())
    throw std::invalid_argument("redis.tls_cert_file and redis.tls_key_file go together; set both or neither");
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.caLocation = config.tls_ca_file;
  params.loadDefaultCAs = config.tls_ca_file.empty(); // with a CA file, only its CAs
  params.certificateFile = config.tls_cert_file;
  params.privateKeyFile = config.tls_key_file;
  params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  params.verificationDepth = 9;
  try {
    return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument("redis.tls_ca_file, redis.tls_cert_file, redis.tls_key_file: " + e.displayText());
  }
}

RedisConnection::RedisConnection(const RedisConfig& config, const Poco::Net::Context::Ptr& tls) {
  const Poco::Net::SocketAddress address(config.host, static_cast<Poco::UInt16>(config.port));
  socket_.connect(address, span(config.timeout));
  socket_.setNoDelay(true);
  // Set before the handshake, so that a server that accepts and then says
  // nothing costs the timeout, not a request thread.
  socket_.setReceiveTimeout(span(config.timeout));
  socket_.setSendTimeout(span(config.timeout));
  // Attached with the configured name: it is sent as SNI and the server's
  // certificate must be for it.
  if (tls) socket_ = Poco::Net::SecureStreamSocket::attach(socket_, config.host, tls);
  in_ = std::make_unique<Poco::Redis::RedisInputStream>(socket_);
  out_ = std::make_unique<Poco::Redis::RedisOutputStream>(socket_);
  // A timeout or reset inside the stream buffers comes out as the exception
  // it is instead of a quiet failbit.
  in_->exceptions(std::ios::badbit);
  out_->exceptions(std::ios::badbit);

  if (!config.password.empty()) {
    Poco::Redis::Array auth;
    auth << "AUTH";
    if (!config.user.empty()) auth << config.user;
    auth << config.password;
    const auto reply = send({auth});
    if (reply.getType(0) == Poco::Redis::RedisTypeTraits<Poco::Redis::Error>::TypeId)
      throw Poco::Redis::RedisException("AUTH refused: " + reply.get<Poco::Redis::Error>(0).getMessage());
  }
}

Poco::Redis::Array RedisConnection::send(const std::vector<Poco::Redis::Array>& commands) {
  for (const auto& command : commands) *out_ << command.toString();
  out_->flush();
  Poco::Redis::Array replies;
  for (size_t i = 0; i < commands.size(); ++i) replies.addRedisType(read_reply());
  return replies;
}

Poco::Redis::RedisType::Ptr RedisConnection::read_reply() {
  const int marker = in_->get();
  if (marker == std::char_traits<char>::eof()) throw Poco::IOException("redis closed the connection");
  Poco::Redis::RedisType::Ptr reply = Poco::Redis::RedisType::createRedisType(static_cast<char>(marker));
  if (reply.isNull())
    throw Poco::Redis::RedisException("redis sent a reply of unknown type '" + std::string(1, static_cast<char>(marker)) +
                                      "'");
  reply->read(*in_);
  return reply;
}

} // namespace crm::cache
