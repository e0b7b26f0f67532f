// crm-host entry point.
#include "app/HostApplication.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>

#include <pthread.h>

int main(int argc, char** argv) {
  // The termination signals are blocked from the start, in this thread and
  // so in every thread made after it: the host takes them only where it
  // waits for them (ServerApplication::waitForTerminationRequest, after
  // "ready"). Otherwise one that came while the host was starting, or in the
  // moment between "ready" and that wait, went to whichever thread did not
  // block it, and its default action ended the process at once, with no
  // orderly stop. Sent early, it now waits until the host is up (a start-up
  // that fails exits all the same). Poco leaves SIGINT alone under a debugger.
  sigset_t termination;
  sigemptyset(&termination);
  if (!std::getenv("POCO_ENABLE_DEBUGGER")) sigaddset(&termination, SIGINT);
  sigaddset(&termination, SIGQUIT);
  sigaddset(&termination, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &termination, nullptr);
  try {
    crm::app::HostApplication app;
    return app.run(argc, argv);
  } catch (const Poco::Exception& e) {
    std::cerr << e.displayText() << std::endl;
    return Poco::Util::Application::EXIT_SOFTWARE;
  }
}
