// RequestReader: one HTTP/1.1 request (RFC 9112) read from bytes as they
// arrive, with no socket and no thread: the front door feeds it whatever a
// read returned and asks whether the request is complete. It enforces the
// size limits as the bytes come (a request line too long is 414, a header
// block too large 431, a body over the cap 413, before any of it is kept),
// decodes chunked bodies, and leaves the bytes of a pipelined next request
// unconsumed. The request line and headers are parsed by Poco's HTTPRequest
// on the buffered head. Not thread-safe: one reader per connection.
#pragma once

#include <Poco/Net/HTTPRequest.h>

#include <cstddef>
#include <string>

namespace crm::http {

struct ReaderLimits {
  size_t max_request_line = 8192;   // 414 past it
  size_t max_header_bytes = 16384;  // request line and headers; 431 past it
  size_t max_body_bytes = 1 << 20;  // decoded body; 413 past it
};

class RequestReader {
public:
  enum class Status { NeedMore, Complete, Failed };

  explicit RequestReader(ReaderLimits limits = {});

  // Consumes bytes of the current request from [data, data + len) and returns
  // how many it took: all of them while the request is incomplete, fewer when
  // the request ends inside them (the rest belongs to the next request), none
  // once Complete or Failed.
  size_t feed(const char* data, size_t len);

  Status status() const { return status_; }
  // The request line and headers are in (the body may still be coming).
  bool head_complete() const { return phase_ >= Phase::Body; }
  // The request line and headers were parsed and the target is well formed,
  // even if the request was refused afterwards (a 413 from Content-Length):
  // head() can name the request in the refusal.
  bool head_parsed() const { return head_parsed_; }
  // Head complete with `Expect: 100-continue` and a body still to come: the
  // client waits for "100 Continue" before sending it.
  bool expects_continue() const { return expect_continue_ && status_ == Status::NeedMore && phase_ >= Phase::Body; }
  // Nothing of a request has arrived yet (empty lines before it do not count).
  bool idle() const { return phase_ == Phase::Start; }
  // Bytes of body received so far (decoded), for the minimum-rate check.
  size_t body_received() const { return body_.size(); }

  // Failed: the status to answer (400, 413, 414, 431, 501 or 505) and why.
  int error_status() const { return error_status_; }
  const std::string& error_detail() const { return error_detail_; }

  // Complete (or head complete): the method, URI, version and headers. A
  // chunked body, once decoded, is described by Content-Length instead of
  // Transfer-Encoding.
  Poco::Net::HTTPRequest& head() { return head_; }
  const Poco::Net::HTTPRequest& head() const { return head_; }
  // Complete: the decoded body.
  std::string& body() { return body_; }

  // Ready for the next request on the same connection.
  void reset();

private:
  enum class Phase { Start, Head, Body, ChunkSize, ChunkData, ChunkDataEnd, Trailer, Done };

  size_t feed_head(const char* data, size_t len);
  size_t feed_body(const char* data, size_t len);
  size_t feed_chunked(const char* data, size_t len);
  bool parse_head();
  void fail(int status, std::string detail);

  ReaderLimits limits_;
  Status status_ = Status::NeedMore;
  Phase phase_ = Phase::Start;
  std::string raw_head_;   // request line and headers as received
  size_t line_start_ = 0;  // where the line being searched for its end begins
  bool request_line_done_ = false;
  bool head_parsed_ = false;
  Poco::Net::HTTPRequest head_;
  std::string body_;
  size_t body_expected_ = 0; // Content-Length, or the current chunk's size
  std::string chunk_line_;   // a chunk-size or trailer line being read
  size_t trailer_bytes_ = 0;
  bool expect_continue_ = false;
  int error_status_ = 0;
  std::string error_detail_;
};

} // namespace crm::http
