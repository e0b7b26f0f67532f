// GET /api/notifications/stream: authenticates the caller (the token as
// StreamHandshake finds it), upgrades the connection to a WebSocket and hands
// it to NotificationStreams.
#include "http/ApiRequestHandler.hpp"
#include "http/FrontDoor.hpp"
#include "http/StreamHandshake.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/WebSocket.h>

namespace crm::http {

void ApiRequestHandler::open_stream(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                                    std::string_view path, std::string_view query, Reply& reply) {
  reply.operation = "host.notification_stream";
  if (request.getMethod() != "GET") {
    reply.headers.emplace_back("Allow", "GET");
    problem(reply, core::Problem{405, "", "open the stream with GET and Upgrade: websocket", "", {}}, path);
    return;
  }
  if (!s_.streams) {
    problem(reply, core::Problem{503, "", "live notifications are not available on this host", "", {}}, path);
    return;
  }

  const StreamToken found = stream_token(request, query);
  const std::string& token = found.token;
  const bool via_protocol = found.via_protocol;
  auto principal = signed_in(token.empty() ? authenticate(request) : s_.tokens->verify(token), path, reply,
                             "a valid access token is required (?access_token=, or the subprotocols access_token, "
                             "<token>)");
  if (!principal) return;
  if (!wants_websocket(request)) {
    problem(reply, core::Problem{400, "", "this path speaks WebSocket: send Connection: Upgrade and Upgrade: websocket", "", {}},
            path);
    return;
  }

  // The handshake (RFC 6455 4.2): the front door writes the 101, then hands
  // the socket to NotificationStreams.
  auto* upgradable = dynamic_cast<UpgradableRequest*>(&request);
  if (!upgradable || !is_websocket_handshake(request)) {
    problem(reply,
            core::Problem{400, "", "not a WebSocket handshake: send Connection: Upgrade, Sec-WebSocket-Key and "
                             "Sec-WebSocket-Version: 13", "", {}},
            path);
    return;
  }
  answer_websocket_handshake(request, response, via_protocol);
  reply.upgraded = true;
  reply.status = 101;
  upgradable->upgrade_after_reply([streams = s_.streams, who = *principal](Poco::Net::StreamSocket socket) {
    streams->adopt(Poco::Net::WebSocket(socket), who);
  });
}

} // namespace crm::http
