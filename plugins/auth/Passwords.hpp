// Passwords: argon2id hashing (libargon2, OWASP's second profile: t=2,
// m=19 MiB, p=1) and the password policy.
#pragma once

#include <string>
#include <string_view>

namespace auth {

// The PHC-encoded argon2id hash of `password` with a fresh 16-byte salt
// ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>"). About 50 ms of one core.
std::string hash_password(std::string_view password);

// True when `password` matches `encoded`; false for a wrong password and for
// a malformed hash alike. Costs what hash_password costs.
bool verify_password(const std::string& encoded, std::string_view password);

// The hash of a random password nobody knows, made once per process: a login
// for an unknown email is verified against it so that it takes as long as one
// for a real account. Thread-safe.
const std::string& dummy_password_hash();

// Throws crm::invalid("password", why) unless `password` is 10 to 128
// characters, has a letter and a non-letter, and does not contain the local
// part of `email` (case-insensitive, when that part has 3 or more characters).
void check_password_policy(std::string_view password, std::string_view email);

} // namespace auth
