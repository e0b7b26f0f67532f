// Tests of log/JsonEscape: JSON string escaping that always yields valid JSON.
#include "log/JsonEscape.hpp"

#include <catch2/catch.hpp>

using crm::log::append_json_escaped;
using crm::log::append_json_quoted;

namespace {
std::string escaped(std::string_view s) {
  std::string out;
  append_json_escaped(out, s);
  return out;
}
} // namespace

TEST_CASE("plain ASCII is copied unchanged", "[json-escape]") {
  CHECK(escaped("hello, world / 42") == "hello, world / 42");
  CHECK(escaped("") == "");
}

TEST_CASE("quotes, backslashes and every control character are escaped", "[json-escape]") {
  CHECK(escaped("\"\\") == "\\\"\\\\");
  CHECK(escaped("\n\r\t\b\f") == "\\n\\r\\t\\b\\f");
  CHECK(escaped(std::string("\0\x1f", 2)) == "\\u0000\\u001f");
  CHECK(escaped("\x7f") == "\x7f"); // DEL is legal in JSON strings
}

TEST_CASE("well-formed UTF-8 of every length passes through", "[json-escape]") {
  const std::string s = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF";
  CHECK(escaped(s) == s);
}

TEST_CASE("each ill-formed UTF-8 byte becomes U+FFFD", "[json-escape]") {
  CHECK(escaped("\x80") == "\\ufffd");                        // stray continuation
  CHECK(escaped("a\xE2\x82") == "a\\ufffd\\ufffd");           // truncated at the end
  CHECK(escaped("\xE0\x80\x80") == "\\ufffd\\ufffd\\ufffd");  // overlong
  CHECK(escaped("\xF4\x90\x80\x80") == "\\ufffd\\ufffd\\ufffd\\ufffd"); // beyond U+10FFFF
  CHECK(escaped("\xC3\xA9\xFEx") == "\xC3\xA9\\ufffdx");
}

TEST_CASE("quoted form wraps the escaped text and appends to what is there", "[json-escape]") {
  std::string out = "x=";
  append_json_quoted(out, "a\"b");
  CHECK(out == "x=\"a\\\"b\"");
}
