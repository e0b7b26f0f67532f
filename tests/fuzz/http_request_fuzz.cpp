// http_request_fuzz: a libFuzzer target for what a client's bytes reach before
// any plugin does: the RequestReader (fed in pieces whose sizes come from the
// input, as reads off a socket would), then, for each complete request, the
// Router (a table of routes shaped like the shipped plugins'), the query
// parser and the JSON body path (build_input, and the syntax checker behind
// its 400s).
//
// Input layout: byte 0 = n (0-7) piece sizes follow in bytes 1..n (0 means
// 1); the rest is the byte stream of a connection, possibly several
// pipelined requests. Besides crashes and sanitizer reports it traps on
// broken promises: a reader that takes more than it was given, a status it
// should never answer, a body over the cap, or a different outcome when the
// same bytes arrive whole instead of in pieces.
#include "core/JsonSyntax.hpp"
#include "http/RequestInput.hpp"
#include "http/RequestReader.hpp"
#include "core/Router.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using crm::http::ReaderLimits;
using crm::http::RequestReader;
using crm::core::Router;

// Small limits, so inputs of a few KiB reach every one of them.
ReaderLimits fuzz_limits() {
  ReaderLimits limits;
  limits.max_request_line = 512;
  limits.max_header_bytes = 2048;
  limits.max_body_bytes = 4096;
  return limits;
}

const Router<int>& sample_routes() {
  static const Router<int> routes = [] {
    Router<int> r;
    const char* table[][2] = {
        {"GET", "/health/live"},
        {"GET", "/api/customers"},
        {"POST", "/api/customers"},
        {"GET", "/api/customers/stats"},
        {"GET", "/api/customers/{id}"},
        {"PATCH", "/api/customers/{id}"},
        {"DELETE", "/api/customers/{id}"},
        {"PUT", "/api/customers/{id}/investment-profile"},
        {"GET", "/api/users/{userId}/tasks/{taskId}"},
        {"POST", "/api/sagas/reassignment"},
        {"GET", "/api/reports/{kind}/{period}/{owner}"},
        {"OPTIONS", "/api/fixture/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}"},
    };
    int target = 0;
    for (const auto& [method, path] : table) r.add(method, path, target++, nullptr);
    return r;
  }();
  return routes;
}

[[noreturn]] void broken_promise() { __builtin_trap(); }

struct Outcome {
  RequestReader::Status status;
  int error = 0;
  std::string method, uri, body;
  size_t consumed = 0;
  bool operator!=(const Outcome& o) const {
    return status != o.status || error != o.error || method != o.method || uri != o.uri || body != o.body ||
           consumed != o.consumed;
  }
};

// Reads one request from `stream`, in pieces of the given sizes (none: whole).
Outcome read_one(RequestReader& reader, std::string_view stream, const std::vector<size_t>& pieces) {
  Outcome o{};
  size_t at = 0, turn = 0;
  while (at < stream.size() && reader.status() == RequestReader::Status::NeedMore) {
    size_t want = pieces.empty() ? stream.size() - at : pieces[turn++ % pieces.size()];
    if (want > stream.size() - at) want = stream.size() - at;
    const size_t took = reader.feed(stream.data() + at, want);
    if (took > want) broken_promise();
    at += took;
    if (took < want && reader.status() == RequestReader::Status::NeedMore) broken_promise();
  }
  o.status = reader.status();
  o.consumed = at;
  if (o.status == RequestReader::Status::Failed) {
    o.error = reader.error_status();
    switch (o.error) {
    case 400: case 413: case 414: case 431: case 501: case 505: break;
    default: broken_promise();
    }
    o.consumed = 0; // the connection is closed: how much was taken does not matter
  } else if (o.status == RequestReader::Status::Complete) {
    o.method = reader.head().getMethod();
    o.uri = reader.head().getURI();
    o.body = reader.body();
    if (o.body.size() > fuzz_limits().max_body_bytes) broken_promise();
  }
  return o;
}

// What the front door does with a complete request before a plugin sees it.
void route_and_parse(const Outcome& request) {
  std::string_view uri = request.uri;
  const size_t q = uri.find('?');
  const std::string_view path = uri.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : uri.substr(q + 1);
  auto match = sample_routes().match(request.method, path);
  crm::http::Params path_params;
  for (const auto& p : match.params) path_params.emplace_back(std::string(p.name), p.value);
  auto input = crm::http::build_input(request.body, crm::http::parse_query(query), path_params);
  crm::core::JsonSyntaxError where;
  const bool valid = crm::core::check_json_syntax(request.body, &where);
  (void)valid;
  (void)input;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t n = data[0] % 8;
  if (size < 1 + n) return 0;
  std::vector<size_t> pieces;
  for (size_t i = 0; i < n; ++i) pieces.push_back(data[1 + i] == 0 ? 1 : data[1 + i]);
  std::string_view stream(reinterpret_cast<const char*>(data + 1 + n), size - 1 - n);

  RequestReader in_pieces(fuzz_limits()), whole(fuzz_limits());
  // At most 8 pipelined requests per input, so one input stays quick.
  for (int request = 0; request < 8 && !stream.empty(); ++request) {
    const Outcome a = read_one(in_pieces, stream, pieces);
    const Outcome b = read_one(whole, stream, {});
    if (a != b) broken_promise();
    if (a.status != RequestReader::Status::Complete) break;
    route_and_parse(a);
    stream.remove_prefix(a.consumed);
    in_pieces.reset();
    whole.reset();
  }
  return 0;
}
