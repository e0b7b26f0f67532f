// Tests of log/JsonFormatter: one JSON object per message, with the level,
// logger, time and the message's extra fields.
#include "log/JsonFormatter.hpp"

#include <Poco/DateTime.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Message.h>
#include <Poco/Timezone.h>

#include <catch2/catch.hpp>

#include <regex>

using crm::log::JsonFormatter;

namespace {

std::string formatted(const Poco::Message& m) {
  JsonFormatter f;
  std::string text;
  f.format(m, text);
  return text;
}

Poco::JSON::Object::Ptr parsed(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

TEST_CASE("a message becomes one JSON object with time, level, logger and message", "[json-formatter]") {
  Poco::Message m("invoker", "committed \"ok\"\nnext", Poco::Message::PRIO_INFORMATION);
  m.setTime(Poco::DateTime(2026, 11, 23, 9, 18, 12, 123, 456).timestamp());
  const std::string text = formatted(m);
  CHECK(text.find('\n') == std::string::npos);
  CHECK(text.rfind(R"({"time":"2026-11-23T09:18:12.123Z","level":"info","logger":"invoker",)", 0) == 0);
  auto doc = parsed(text);
  CHECK(doc->getValue<std::string>("message") == "committed \"ok\"\nnext");
  CHECK(doc->size() == 4);
}

TEST_CASE("the time is RFC 3339 UTC with milliseconds, also for the current time", "[json-formatter]") {
  Poco::Message m("x", "y", Poco::Message::PRIO_INFORMATION);
  const std::string time = parsed(formatted(m))->getValue<std::string>("time");
  CHECK(std::regex_match(time, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")));
  // Milliseconds are zero-padded.
  m.setTime(Poco::DateTime(2026, 1, 2, 3, 4, 5, 7).timestamp());
  CHECK(parsed(formatted(m))->getValue<std::string>("time") == "2026-01-02T03:04:05.007Z");
}

TEST_CASE("Poco priorities map to the five level names", "[json-formatter]") {
  using P = Poco::Message;
  CHECK(JsonFormatter::level_name(P::PRIO_TRACE) == "debug");
  CHECK(JsonFormatter::level_name(P::PRIO_DEBUG) == "debug");
  CHECK(JsonFormatter::level_name(P::PRIO_INFORMATION) == "info");
  CHECK(JsonFormatter::level_name(P::PRIO_NOTICE) == "info");
  CHECK(JsonFormatter::level_name(P::PRIO_WARNING) == "warn");
  CHECK(JsonFormatter::level_name(P::PRIO_ERROR) == "error");
  CHECK(JsonFormatter::level_name(P::PRIO_CRITICAL) == "fatal");
  CHECK(JsonFormatter::level_name(P::PRIO_FATAL) == "fatal");
  Poco::Message m("x", "y", P::PRIO_WARNING);
  CHECK(parsed(formatted(m))->getValue<std::string>("level") == "warn");
}

TEST_CASE("well-known parameters of a plain Poco message become fields", "[json-formatter]") {
  Poco::Message m("http", "request", Poco::Message::PRIO_INFORMATION);
  m.set("request_id", "r-1");
  m.set("trace_id", "t-1");
  m.set("plugin", "customer");
  m.set("operation", "customer.get");
  m.set("event_id", "e-1");
  m.set("instance_id", "i-1");
  m.set("not_listed", "x"); // unknown names cannot be enumerated without @fields
  auto doc = parsed(formatted(m));
  CHECK(doc->getValue<std::string>("request_id") == "r-1");
  CHECK(doc->getValue<std::string>("trace_id") == "t-1");
  CHECK(doc->getValue<std::string>("plugin") == "customer");
  CHECK(doc->getValue<std::string>("operation") == "customer.get");
  CHECK(doc->getValue<std::string>("event_id") == "e-1");
  CHECK(doc->getValue<std::string>("instance_id") == "i-1");
  CHECK_FALSE(doc->has("not_listed"));
}

TEST_CASE("the @fields parameter names exactly the fields written, in order", "[json-formatter]") {
  Poco::Message m("x", "y", Poco::Message::PRIO_INFORMATION);
  m.set("zeta", "1");
  m.set("alpha", "2");
  m.set("request_id", "r");
  m.set(JsonFormatter::kFieldsParam, "zeta,alpha,absent");
  const std::string text = formatted(m);
  CHECK(text.find(R"("zeta":"1","alpha":"2"})") != std::string::npos);
  CHECK(text.find("request_id") == std::string::npos);
  CHECK(text.find("@fields") == std::string::npos);
}

TEST_CASE("a field may not overwrite the fixed keys", "[json-formatter]") {
  Poco::Message m("real", "text", Poco::Message::PRIO_INFORMATION);
  m.set("logger", "fake");
  m.set("message", "fake");
  m.set(JsonFormatter::kFieldsParam, "logger,message");
  auto doc = parsed(formatted(m));
  CHECK(doc->getValue<std::string>("logger") == "real");
  CHECK(doc->getValue<std::string>("message") == "text");
}

TEST_CASE("field values with quotes and invalid UTF-8 still give valid JSON", "[json-formatter]") {
  Poco::Message m("x", "bad \xFF", Poco::Message::PRIO_ERROR);
  m.set("error", "say \"hi\"\t\\");
  auto doc = parsed(formatted(m));
  CHECK(doc->getValue<std::string>("error") == "say \"hi\"\t\\");
  CHECK(doc->getValue<std::string>("message") == "bad \xEF\xBF\xBD");
}

TEST_CASE("format appends to the text it is given", "[json-formatter]") {
  JsonFormatter f;
  std::string text = "prefix ";
  f.format(Poco::Message("x", "y", Poco::Message::PRIO_INFORMATION), text);
  CHECK(text.rfind("prefix {", 0) == 0);
}
