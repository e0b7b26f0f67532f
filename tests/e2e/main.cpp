// The crmctl end-to-end test runner: Catch2's main, plus the integration
// tests' listener that prints the tail of every crm-host log of a failed test
// case and then removes the test case's temporary folders.
//
// Needs the services of scripts/services (see tests/integration/main.cpp).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "support/TestArtifacts.hpp"

namespace {

struct HostLogOnFailure : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseEnded(Catch::TestCaseStats const& stats) override {
    itest::TestArtifacts::instance().finish(stats.totals.assertions.failed > 0, stats.testInfo.name);
  }
};

} // namespace

CATCH_REGISTER_LISTENER(HostLogOnFailure)
