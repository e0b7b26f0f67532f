// TokenVerifier: see the header.
#include "security/TokenVerifier.hpp"

#include "core/JsonText.hpp"

#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Token.h>
#include <Poco/Random.h>
#include <Poco/RandomStream.h>
#include <Poco/Timestamp.h>

#include <array>
#include <ctime>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace crm::security {

TokenVerifier::TokenVerifier(TokenConfig config) : config_(std::move(config)) {
  if (config_.keys.empty()) throw std::invalid_argument("no JWT keys");
  for (const auto& [kid, secret] : config_.keys) {
    if (secret.size() < 32) throw std::invalid_argument("JWT key '" + kid + "' is shorter than 32 characters");
    signers_.emplace(kid, std::make_unique<Poco::JWT::Signer>(secret)); // HS256 only: the default
    secrets_.emplace(kid, secret);
  }
}

std::vector<std::pair<std::string, std::string>> TokenVerifier::parse_keys(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> keys;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\n' || item.back() == '\r')) item.pop_back();
    while (!item.empty() && (item.front() == ' ' || item.front() == '\n')) item.erase(0, 1);
    pos = comma + 1;
    if (item.empty()) continue;
    size_t colon = item.find(':');
    if (colon == std::string::npos || colon == 0) throw std::invalid_argument("JWT keys are kid:secret pairs");
    keys.emplace_back(item.substr(0, colon), item.substr(colon + 1));
  }
  if (keys.empty()) {
    std::string secret(48, '\0');
    Poco::RandomInputStream rnd;
    static const char alphabet[] = "0123456789abcdef";
    for (char& c : secret) c = alphabet[static_cast<unsigned char>(rnd.get()) & 15];
    keys.emplace_back("ephemeral", secret);
  }
  return keys;
}

namespace {

// base64url without padding, as JWTs use it; nullopt for anything else.
std::optional<std::string> base64url_decode(std::string_view in) {
  static const auto table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    int v = table[c];
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::optional<long long> number_claim(const Poco::JSON::Object::Ptr& o, const char* key) {
  if (!o->has(key)) return std::nullopt;
  auto v = o->get(key);
  if (!v.isNumeric()) return std::nullopt;
  return static_cast<long long>(v.convert<double>());
}

} // namespace

// HS256 checked here rather than with Poco::JWT::Signer::tryVerify, which opens
// /dev/urandom twice per call: two system calls per request for nothing. The
// comparison is constant-time.
std::optional<Principal> TokenVerifier::verify(std::string_view text) const {
  try {
    const size_t dot1 = text.find('.');
    const size_t dot2 = dot1 == std::string_view::npos ? dot1 : text.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || text.find('.', dot2 + 1) != std::string_view::npos) return std::nullopt;
    const std::string_view header_b64 = text.substr(0, dot1), payload_b64 = text.substr(dot1 + 1, dot2 - dot1 - 1),
                           signature_b64 = text.substr(dot2 + 1);

    auto header_text = base64url_decode(header_b64);
    if (!header_text) return std::nullopt;
    Poco::JSON::Parser parser;
    auto header = parser.parse(*header_text).extract<Poco::JSON::Object::Ptr>();
    if (header->optValue<std::string>("alg", "") != "HS256") return std::nullopt; // pinned: none and others fail
    auto key = secrets_.find(header->optValue<std::string>("kid", ""));
    if (key == secrets_.end()) return std::nullopt;

    auto signature = base64url_decode(signature_b64);
    if (!signature || signature->size() != 32) return std::nullopt;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    const std::string_view signed_part = text.substr(0, dot2);
    if (!HMAC(EVP_sha256(), key->second.data(), static_cast<int>(key->second.size()),
              reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac, &mac_len) ||
        mac_len != 32 || CRYPTO_memcmp(mac, signature->data(), 32) != 0)
      return std::nullopt;

    auto payload_text = base64url_decode(payload_b64);
    if (!payload_text) return std::nullopt;
    parser.reset();
    auto claims = parser.parse(*payload_text).extract<Poco::JSON::Object::Ptr>();
    const long long now = static_cast<long long>(std::time(nullptr));
    auto exp = number_claim(claims, "exp");
    if (!exp || *exp + config_.leeway_seconds <= now) return std::nullopt;
    if (auto nbf = number_claim(claims, "nbf"); nbf && *nbf > now + config_.leeway_seconds) return std::nullopt;
    if (claims->optValue<std::string>("iss", "") != config_.issuer) return std::nullopt;
    bool audience_ok = false;
    if (claims->has("aud")) {
      auto aud = claims->get("aud");
      if (aud.isString()) {
        audience_ok = aud.extract<std::string>() == config_.audience;
      } else if (auto list = claims->getArray("aud")) {
        for (size_t i = 0; i < list->size(); ++i)
          audience_ok = audience_ok || list->getElement<std::string>(static_cast<unsigned>(i)) == config_.audience;
      }
    }
    if (!audience_ok) return std::nullopt;

    Principal p;
    p.id = claims->optValue<std::string>("sub", "");
    p.role = claims->optValue<std::string>("role", "");
    if (p.id.empty() || (p.role != "ADMIN" && p.role != "MANAGER" && p.role != "SALES")) return std::nullopt;
    p.jti = claims->optValue<std::string>("jti", "");
    if (revoked_ && revoked_(p.jti)) return std::nullopt;
    p.expires_at = *exp;
    p.json = principal_json(p, {});
    return p;
  } catch (...) {
    return std::nullopt; // malformed JSON, wrong types: all 401
  }
}

std::string principal_json(const Principal& p, std::string_view extra_members) {
  std::string json = "{\"id\":";
  core::append_json_string(json, p.id);
  json += ",\"role\":";
  core::append_json_string(json, p.role);
  json += ",\"jti\":";
  core::append_json_string(json, p.jti);
  json += ",\"exp\":";
  json += std::to_string(p.expires_at);
  if (!extra_members.empty()) {
    json += ',';
    json += extra_members;
  }
  json += '}';
  return json;
}

std::string TokenVerifier::sign(const std::string& subject, const std::string& role, int ttl_seconds,
                                const std::string& jti) const {
  const auto& [kid, secret] = config_.keys.back();
  Poco::JWT::Token token;
  token.setType("JWT");
  token.header().set("kid", kid);
  token.setSubject(subject);
  token.payload().set("role", role);
  token.setIssuer(config_.issuer);
  token.setAudience(config_.audience);
  token.setId(jti);
  auto now = std::time(nullptr);
  // Whole seconds: Poco would write fractions.
  token.payload().set("iat", static_cast<Poco::Int64>(now));
  token.payload().set("exp", static_cast<Poco::Int64>(now + ttl_seconds));
  return signers_.at(kid)->sign(token, Poco::JWT::Signer::ALGO_HS256);
}

} // namespace crm::security
