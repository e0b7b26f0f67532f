// StreamHandshake: see the header.
#include "http/StreamHandshake.hpp"

#include "http/RequestInput.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/SHA1Engine.h>
#include <Poco/String.h>

#include <sstream>
#include <vector>

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

StreamToken stream_token(const Poco::Net::HTTPServerRequest& request, std::string_view query) {
  StreamToken out;
  for (const auto& [key, value] : parse_query(query))
    if (key == "access_token") out.token = value;
  if (out.token.empty()) {
    out.token = token_from_protocols(request.get("Sec-WebSocket-Protocol", ""));
    out.via_protocol = !out.token.empty();
  }
  return out;
}

std::string query_without_token(std::string_view query) {
  std::string out;
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(pos, amp - pos);
    if (!part.empty() && part.substr(0, part.find('=')) != "access_token") {
      if (!out.empty()) out += '&';
      out += part;
    }
    pos = amp + 1;
  }
  return out;
}

bool header_lists(const std::string& header, const char* token) {
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string::npos) comma = header.size();
    if (Poco::icompare(Poco::trim(header.substr(pos, comma - pos)), token) == 0) return true;
    pos = comma + 1;
  }
  return false;
}

bool wants_websocket(const Poco::Net::HTTPServerRequest& request) {
  return Poco::icompare(request.get("Upgrade", ""), "websocket") == 0;
}

bool is_websocket_handshake(const Poco::Net::HTTPServerRequest& request) {
  return header_lists(request.get("Connection", ""), "upgrade") && request.get("Sec-WebSocket-Version", "") == "13" &&
         !request.get("Sec-WebSocket-Key", "").empty();
}

void answer_websocket_handshake(const Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                                bool via_protocol) {
  response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SWITCHING_PROTOCOLS);
  response.set("Upgrade", "websocket");
  response.set("Connection", "Upgrade");
  response.set("Sec-WebSocket-Accept", accept_key(request.get("Sec-WebSocket-Key", "")));
  if (via_protocol) response.set("Sec-WebSocket-Protocol", "access_token");
  response.setContentLength(0);
  response.send();
}

} // namespace crm::http
