// CliApp: the crmctl command tree (CLI11) and one run of it.
#pragma once

namespace crmctl {

// Parses the command line and runs the chosen command. Returns the exit
// status; command failures are thrown (Errors.hpp) for main() to report.
int run(int argc, char** argv);

} // namespace crmctl
