// GET /api/notifications/stream: authenticates the caller, upgrades the
// connection to a WebSocket and hands it to NotificationStreams. A browser
// cannot set headers on a WebSocket, so the access token comes as
// ?access_token=, or as the subprotocol pair "access_token, <token>" (the
// server then answers with the subprotocol "access_token"); other clients may
// send the usual Authorization header.
#include "http/ApiRequestHandler.hpp"
#include "http/RequestInput.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>

namespace crm::http {

namespace {

// The token offered as the subprotocol after "access_token", if any.
std::string token_from_protocols(const std::string& header) {
  std::vector<std::string> offered;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string::npos) comma = header.size();
    offered.push_back(Poco::trim(header.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  for (size_t i = 0; i + 1 < offered.size(); ++i)
    if (offered[i] == "access_token") return offered[i + 1];
  return {};
}

} // namespace

void ApiRequestHandler::open_stream(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                                    std::string_view path, std::string_view query, Reply& reply) {
  reply.operation = "host.notification_stream";
  if (request.getMethod() != "GET") {
    reply.headers.emplace_back("Allow", "GET");
    problem(reply, Problem{405, "", "open the stream with GET and Upgrade: websocket", "", {}}, path);
    return;
  }
  if (!s_.streams) {
    problem(reply, Problem{503, "", "live notifications are not available on this host", "", {}}, path);
    return;
  }

  std::string token;
  for (const auto& [key, value] : parse_query(query))
    if (key == "access_token") token = value;
  bool via_protocol = false;
  if (token.empty()) {
    token = token_from_protocols(request.get("Sec-WebSocket-Protocol", ""));
    via_protocol = !token.empty();
  }
  auto principal = signed_in(token.empty() ? authenticate(request) : s_.tokens->verify(token), path, reply,
                             "a valid access token is required (?access_token=, or the subprotocols access_token, "
                             "<token>)");
  if (!principal) return;
  if (Poco::icompare(request.get("Upgrade", ""), "websocket") != 0) {
    problem(reply, Problem{400, "", "this path speaks WebSocket: send Connection: Upgrade and Upgrade: websocket", "", {}},
            path);
    return;
  }

  if (via_protocol) response.set("Sec-WebSocket-Protocol", "access_token");
  std::optional<Poco::Net::WebSocket> ws;
  try {
    ws.emplace(request, response); // answers 101 Switching Protocols
  } catch (const Poco::Net::WebSocketException& e) {
    response.erase("Sec-WebSocket-Protocol");
    problem(reply, Problem{400, "", std::string("not a WebSocket handshake: ") + e.message(), "", {}}, path);
    return;
  }
  reply.upgraded = true;
  reply.status = 101;
  s_.streams->adopt(std::move(*ws), *principal);
}

} // namespace crm::http
