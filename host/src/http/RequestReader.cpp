// RequestReader: see the header.
#include "http/RequestReader.hpp"

#include <Poco/MemoryStream.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

namespace crm::http {

namespace {

constexpr size_t kMaxChunkLine = 1024; // a chunk size with its extensions
constexpr size_t kMaxTrailerBytes = 8192;
// Poco's MessageHeader refuses more fields, and longer names and values,
// than these (its limits are private constants of 1.11).
constexpr size_t kPocoMaxFields = 100;
constexpr size_t kPocoMaxName = 256;
constexpr size_t kPocoMaxValue = 8192;

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

// A decimal Content-Length; false for anything else (signs, spaces inside, overflow).
bool parse_length(const std::string& text, size_t& out) {
  std::string_view v = text;
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty() || v.size() > 18) return false;
  size_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  out = n;
  return true;
}

// Every value of header `name`, in order.
std::vector<std::string> values_of(const Poco::Net::NameValueCollection& headers, const char* name) {
  std::vector<std::string> out;
  for (const auto& [key, value] : headers)
    if (Poco::icompare(key, name) == 0) out.push_back(value);
  return out;
}

std::string_view next_line(std::string_view head, size_t& pos) {
  size_t nl = head.find('\n', pos);
  if (nl == std::string_view::npos) nl = head.size();
  std::string_view line = head.substr(pos, nl - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = nl + 1;
  return line;
}

// Why the head (request line, fields, the empty line) is not RFC 9112's
// shape, or null when it is: method SP target SP HTTP/d.d on one line, then
// fields each a token, a colon at once, and a value without control bytes
// (no obs-fold continuation lines).
const char* malformed_head(std::string_view head, size_t& fields) {
  fields = 0;
  size_t pos = 0;
  std::string_view line = next_line(head, pos);
  size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos) return "malformed request line";
  for (size_t i = 0; i < sp1; ++i)
    if (!is_tchar(line[i])) return "malformed request line: the method is not a token";
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return "malformed request line";
  std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !std::isdigit(static_cast<unsigned char>(version[5])) ||
      version[6] != '.' || !std::isdigit(static_cast<unsigned char>(version[7])))
    return "malformed request line: expected METHOD TARGET HTTP/1.1";
  while (pos < head.size()) {
    line = next_line(head, pos);
    if (line.empty()) break; // the end of the head
    ++fields;
    if (line.front() == ' ' || line.front() == '\t') return "malformed header: folded lines are not accepted";
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return "malformed header: a field without a name and colon";
    for (size_t i = 0; i < colon; ++i)
      if (!is_tchar(line[i])) return "malformed header: the field name is not a token";
    for (size_t i = colon + 1; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      if ((c < 0x20 && c != '\t') || c == 0x7f) return "malformed header: a control character in a value";
    }
  }
  return nullptr;
}

// A field whose name or value is longer than Poco's parser takes, or null.
const char* oversized_field(std::string_view head) {
  size_t pos = 0;
  next_line(head, pos); // the request line
  while (pos < head.size()) {
    std::string_view line = next_line(head, pos);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon >= kPocoMaxName) return "a header field name is too long";
    if (line.size() - colon - 1 >= kPocoMaxValue) return "a header field value is longer than 8 KiB";
  }
  return nullptr;
}

} // namespace

RequestReader::RequestReader(ReaderLimits limits) : limits_(limits) {}

void RequestReader::reset() {
  status_ = Status::NeedMore;
  phase_ = Phase::Start;
  raw_head_.clear();
  line_start_ = 0;
  request_line_done_ = false;
  head_.clear();
  head_.setMethod(Poco::Net::HTTPRequest::HTTP_GET);
  head_.setURI("/");
  head_.setVersion(Poco::Net::HTTPMessage::HTTP_1_0);
  body_.clear();
  body_expected_ = 0;
  chunk_line_.clear();
  trailer_bytes_ = 0;
  expect_continue_ = false;
  error_status_ = 0;
  error_detail_.clear();
  head_parsed_ = false;
}

void RequestReader::fail(int status, std::string detail) {
  status_ = Status::Failed;
  error_status_ = status;
  error_detail_ = std::move(detail);
}

size_t RequestReader::feed(const char* data, size_t len) {
  size_t used = 0;
  while (used < len && status_ == Status::NeedMore) {
    size_t n = 0;
    switch (phase_) {
    case Phase::Start:
    case Phase::Head: n = feed_head(data + used, len - used); break;
    case Phase::Body: n = feed_body(data + used, len - used); break;
    case Phase::Done: return used;
    default: n = feed_chunked(data + used, len - used); break;
    }
    used += n;
    if (n == 0 && status_ == Status::NeedMore && phase_ != Phase::Done) break;
  }
  return used;
}

size_t RequestReader::feed_head(const char* data, size_t len) {
  size_t used = 0;
  if (phase_ == Phase::Start) {
    // RFC 9112 2.2: empty lines before the request line are ignored.
    while (used < len && (data[used] == '\r' || data[used] == '\n')) ++used;
    if (used == len) return used;
    phase_ = Phase::Head;
  }
  // Copy only up to the header limit: past it the request is refused whatever follows.
  size_t room = limits_.max_header_bytes + 1 - std::min(raw_head_.size(), limits_.max_header_bytes + 1);
  size_t take = std::min(len - used, room);
  size_t before = raw_head_.size();
  raw_head_.append(data + used, take);

  // Look for line ends in the new bytes (and the one before, for a CR LF split across reads).
  size_t pos = line_start_;
  while (true) {
    size_t nl = raw_head_.find('\n', pos);
    if (nl == std::string::npos) break;
    size_t line_len = nl - line_start_;
    if (line_len > 0 && raw_head_[nl - 1] == '\r') --line_len;
    if (!request_line_done_) {
      if (nl + 1 > limits_.max_request_line + 2) {
        fail(414, "the request line is longer than " + std::to_string(limits_.max_request_line) + " bytes");
        return len;
      }
      request_line_done_ = true;
    } else if (line_len == 0) {
      // The end of the head: everything after it belongs to the body or the next request.
      size_t head_end = nl + 1;
      size_t consumed_here = head_end - before;
      raw_head_.resize(head_end);
      if (head_end > limits_.max_header_bytes) {
        fail(431, "the request header is larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
        return len;
      }
      if (!parse_head()) return used + consumed_here;
      return used + consumed_here;
    }
    line_start_ = nl + 1;
    pos = nl + 1;
  }
  if (!request_line_done_ && raw_head_.size() > limits_.max_request_line + 1) {
    fail(414, "the request line is longer than " + std::to_string(limits_.max_request_line) + " bytes");
    return len;
  }
  if (raw_head_.size() > limits_.max_header_bytes) {
    fail(431, "the request header is larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
    return len;
  }
  return used + take;
}

bool RequestReader::parse_head() {
  // Poco's parser is lenient where RFC 9112 is strict (white space inside
  // the request line, before a colon, lines without one), and a proxy in
  // front may frame such a request differently: refuse them here.
  size_t fields = 0;
  if (const char* why = malformed_head(raw_head_, fields)) {
    fail(400, why);
    return false;
  }
  // Poco's own limits on fields, names and values would read as malformed:
  // they are size limits, answered as such.
  if (fields > kPocoMaxFields) {
    fail(431, "more than " + std::to_string(kPocoMaxFields) + " header fields");
    return false;
  }
  if (const char* why = oversized_field(raw_head_)) {
    fail(431, why);
    return false;
  }
  try {
    Poco::MemoryInputStream in(raw_head_.data(), raw_head_.size());
    head_.read(in);
  } catch (const Poco::Exception& e) {
    fail(400, "malformed request: " + e.message());
    return false;
  }
  const std::string& version = head_.getVersion();
  if (version != Poco::Net::HTTPMessage::HTTP_1_1 && version != Poco::Net::HTTPMessage::HTTP_1_0) {
    if (version.rfind("HTTP/", 0) == 0 && version.size() == 8 && std::isdigit(static_cast<unsigned char>(version[5])) &&
        version[6] == '.' && std::isdigit(static_cast<unsigned char>(version[7])))
      fail(505, "only HTTP/1.1 and HTTP/1.0 are served");
    else
      fail(400, "malformed request line: bad HTTP version");
    return false;
  }
  const std::string& uri = head_.getURI();
  if (uri.empty() || (uri[0] != '/' && !(uri == "*" && head_.getMethod() == "OPTIONS") &&
                      uri.rfind("http://", 0) != 0 && uri.rfind("https://", 0) != 0)) {
    fail(400, "malformed request target");
    return false;
  }
  for (char c : uri)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      fail(400, "malformed request target");
      return false;
    }
  head_parsed_ = true; // a well-formed target: refusals from here on can name it
  if (version == Poco::Net::HTTPMessage::HTTP_1_1 && !head_.has("Host")) {
    fail(400, "an HTTP/1.1 request needs a Host header");
    return false;
  }
  if (head_.has("Host")) {
    // One Host only (RFC 9112 3.2).
    if (values_of(head_, "Host").size() > 1) {
      fail(400, "more than one Host header");
      return false;
    }
  }

  bool chunked = false;
  if (head_.has("Transfer-Encoding")) {
    std::string te;
    for (const auto& v : values_of(head_, "Transfer-Encoding")) te += (te.empty() ? "" : ",") + v;
    if (Poco::icompare(Poco::trim(te), "chunked") != 0) {
      fail(501, "only the chunked transfer coding is supported");
      return false;
    }
    if (head_.has("Content-Length")) {
      fail(400, "both Content-Length and Transfer-Encoding");
      return false;
    }
    if (version == Poco::Net::HTTPMessage::HTTP_1_0) {
      fail(400, "Transfer-Encoding in an HTTP/1.0 request");
      return false;
    }
    chunked = true;
  }
  size_t length = 0;
  if (head_.has("Content-Length")) {
    bool first = true;
    for (const auto& v : values_of(head_, "Content-Length")) {
      size_t n = 0;
      if (!parse_length(v, n) || (!first && n != length)) {
        fail(400, "malformed Content-Length");
        return false;
      }
      length = n;
      first = false;
    }
    if (length > limits_.max_body_bytes) {
      fail(413, "the body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
      return false;
    }
  }
  expect_continue_ = head_.has("Expect") && Poco::icompare(head_.get("Expect"), "100-continue") == 0 &&
                     version == Poco::Net::HTTPMessage::HTTP_1_1;

  if (chunked) {
    phase_ = Phase::ChunkSize;
    return true;
  }
  body_expected_ = length;
  if (length == 0) {
    phase_ = Phase::Done;
    status_ = Status::Complete;
    expect_continue_ = false;
  } else {
    body_.reserve(length);
    phase_ = Phase::Body;
  }
  return true;
}

size_t RequestReader::feed_body(const char* data, size_t len) {
  size_t take = std::min(len, body_expected_ - body_.size());
  body_.append(data, take);
  if (body_.size() == body_expected_) {
    phase_ = Phase::Done;
    status_ = Status::Complete;
  }
  return take;
}

size_t RequestReader::feed_chunked(const char* data, size_t len) {
  size_t used = 0;
  while (used < len && status_ == Status::NeedMore) {
    if (phase_ == Phase::ChunkData) {
      size_t take = std::min(len - used, body_expected_);
      body_.append(data + used, take);
      body_expected_ -= take;
      used += take;
      if (body_expected_ == 0) phase_ = Phase::ChunkDataEnd;
      continue;
    }
    // Line-oriented phases: a chunk size, the CRLF after a chunk's data, a trailer line.
    const char* nl = static_cast<const char*>(std::memchr(data + used, '\n', len - used));
    size_t upto = nl ? static_cast<size_t>(nl - (data + used)) : len - used;
    size_t limit = phase_ == Phase::Trailer ? kMaxTrailerBytes : kMaxChunkLine;
    if (chunk_line_.size() + upto > limit) {
      fail(phase_ == Phase::Trailer ? 431 : 400,
           phase_ == Phase::Trailer ? "the trailer section is too large" : "malformed chunk size line");
      return len;
    }
    chunk_line_.append(data + used, upto);
    used += upto;
    if (!nl) break;
    ++used; // the LF
    if (!chunk_line_.empty() && chunk_line_.back() == '\r') chunk_line_.pop_back();
    std::string line;
    line.swap(chunk_line_);

    if (phase_ == Phase::ChunkDataEnd) {
      if (!line.empty()) {
        fail(400, "malformed chunked body: data longer than its chunk size");
        return len;
      }
      phase_ = Phase::ChunkSize;
    } else if (phase_ == Phase::ChunkSize) {
      std::string_view size_text = std::string_view(line).substr(0, line.find(';'));
      while (!size_text.empty() && (size_text.back() == ' ' || size_text.back() == '\t')) size_text.remove_suffix(1);
      if (size_text.empty() || size_text.size() > 15) {
        fail(400, "malformed chunk size line");
        return len;
      }
      size_t size = 0;
      for (char c : size_text) {
        int digit = (c >= '0' && c <= '9') ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
        if (digit < 0) {
          fail(400, "malformed chunk size line");
          return len;
        }
        size = size * 16 + static_cast<size_t>(digit);
      }
      if (size > limits_.max_body_bytes || body_.size() + size > limits_.max_body_bytes) {
        fail(413, "the body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
        return len;
      }
      if (size == 0) {
        phase_ = Phase::Trailer;
      } else {
        body_expected_ = size;
        phase_ = Phase::ChunkData;
      }
    } else { // Trailer: lines until an empty one; their fields are dropped.
      trailer_bytes_ += line.size() + 2;
      if (trailer_bytes_ > kMaxTrailerBytes) {
        fail(431, "the trailer section is too large");
        return len;
      }
      if (line.empty()) {
        head_.erase("Transfer-Encoding");
        head_.setContentLength64(static_cast<Poco::Int64>(body_.size()));
        phase_ = Phase::Done;
        status_ = Status::Complete;
        expect_continue_ = false;
      }
    }
  }
  return used;
}

} // namespace crm::http
