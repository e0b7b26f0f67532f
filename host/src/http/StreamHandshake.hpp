// StreamHandshake: what the live streams' routes share before a stream
// opens (GET /api/notifications/stream, and a plugin's CRM_OP_STREAM route):
// where the caller's token comes from, and the WebSocket handshake's answer.
//
// A browser cannot set headers on a WebSocket (nor on an EventSource), so the
// access token may come as ?access_token=, or as the subprotocol pair
// "access_token, <token>" (the 101 then names the subprotocol
// "access_token"); other clients send the usual Authorization header.
#pragma once

#include <string>
#include <string_view>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
} // namespace Poco::Net

namespace crm::http {

struct StreamToken {
  std::string token;         // empty: none in the query or the subprotocols
  bool via_protocol = false; // it came as the subprotocol pair
};

// The token of ?access_token= (in `query`), else of the subprotocols.
StreamToken stream_token(const Poco::Net::HTTPServerRequest& request, std::string_view query);

// The query without its access_token parameter, so the token is not handed
// to a plugin as input.
std::string query_without_token(std::string_view query);

// A comma-separated header lists `token` (case-insensitive).
bool header_lists(const std::string& header, const char* token);

// The request asks for a WebSocket (Upgrade: websocket).
bool wants_websocket(const Poco::Net::HTTPServerRequest& request);

// The request is a complete WebSocket handshake (RFC 6455 4.2.1).
bool is_websocket_handshake(const Poco::Net::HTTPServerRequest& request);

// Writes the 101 answering a complete handshake.
void answer_websocket_handshake(const Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                                bool via_protocol);

} // namespace crm::http
