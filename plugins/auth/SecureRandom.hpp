// SecureRandom: bytes from the kernel's CSPRNG (getrandom), for salts and
// opaque tokens.
#pragma once

#include <cstddef>
#include <string>

namespace auth {

// Fills `buffer` with `size` random bytes; throws crm::Error (INTERNAL) when
// the kernel refuses, which never happens on a sane system.
void fill_random(void* buffer, size_t size);

// `bytes` random bytes as base64url without padding: an unguessable token.
std::string random_token(size_t bytes);

} // namespace auth
