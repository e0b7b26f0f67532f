// Problem: an HTTP error as RFC 9457 problem details
// (application/problem+json), the one shape every error of the API takes, and
// the mapping from a plugin's crm_status to the HTTP status it becomes.
#pragma once

#include <crm/plugin_abi.h>

#include <string>
#include <string_view>
#include <vector>

namespace crm::core {

// One rejected input field: {"field": "address.city", "message": "is required"}.
struct FieldError {
  std::string field;
  std::string message;
};

struct Problem {
  static constexpr std::string_view kContentType = "application/problem+json";

  int status = 500;
  std::string title;    // empty: the standard reason phrase of `status`
  std::string detail;   // what went wrong this time, safe to show the caller
  std::string instance; // the request path, or a URI naming this occurrence
  std::vector<FieldError> errors;

  // {"type":"about:blank","title":...,"status":...,"detail":...,"instance":...,
  //  "errors":[{"field":...,"message":...}]}; "errors" only when there are some.
  std::string to_json() const;
};

// The reason phrase for the statuses the API uses ("Unprocessable Content"),
// "Error" for any other.
std::string_view reason_phrase(int status);

// OK 200, INVALID 422, NOT_FOUND 404, CONFLICT 409, FORBIDDEN 403,
// UNAVAILABLE 503, UNAUTHENTICATED 401, RATE_LIMITED 429, NO_OPERATION 404,
// INTERNAL and anything unknown 500.
int http_status_for(crm_status status);

} // namespace crm::core
