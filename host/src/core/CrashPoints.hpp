// CrashPoints: places where a test makes the host die on purpose, to prove
// what survives a crash at exactly that moment (the window after a
// transaction committed and before what follows it is recorded or acked).
// Honoured only by a build configured with -DCRM_CRASH_POINTS=ON (as
// scripts/test does); in any other build crash_point() does nothing, whatever
// the environment says.
//
// CRM_TEST_CRASH_AT=NAME[:N] ends the process (_exit, no clean-up, like a
// SIGKILL) the Nth time (default the first) it passes crash point NAME:
//   workflow.call_committed   a workflow's operation call committed, its
//                             outcome not yet returned to the engine
//   events.batch_committed    a consumer's events committed, not yet acked
#pragma once

namespace crm::core {

void crash_point(const char* name);

// Whether this build honours CRM_TEST_CRASH_AT.
bool crash_points_built();

} // namespace crm::core
