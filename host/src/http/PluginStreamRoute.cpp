// A plugin's CRM_OP_STREAM route (plugin_abi.h): answers the opening of a
// live stream, then hands the socket to PluginStreams.
//
// The stream is a WebSocket (Upgrade: websocket) or Server-Sent Events
// (Accept: text/event-stream); a GET asking for neither is 406. The caller is
// authenticated as for any route, or with the token as StreamHandshake finds
// it (a browser's EventSource and WebSocket cannot set headers). The handler
// runs as the caller with the path's and query's parameters and "after" (SSE's
// Last-Event-ID, or ?after=): its failure is answered as usual and nothing
// opens.
#include "http/ApiRequestHandler.hpp"
#include "http/FrontDoor.hpp"
#include "http/PluginStreams.hpp"
#include "http/RequestInput.hpp"
#include "http/StreamHandshake.hpp"
#include "log/Log.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace crm::http {

namespace {

bool accepts_event_stream(const Poco::Net::HTTPServerRequest& request) {
  return request.get("Accept", "").find("text/event-stream") != std::string::npos;
}

} // namespace

void ApiRequestHandler::open_plugin_stream(Poco::Net::HTTPServerRequest& request,
                                           Poco::Net::HTTPServerResponse& response, std::string_view path,
                                           std::string_view query, const plugins::Operation& op,
                                           const Params& path_params, const std::string& request_id, Reply& reply) {
  const bool websocket = wants_websocket(request);
  if (!websocket && !accepts_event_stream(request)) {
    problem(reply,
            core::Problem{406,
                          "",
                          "this route opens a live stream: ask for a WebSocket (Upgrade: websocket) or for "
                          "Server-Sent Events (Accept: text/event-stream)",
                          "",
                          {}},
            path);
    return;
  }
  if (!s_.plugin_streams) {
    problem(reply, core::Problem{503, "", "live streams are not available on this host", "", {}}, path);
    return;
  }

  // Who calls: the stream's own token forms first, else as any route.
  const StreamToken found = stream_token(request, query);
  std::optional<security::Principal> authenticated;
  const security::Principal* principal = nullptr;
  if (!found.token.empty()) {
    authenticated = signed_in(s_.tokens->verify(found.token), path, reply,
                              "a valid access token is required (Authorization, ?access_token=, or the "
                              "subprotocols access_token, <token>)");
    if (!authenticated) return;
    principal = &*authenticated;
  } else {
    principal = caller_of(request, op, path, authenticated, reply);
    if (!principal) return;
  }
  const std::string client_ip = request.clientAddress().host().toString();
  if (!within_rate(op, client_ip, *principal, path, reply)) return;

  auto* upgradable = dynamic_cast<UpgradableRequest*>(&request);
  if (!upgradable) { // a listener other than the front door cannot hand its socket over
    problem(reply, core::Problem{503, "", "live streams are not served by this listener", "", {}}, path);
    return;
  }
  if (websocket && !is_websocket_handshake(request)) {
    problem(reply,
            core::Problem{400,
                          "",
                          "not a WebSocket handshake: send Connection: Upgrade, Sec-WebSocket-Key and "
                          "Sec-WebSocket-Version: 13",
                          "",
                          {}},
            path);
    return;
  }

  // "after": SSE's Last-Event-ID (what an EventSource sends when it
  // reconnects) wins over ?after=.
  Params params;
  std::string after_text = request.get("Last-Event-ID", "");
  for (auto& [key, value] : parse_query(query_without_token(query))) {
    if (key == "after") {
      if (after_text.empty()) after_text = value;
    } else {
      params.emplace_back(key, value);
    }
  }
  bool after_valid = true;
  const std::optional<long long> after = parse_after(after_text, after_valid);
  if (!after_valid) {
    problem(
        reply,
        core::Problem{422,
                      "",
                      "the input is not valid",
                      "",
                      {core::FieldError{"after", "must be a frame id: an integer >= 0 (Last-Event-ID or ?after=)"}}},
        path);
    return;
  }
  InputResult input = build_input({}, params, path_params);
  if (input.problem) {
    problem(reply, std::move(*input.problem), path);
    return;
  }
  if (!s_.plugin_streams->has_room(principal->id)) {
    reply.headers.emplace_back("Retry-After", "5");
    problem(reply, core::Problem{429, "", "too many open streams; close one first", "", {}}, path);
    return;
  }

  PluginStreams::Caller caller{&op, *principal, std::move(input.json), client_ip, std::string(path), request_id};
  auto opening = s_.plugin_streams->begin_opening();
  plugins::Outcome outcome = s_.plugin_streams->call(caller, after);
  if (outcome.status != CRM_OK) {
    answer(request, std::move(outcome), path, reply);
    return;
  }
  std::string why;
  auto first = parse_stream_reply(outcome.body, why);
  if (!first) {
    log::error("http", "a stream handler's reply is not a stream's: " + why, {{"operation", op.name}});
    problem(reply, core::Problem{500, "", "the stream's handler failed", "", {}}, path);
    return;
  }
  bool fresh = false;
  if (!first->done && !s_.plugin_streams->follow(first->follow->types, fresh)) {
    reply.headers.emplace_back("Retry-After", "5");
    problem(reply,
            core::Problem{503, "", "live events are not available now (the event bus is down); try again", "", {}},
            path);
    return;
  }

  auto adopt = [streams = s_.plugin_streams,
                kind = websocket ? PluginStreams::Kind::WebSocket : PluginStreams::Kind::EventStream,
                caller = std::move(caller), first = std::move(*first), after, opening = std::move(opening),
                fresh](Poco::Net::StreamSocket socket) mutable {
    streams->adopt(std::move(socket), kind, std::move(caller), std::move(first), after, std::move(opening), fresh);
  };
  reply.upgraded = true;
  if (websocket) {
    answer_websocket_handshake(request, response, found.via_protocol);
    reply.status = 101;
    upgradable->upgrade_after_reply(std::move(adopt));
    return;
  }
  s_.policy->apply(request, response, false);
  response.set("X-Request-Id", request_id);
  response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
  response.setContentType("text/event-stream; charset=utf-8");
  response.set("Cache-Control", "no-store");
  response.set("X-Accel-Buffering", "no"); // a proxy must pass each event on at once
  response.set("Transfer-Encoding", "chunked");
  response.send();
  reply.status = 200;
  upgradable->stream_after_reply(std::move(adopt));
}

} // namespace crm::http
