// CrashPoints: see the header.
#include "core/CrashPoints.hpp"

#ifdef CRM_CRASH_POINTS
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#endif

namespace crm::core {

#ifdef CRM_CRASH_POINTS

namespace {

struct Target {
  std::string name;
  long at = 1;
};

const Target& target() {
  static const Target t = [] {
    Target out;
    const char* spec = std::getenv("CRM_TEST_CRASH_AT");
    if (!spec || !*spec) return out;
    out.name = spec;
    if (auto colon = out.name.find(':'); colon != std::string::npos) {
      out.at = std::max(1L, std::strtol(out.name.c_str() + colon + 1, nullptr, 10));
      out.name.resize(colon);
    }
    return out;
  }();
  return t;
}

std::atomic<long> passed{0};

} // namespace

void crash_point(const char* name) {
  const Target& t = target();
  if (t.name.empty() || t.name != name) return;
  if (++passed < t.at) return;
  std::fprintf(stderr, "crash point %s reached (pass %ld): exiting\n", name, t.at);
  std::fflush(stderr);
  _exit(86);
}

bool crash_points_built() { return true; }

#else

void crash_point(const char*) {}
bool crash_points_built() { return false; }

#endif

} // namespace crm::core
