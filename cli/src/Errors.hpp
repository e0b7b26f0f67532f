// Errors: every way a crmctl command can end other than success, each with
// the exit status a script sees. main() catches them (and everything else) so
// a user never sees a stack trace.
//
//   0   success
//   1   usage: a bad command line, a missing file, no terminal to ask on
//   2   the server refused (4xx): problem+json title, detail, field errors
//   3   the server is unreachable or failed (5xx, an unreadable answer)
//   4   a followed workflow (--wait) ended without success
//   130 Ctrl-C while following (the workflow keeps running)
#pragma once

#include "Problem.hpp"

#include <stdexcept>
#include <string>

namespace crmctl {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,
  kExitRefused = 2,
  kExitUnavailable = 3,
  kExitWorkflowFailed = 4,
  kExitInterrupted = 130,
};

// Base of the errors crmctl reports; what() is the line printed after "crmctl: ".
class CliError : public std::runtime_error {
public:
  CliError(const std::string& message, int exit_code) : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

private:
  int exit_code_;
};

class UsageError : public CliError {
public:
  explicit UsageError(const std::string& message) : CliError(message, kExitUsage) {}
};

// The server answered with an error: 4xx exits 2, 5xx exits 3. `hint` is an
// extra line for the admin ("sign in with: crmctl login").
class ServerError : public CliError {
public:
  ServerError(Problem problem, std::string hint = {})
      : CliError(problem.headline(), problem.status >= 500 ? kExitUnavailable : kExitRefused),
        problem_(std::move(problem)), hint_(std::move(hint)) {}
  const Problem& problem() const { return problem_; }
  const std::string& hint() const { return hint_; }

private:
  Problem problem_;
  std::string hint_;
};

// No answer at all: refused connection, unknown host, timeout, a reply that is
// not HTTP or not the JSON it should be.
class UnreachableError : public CliError {
public:
  explicit UnreachableError(const std::string& message) : CliError(message, kExitUnavailable) {}
};

// A refusal crmctl itself determined from the server's data (no user with
// that email): reported like a 4xx.
class NotFoundError : public CliError {
public:
  explicit NotFoundError(const std::string& message) : CliError(message, kExitRefused) {}
};

// A followed workflow ended FAILED, COMPENSATED or CANCELLED; the details are
// printed already.
class WorkflowFailed : public CliError {
public:
  explicit WorkflowFailed(const std::string& message) : CliError(message, kExitWorkflowFailed) {}
};

// An exit status whose reasons are printed already (validate's FILE:LINE
// lines): main prints nothing more.
class ExitStatus : public CliError {
public:
  explicit ExitStatus(int code) : CliError("", code) {}
};

// Ctrl-C while following: the message says the workflow keeps running.
class Interrupted : public CliError {
public:
  explicit Interrupted(const std::string& message) : CliError(message, kExitInterrupted) {}
};

} // namespace crmctl
