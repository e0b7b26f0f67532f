// TokenVerifier: see the header.
#include "security/TokenVerifier.hpp"

#include "http/JsonText.hpp"

#include <Poco/JWT/Token.h>
#include <Poco/Random.h>
#include <Poco/RandomStream.h>
#include <Poco/Timestamp.h>

#include <stdexcept>

namespace crm::security {

TokenVerifier::TokenVerifier(TokenConfig config) : config_(std::move(config)) {
  if (config_.keys.empty()) throw std::invalid_argument("no JWT keys");
  for (const auto& [kid, secret] : config_.keys) {
    if (secret.size() < 32) throw std::invalid_argument("JWT key '" + kid + "' is shorter than 32 characters");
    signers_.emplace(kid, std::make_unique<Poco::JWT::Signer>(secret)); // HS256 only: the default
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

std::optional<Principal> TokenVerifier::verify(std::string_view text) const {
  try {
    std::string jwt(text);
    Poco::JWT::Token unverified(jwt); // parse only, to read the header
    if (unverified.getAlgorithm() != "HS256") return std::nullopt;
    std::string kid = unverified.header().optValue<std::string>("kid", "");
    auto signer = signers_.find(kid);
    if (signer == signers_.end()) return std::nullopt;
    Poco::JWT::Token token;
    if (!signer->second->tryVerify(jwt, token)) return std::nullopt;

    const auto& claims = token.payload();
    Poco::Timestamp now;
    const Poco::Timestamp::TimeDiff leeway = Poco::Timestamp::TimeDiff(config_.leeway_seconds) * 1000000;
    if (!claims.has("exp") || token.getExpiration() + leeway <= now) return std::nullopt;
    if (claims.has("nbf") && token.getNotBefore() > now + leeway) return std::nullopt;
    if (token.getIssuer() != config_.issuer) return std::nullopt;
    bool audience_ok = false;
    for (const auto& a : token.getAudience()) audience_ok = audience_ok || a == config_.audience;
    if (!audience_ok) return std::nullopt;

    Principal p;
    p.id = token.getSubject();
    p.role = claims.optValue<std::string>("role", "");
    if (p.id.empty() || (p.role != "ADMIN" && p.role != "MANAGER" && p.role != "SALES")) return std::nullopt;
    p.jti = token.getId();
    if (revoked_ && revoked_(p.jti)) return std::nullopt;
    p.expires_at = static_cast<long long>(token.getExpiration().epochTime());
    p.json = principal_json(p, {});
    return p;
  } catch (...) {
    // Malformed tokens, alg "none" (Poco throws instead of failing): all 401.
    return std::nullopt;
  }
}

std::string principal_json(const Principal& p, std::string_view extra_members) {
  std::string json = "{\"id\":";
  http::append_json_string(json, p.id);
  json += ",\"role\":";
  http::append_json_string(json, p.role);
  json += ",\"jti\":";
  http::append_json_string(json, p.jti);
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
