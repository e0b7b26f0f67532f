// The integration test runner: Catch2's main, plus a listener that prints the
// tail of every crm-host log of a failed test case and then cleans up the test
// case's temporary folders (see support/TestArtifacts.hpp).
//
// These tests need the services of scripts/services: run them through
// scripts/test, or start the services and export their env first:
//   scripts/services start /tmp/itest-svc && eval "$(scripts/services env /tmp/itest-svc)"
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
