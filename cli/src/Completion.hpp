// Completion: `crmctl completion bash`, a bash completion script generated
// from the command tree itself, so it never lags behind the commands:
// subcommands, options, the choices of options that have them (-o, --role,
// --status...) and file names where a command takes a FILE.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace crmctl {

// The script; `program` is the command it completes ("crmctl").
std::string bash_completion(const CLI::App& root, const std::string& program);

} // namespace crmctl
