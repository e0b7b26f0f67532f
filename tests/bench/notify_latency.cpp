// notify_latency: the time from a request for approval to the approver's
// notification on the live stream, as a user sees it. Holds the approver's
// WebSocket open, then, one at a time, POSTs /api/approvals as the requester
// and waits for the APPROVAL_ASSIGNED notification naming that approval.
// Prints count, p50, p90, p99 and max in ms. Used by scripts/bench/reports.
//
//   notify_latency PORT REQUESTER_TOKEN APPROVER_TOKEN CUSTOMER_ID [COUNT]
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;
using Poco::Net::WebSocket;

namespace {

std::string post_approval(Poco::Net::HTTPClientSession& http, const std::string& token, const std::string& customer,
                          int i) {
  const std::string body = R"({"customerId":")" + customer + R"(","title":"Bench deal )" + std::to_string(i) +
                           R"(","amount":)" + std::to_string(1000 + i) + "}";
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/api/approvals", Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentType("application/json");
  request.set("Authorization", "Bearer " + token);
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  http.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::string reply;
  Poco::StreamCopier::copyToString(http.receiveResponse(response), reply);
  if (response.getStatus() != 201) throw std::runtime_error("POST /api/approvals answered " + std::to_string(response.getStatus()) + ": " + reply);
  Poco::JSON::Parser parser;
  return parser.parse(reply).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("id");
}

// The next text frame, answering pings; throws on timeout or close.
Poco::JSON::Object::Ptr next_frame(WebSocket& ws) {
  static char buffer[65536];
  for (;;) {
    int flags = 0;
    int n = ws.receiveFrame(buffer, sizeof buffer, flags);
    const int op = flags & WebSocket::FRAME_OP_BITMASK;
    if ((n == 0 && flags == 0) || op == WebSocket::FRAME_OP_CLOSE) throw std::runtime_error("the stream closed");
    if (op == WebSocket::FRAME_OP_PING) {
      ws.sendFrame(buffer, n, int(WebSocket::FRAME_FLAG_FIN) | int(WebSocket::FRAME_OP_PONG));
      continue;
    }
    if (op != WebSocket::FRAME_OP_TEXT) continue;
    Poco::JSON::Parser parser;
    return parser.parse(std::string(buffer, static_cast<size_t>(n))).extract<Poco::JSON::Object::Ptr>();
  }
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: notify_latency PORT REQUESTER_TOKEN APPROVER_TOKEN CUSTOMER_ID [COUNT]\n";
    return 1;
  }
  const int port = std::stoi(argv[1]);
  const std::string requester = argv[2], approver = argv[3], customer = argv[4];
  const int count = argc > 5 ? std::stoi(argv[5]) : 200;
  try {
    Poco::Net::HTTPClientSession stream_session("127.0.0.1", static_cast<Poco::UInt16>(port));
    Poco::Net::HTTPRequest upgrade(Poco::Net::HTTPRequest::HTTP_GET, "/api/notifications/stream?access_token=" + approver,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse upgraded;
    WebSocket ws(stream_session, upgrade, upgraded);
    ws.setReceiveTimeout(Poco::Timespan(10, 0));
    if (next_frame(ws)->optValue<std::string>("type", "") != "ready") throw std::runtime_error("no ready frame");

    Poco::Net::HTTPClientSession http("127.0.0.1", static_cast<Poco::UInt16>(port));
    http.setKeepAlive(true);
    std::vector<double> ms;
    for (int i = 0; i < count; ++i) {
      const auto started = Clock::now();
      const std::string id = post_approval(http, requester, customer, i);
      for (;;) {
        auto frame = next_frame(ws);
        auto data = frame->getObject("data");
        if (data && data->optValue<std::string>("resourceId", "") == id) break;
      }
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    }
    std::printf("approval.requested -> approver's notification on the stream: %d requests, p50 %.1f ms, p90 %.1f ms, "
                "p99 %.1f ms, max %.1f ms\n",
                count, quantile(ms, 0.5), quantile(ms, 0.9), quantile(ms, 0.99), quantile(ms, 1.0));
  } catch (const std::exception& e) {
    std::cerr << "notify_latency: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
