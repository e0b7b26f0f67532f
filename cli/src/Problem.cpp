// Problem: see the header.
#include "Problem.hpp"

#include "Json.hpp"

namespace crmctl {

std::string reason_phrase(int status) {
  switch (status) {
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 406:
    return "Not Acceptable";
  case 409:
    return "Conflict";
  case 413:
    return "Content Too Large";
  case 415:
    return "Unsupported Media Type";
  case 422:
    return "Unprocessable Content";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return status >= 500 ? "Server Error" : "Error";
  }
}

std::string Problem::headline() const {
  std::string out = title.empty() ? reason_phrase(status) : title;
  if (status > 0) out += " (" + std::to_string(status) + ")";
  if (!detail.empty() && detail != title) out += ": " + detail;
  return out;
}

std::string Problem::render() const {
  std::string out = headline();
  for (const auto& e : errors) out += "\n  " + (e.field.empty() ? std::string("(body)") : e.field) + ": " + e.message;
  for (const auto& [line, message] : line_errors)
    out += "\n  " + (line > 0 ? "line " + std::to_string(line) + ": " : std::string()) + message;
  return out;
}

namespace {

// The first line of a non-JSON body, short enough for one terminal line.
std::string excerpt(std::string_view body) {
  auto start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  body.remove_prefix(start);
  auto end = body.find_first_of("\r\n");
  std::string line(body.substr(0, end));
  if (line.size() > 160) line = line.substr(0, 157) + "...";
  return line;
}

} // namespace

Problem parse_problem(int status, std::string_view body) {
  Problem p;
  p.status = status;
  auto object = json::try_parse_object(body);
  if (!object) {
    p.title = reason_phrase(status);
    p.detail = excerpt(body);
    return p;
  }
  p.title = json::text(*object, "title");
  p.detail = json::text(*object, "detail");
  p.instance = json::text(*object, "instance");
  const std::string s = json::text(*object, "status");
  if (!s.empty() && s.size() <= 3 && s.find_first_not_of("0123456789") == std::string::npos) p.status = std::stoi(s);
  if (p.title.empty() && p.detail.empty()) {
    // JSON but no problem: an error field is a common shape elsewhere.
    p.detail = json::text(*object, "error");
    if (p.detail.empty()) p.detail = json::text(*object, "message");
  }
  for (const auto& e : object->get("errors").items()) {
    if (!e.is_object()) continue;
    if (e.has("line") && !e.has("field")) {
      int n = 0;
      try {
        n = std::stoi(json::text(e, "line"));
      } catch (const std::exception&) {
      }
      p.line_errors.emplace_back(n, json::text(e, "message"));
    } else {
      p.errors.push_back({json::text(e, "field"), json::text(e, "message")});
    }
  }
  return p;
}

} // namespace crmctl
