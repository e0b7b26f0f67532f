// Tests of log/Log: the helpers build messages with their fields and do
// nothing when the level is off.
#include "log/Log.hpp"

#include "log/JsonFormatter.hpp"

#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <vector>

namespace {

// Keeps what it is given, for inspection.
class CapturingChannel : public Poco::Channel {
public:
  void log(const Poco::Message& m) override { messages.push_back(m); }
  std::vector<Poco::Message> messages;
};

Poco::AutoPtr<CapturingChannel> capture(const std::string& logger, int level) {
  Poco::AutoPtr<CapturingChannel> channel(new CapturingChannel);
  Poco::Logger::get(logger).setChannel(channel);
  Poco::Logger::get(logger).setLevel(level);
  return channel;
}

} // namespace

TEST_CASE("a helper logs the message with its non-empty fields", "[log]") {
  auto channel = capture("logtest.fields", Poco::Message::PRIO_DEBUG);
  crm::log::info("logtest.fields", "customer created",
                 {{"request_id", "r-1"}, {"plugin", "customer"}, {"trace_id", ""}, {"custom", "c"}});
  REQUIRE(channel->messages.size() == 1);
  const Poco::Message& m = channel->messages[0];
  CHECK(m.getSource() == "logtest.fields");
  CHECK(m.getText() == "customer created");
  CHECK(m.getPriority() == Poco::Message::PRIO_INFORMATION);
  CHECK(m.get("request_id") == "r-1");
  CHECK(m.get("custom") == "c");
  CHECK_FALSE(m.has("trace_id"));
  CHECK(m.get(crm::log::JsonFormatter::kFieldsParam) == "request_id,plugin,custom");
}

TEST_CASE("each helper logs at its own priority", "[log]") {
  auto channel = capture("logtest.levels", Poco::Message::PRIO_TRACE);
  crm::log::debug("logtest.levels", "d");
  crm::log::info("logtest.levels", "i");
  crm::log::warn("logtest.levels", "w");
  crm::log::error("logtest.levels", "e");
  crm::log::write("fatal", "logtest.levels", "f");
  crm::log::write("nonsense", "logtest.levels", "n");
  REQUIRE(channel->messages.size() == 6);
  CHECK(channel->messages[0].getPriority() == Poco::Message::PRIO_DEBUG);
  CHECK(channel->messages[1].getPriority() == Poco::Message::PRIO_INFORMATION);
  CHECK(channel->messages[2].getPriority() == Poco::Message::PRIO_WARNING);
  CHECK(channel->messages[3].getPriority() == Poco::Message::PRIO_ERROR);
  CHECK(channel->messages[4].getPriority() == Poco::Message::PRIO_FATAL);
  CHECK(channel->messages[5].getPriority() == Poco::Message::PRIO_INFORMATION);
}

TEST_CASE("messages below the logger's level are not built", "[log]") {
  auto channel = capture("logtest.quiet", Poco::Message::PRIO_WARNING);
  crm::log::debug("logtest.quiet", "hidden");
  crm::log::info("logtest.quiet", "hidden");
  crm::log::warn("logtest.quiet", "shown");
  CHECK(channel->messages.size() == 1);
  CHECK_FALSE(crm::log::enabled("logtest.quiet", Poco::Message::PRIO_INFORMATION));
  CHECK(crm::log::enabled("logtest.quiet", Poco::Message::PRIO_ERROR));
}

TEST_CASE("level names parse case-insensitively and unknown ones are refused", "[log]") {
  CHECK(crm::log::priority_of("debug") == Poco::Message::PRIO_DEBUG);
  CHECK(crm::log::priority_of("INFO") == Poco::Message::PRIO_INFORMATION);
  CHECK(crm::log::priority_of("warn") == Poco::Message::PRIO_WARNING);
  CHECK(crm::log::priority_of("warning") == Poco::Message::PRIO_WARNING);
  CHECK(crm::log::priority_of("error") == Poco::Message::PRIO_ERROR);
  CHECK(crm::log::priority_of("off") == 0);
  CHECK_THROWS_AS(crm::log::priority_of("verbose"), std::invalid_argument);
  CHECK_THROWS_AS(crm::log::setup("loud"), std::invalid_argument);
}
