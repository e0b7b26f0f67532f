// GET /api/notifications/stream: authenticates the caller, upgrades the
// connection to a WebSocket and hands it to NotificationStreams. A browser
// cannot set headers on a WebSocket, so the access token comes as
// ?access_token=, or as the subprotocol pair "access_token, <token>" (the
// server then answers with the subprotocol "access_token"); other clients may
// send the usual Authorization header.
#include "http/ApiRequestHandler.hpp"
#include "http/RequestInput.hpp"

#include "http/FrontDoor.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/SHA1Engine.h>
#include <Poco/String.h>

#include <sstream>

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

// A comma-separated header lists `token` (case-insensitive).
bool has_token(const std::string& header, const char* token) {
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string::npos) comma = header.size();
    if (Poco::icompare(Poco::trim(header.substr(pos, comma - pos)), token) == 0) return true;
    pos = comma + 1;
  }
  return false;
}

std::string accept_key(const std::string& key) {
  Poco::SHA1Engine sha1;
  sha1.update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  const auto& digest = sha1.digest();
  std::ostringstream out;
  Poco::Base64Encoder base64(out);
  base64.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
  base64.close();
  return out.str();
}

} // namespace

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
    problem(reply, core::Problem{400, "", "this path speaks WebSocket: send Connection: Upgrade and Upgrade: websocket", "", {}},
            path);
    return;
  }

  // The handshake (RFC 6455 4.2): the front door writes the 101, then hands
  // the socket to NotificationStreams.
  auto* upgradable = dynamic_cast<UpgradableRequest*>(&request);
  const std::string key = request.get("Sec-WebSocket-Key", "");
  if (!upgradable || !has_token(request.get("Connection", ""), "upgrade") ||
      request.get("Sec-WebSocket-Version", "") != "13" || key.empty()) {
    problem(reply,
            core::Problem{400, "", "not a WebSocket handshake: send Connection: Upgrade, Sec-WebSocket-Key and "
                             "Sec-WebSocket-Version: 13", "", {}},
            path);
    return;
  }
  response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SWITCHING_PROTOCOLS);
  response.set("Upgrade", "websocket");
  response.set("Connection", "Upgrade");
  response.set("Sec-WebSocket-Accept", accept_key(key));
  if (via_protocol) response.set("Sec-WebSocket-Protocol", "access_token");
  response.setContentLength(0);
  response.send();
  reply.upgraded = true;
  reply.status = 101;
  upgradable->upgrade_after_reply([streams = s_.streams, who = *principal](Poco::Net::StreamSocket socket) {
    streams->adopt(Poco::Net::WebSocket(socket), who);
  });
}

} // namespace crm::http
