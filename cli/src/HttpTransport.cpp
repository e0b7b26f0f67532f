// HttpTransport: see the header.
#include "HttpTransport.hpp"

#include "Errors.hpp"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/Timespan.h>

#include <cstdio>

namespace crmctl {

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (Poco::icompare(k, name) == 0) return v;
  return {};
}

std::string normalise_server(const std::string& url) {
  std::string text = url;
  while (!text.empty() && (text.back() == '/' || text.back() == ' ')) text.pop_back();
  if (text.empty()) throw UsageError("the server URL is empty");
  if (text.find("://") == std::string::npos) text = "http://" + text;
  Poco::URI uri;
  try {
    uri = Poco::URI(text);
  } catch (const Poco::Exception& e) {
    throw UsageError("not a server URL: " + url + " (" + e.message() + ")");
  }
  if (uri.getScheme() == "https")
    throw UsageError("https is not supported by this crmctl build: use http://, e.g. through an SSH tunnel (" + url +
                     ")");
  if (uri.getScheme() != "http" || uri.getHost().empty())
    throw UsageError("not an http server URL: " + url + " (expected http://host:port)");
  if (!uri.getQuery().empty() || !uri.getFragment().empty())
    throw UsageError("a server URL has no query or fragment: " + url);
  return text;
}

namespace {

std::string seconds_text(std::chrono::milliseconds t) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g s", static_cast<double>(t.count()) / 1000.0);
  return buffer;
}

} // namespace

HttpTransport::HttpTransport(const std::string& server, std::chrono::milliseconds timeout)
    : server_(normalise_server(server)), uri_(server_), timeout_(timeout) {}

HttpResponse HttpTransport::send(const std::string& method, const std::string& target, const std::string& body,
                                 const std::string& content_type, const Headers& headers) {
  // A kept-alive connection the server has closed meanwhile fails on first
  // use: that (and only that) is retried once on a fresh connection.
  const bool reused = used_;
  try {
    try {
      return exchange(method, target, body, content_type, headers);
    } catch (const Poco::Net::NoMessageException&) {
      if (!reused) throw;
    } catch (const Poco::Net::ConnectionResetException&) {
      if (!reused) throw;
    } catch (const Poco::Net::ConnectionAbortedException&) {
      if (!reused) throw;
    }
    session_.reset();
    return exchange(method, target, body, content_type, headers);
  } catch (const Poco::TimeoutException&) {
    session_.reset();
    throw UnreachableError("no answer from " + server_ + " within " + seconds_text(timeout_) + " (" + method + " " +
                           target + ")");
  } catch (const Poco::Net::ConnectionRefusedException&) {
    session_.reset();
    throw UnreachableError("cannot reach " + server_ + ": connection refused (is crm-host running?)");
  } catch (const Poco::Net::HostNotFoundException&) {
    session_.reset();
    throw UnreachableError("cannot reach " + server_ + ": unknown host " + uri_.getHost());
  } catch (const Poco::Exception& e) {
    session_.reset();
    throw UnreachableError("cannot reach " + server_ + ": " + e.displayText());
  } catch (const std::ios_base::failure& e) {
    session_.reset();
    throw UnreachableError("cannot reach " + server_ + ": " + e.what());
  }
}

HttpResponse HttpTransport::exchange(const std::string& method, const std::string& target, const std::string& body,
                                     const std::string& content_type, const Headers& headers) {
  if (!session_) {
    session_ = std::make_unique<Poco::Net::HTTPClientSession>(uri_.getHost(), uri_.getPort());
    const Poco::Timespan t(static_cast<Poco::Timespan::TimeDiff>(timeout_.count()) * 1000);
    session_->setTimeout(t, t, t);
    session_->setKeepAlive(true);
    used_ = false;
  }
  std::string path = uri_.getPath();
  while (!path.empty() && path.back() == '/') path.pop_back();
  Poco::Net::HTTPRequest request(method, path + target, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setKeepAlive(true);
  request.set("User-Agent", "crmctl");
  request.set("Accept", "application/json, application/problem+json");
  for (const auto& [k, v] : headers) request.set(k, v);
  const bool has_body = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (has_body) {
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    if (!content_type.empty()) request.setContentType(content_type);
  }
  used_ = true;
  std::ostream& out = session_->sendRequest(request);
  if (has_body) out << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session_->receiveResponse(response);
  HttpResponse r;
  r.status = static_cast<int>(response.getStatus());
  r.content_type = response.getContentType();
  for (const auto& [k, v] : response) r.headers.emplace_back(k, v);
  Poco::StreamCopier::copyToString(in, r.body);
  if (!response.getKeepAlive()) session_.reset();
  return r;
}

} // namespace crmctl
