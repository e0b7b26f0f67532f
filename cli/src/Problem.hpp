// Problem: an RFC 9457 problem+json answer of the host, read leniently (a
// proxy's HTML 502 still becomes a problem with its status), and its rendering
// for a terminal: "Title (status): detail" then one "  field: message" per
// field error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crmctl {

struct FieldError {
  std::string field;
  std::string message;
};

struct Problem {
  int status = 0;
  std::string title;
  std::string detail;
  std::string instance;
  std::vector<FieldError> errors;
  // Workflow validation answers errors[{line, message}]: kept with the line.
  std::vector<std::pair<int, std::string>> line_errors;

  // "Conflict (409): a user with this email exists"; the title alone when
  // there is no detail, the status's reason phrase when there is no title.
  std::string headline() const;
  // The headline, then "  field: message" lines (and "  line N: message").
  std::string render() const;
};

// Parses `body` (problem+json or any JSON with title/detail); anything else
// gives a problem with the reason phrase and the start of the text as detail.
Problem parse_problem(int status, std::string_view body);

// "Not Found" for 404 and so on.
std::string reason_phrase(int status);

} // namespace crmctl
