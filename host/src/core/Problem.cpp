// Problem: see the header.
#include "core/Problem.hpp"

#include "log/JsonEscape.hpp"

#include <charconv>

namespace crm::core {

std::string_view reason_phrase(int status) {
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Content";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  default: return "Error";
  }
}

int http_status_for(crm_status status) {
  switch (status) {
  case CRM_OK: return 200;
  case CRM_E_INVALID: return 422;
  case CRM_E_NOT_FOUND: return 404;
  case CRM_E_CONFLICT: return 409;
  case CRM_E_FORBIDDEN: return 403;
  case CRM_E_UNAVAILABLE: return 503;
  case CRM_E_INTERNAL: return 500;
  case CRM_E_UNAUTHENTICATED: return 401;
  case CRM_E_RATE_LIMITED: return 429;
  case CRM_E_NO_OPERATION: return 404; // like NOT_FOUND: there is no such thing to call
  }
  return 500; // a status from a newer ABI or a corrupt value
}

std::string Problem::to_json() const {
  std::string out;
  std::size_t estimate = 96 + title.size() + detail.size() + instance.size();
  for (const auto& e : errors) estimate += 32 + e.field.size() + e.message.size();
  out.reserve(estimate);

  out += R"({"type":"about:blank","title":)";
  log::append_json_quoted(out, title.empty() ? reason_phrase(status) : std::string_view(title));
  out += R"(,"status":)";
  char digits[16];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, status);
  (void)ec; // an int always fits
  out.append(digits, end);
  out += R"(,"detail":)";
  log::append_json_quoted(out, detail);
  out += R"(,"instance":)";
  log::append_json_quoted(out, instance);
  if (!errors.empty()) {
    out += R"(,"errors":[)";
    for (std::size_t i = 0; i < errors.size(); ++i) {
      if (i) out.push_back(',');
      out += R"({"field":)";
      log::append_json_quoted(out, errors[i].field);
      out += R"(,"message":)";
      log::append_json_quoted(out, errors[i].message);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

} // namespace crm::core
