// HttpServer: see the header.
#include "http/HttpServer.hpp"

#include "http/ApiRequestHandler.hpp"
#include "http/BufferedExchange.hpp"
#include "core/Problem.hpp"

namespace crm::http {

HttpServer::HttpServer(ServerConfig config, HttpServices& services)
    : services_(services),
      door_(
          std::move(config),
          [this](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
            ApiRequestHandler handler(services_);
            handler.handleRequest(request, response);
          },
          [this](int status, const std::string& detail, const Poco::Net::HTTPRequest* head, int retry_after_s) {
            return error_reply(status, detail, head, retry_after_s);
          }) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  door_.start();
  running_ = true;
}

void HttpServer::stop() {
  if (!running_) return;
  running_ = false;
  door_.stop();
}

unsigned short HttpServer::port() const { return door_.port(); }

std::string HttpServer::error_reply(int status, const std::string& detail, const Poco::Net::HTTPRequest* head,
                                    int retry_after_s) const {
  static const Poco::Net::HTTPRequest no_request;
  const Poco::Net::HTTPRequest& request = head ? *head : no_request;
  BufferedResponse response;
  response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status),
                              std::string(core::reason_phrase(status)));
  response.set("X-Request-Id", ResponsePolicy::request_id(request.get("X-Request-Id", "")));
  if (retry_after_s > 0) response.set("Retry-After", std::to_string(retry_after_s));
  if (services_.policy) services_.policy->apply(request, response, true);
  response.setContentType(std::string(core::Problem::kContentType));
  std::string path = request.getURI().substr(0, request.getURI().find('?'));
  std::string body = core::Problem{status, "", detail, head ? path : std::string(), {}}.to_json();
  response.sendBuffer(body.data(), body.size());
  // 503 for a full queue keeps the connection; every other refusal closes it.
  return response.serialize(false, status == 503, false);
}

} // namespace crm::http
