// crmctl's entry point: runs the command and turns every way it can fail into
// one line on stderr and an exit status (see Errors.hpp). Nothing escapes as
// a stack trace or an abort.
#include "CliApp.hpp"
#include "Errors.hpp"
#include "Terminal.hpp"

#include <exception>
#include <iostream>
#include <new>

namespace {

// One write, so the lines of concurrent processes never interleave.
void report(const std::string& text, const std::string& hint = {}) {
  const bool colour = crmctl::term::colour_enabled(2);
  std::string out = crmctl::term::paint("crmctl:", crmctl::term::Style::Red, colour) + " " + text + "\n";
  if (!hint.empty()) out += crmctl::term::paint("hint:", crmctl::term::Style::Dim, colour) + " " + hint + "\n";
  std::cerr << out << std::flush;
}

} // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  try {
    const int code = crmctl::run(argc, argv);
    std::cout.flush();
    return code;
  } catch (const crmctl::ServerError& e) {
    std::cout.flush();
    report(e.problem().render(), e.hint());
    return e.exit_code();
  } catch (const crmctl::CliError& e) {
    std::cout.flush();
    if (*e.what()) report(e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    report("out of memory");
  } catch (const std::exception& e) {
    report(std::string("unexpected error: ") + e.what());
  } catch (...) {
    report("unexpected error");
  }
  return crmctl::kExitUnavailable;
}
