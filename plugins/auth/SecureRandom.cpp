// SecureRandom: see the header.
#include "SecureRandom.hpp"

#include "Base64Url.hpp"

#include <crm/plugin.hpp>

#include <sys/random.h>

#include <cerrno>
#include <vector>

namespace auth {

void fill_random(void* buffer, size_t size) {
  auto* p = static_cast<unsigned char*>(buffer);
  while (size > 0) {
    const ssize_t n = ::getrandom(p, size, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw crm::Error(CRM_E_INTERNAL, "no random bytes from the kernel");
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

std::string random_token(size_t bytes) {
  std::string raw(bytes, '\0');
  fill_random(raw.data(), raw.size());
  return base64url_encode(raw);
}

} // namespace auth
