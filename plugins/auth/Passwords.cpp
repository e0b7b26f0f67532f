// Passwords: see the header.
#include "Passwords.hpp"

#include "SecureRandom.hpp"

#include <crm/plugin.hpp>
#include <crm/sdk/text_rules.hpp>

#include <argon2.h>

#include <cstdint>
#include <cstring>

namespace auth {

namespace {

constexpr uint32_t kTimeCost = 2;
constexpr uint32_t kMemoryKiB = 19456;
constexpr uint32_t kParallelism = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

constexpr size_t kMinLength = 10;
constexpr size_t kMaxLength = 128;
// A local part shorter than this would forbid half the dictionary ("al" in
// "totally..."), so it is not checked.
constexpr size_t kMinCheckedLocalPart = 3;

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

} // namespace

std::string hash_password(std::string_view password) {
  unsigned char salt[kSaltBytes];
  fill_random(salt, sizeof salt);
  std::string encoded(argon2_encodedlen(kTimeCost, kMemoryKiB, kParallelism, kSaltBytes, kHashBytes, Argon2_id), '\0');
  const int rc = argon2id_hash_encoded(kTimeCost, kMemoryKiB, kParallelism, password.data(), password.size(), salt,
                                       sizeof salt, kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) throw crm::Error(CRM_E_INTERNAL, std::string("argon2id failed: ") + argon2_error_message(rc));
  encoded.resize(std::strlen(encoded.c_str())); // argon2_encodedlen counts the NUL
  return encoded;
}

bool verify_password(const std::string& encoded, std::string_view password) {
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

const std::string& dummy_password_hash() {
  static const std::string hash = hash_password(random_token(24));
  return hash;
}

void check_password_policy(std::string_view password, std::string_view email) {
  const size_t length = code_points(password);
  if (length < kMinLength) throw crm::invalid("password", "must be at least 10 characters long");
  if (length > kMaxLength) throw crm::invalid("password", "must be at most 128 characters long");

  // Letters are ASCII letters and, since telling them apart needs Unicode
  // tables, every non-ASCII character; a non-letter is any other ASCII character.
  bool letter = false, other = false;
  for (unsigned char c : password) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80)
      letter = true;
    else
      other = true;
  }
  if (!letter || !other) throw crm::invalid("password", "must contain a letter and a digit, space or symbol");

  const std::string local = crm::lower_ascii(email.substr(0, email.find('@')));
  if (local.size() >= kMinCheckedLocalPart && crm::lower_ascii(password).find(local) != std::string::npos)
    throw crm::invalid("password", "must not contain the email address");
}

} // namespace auth
