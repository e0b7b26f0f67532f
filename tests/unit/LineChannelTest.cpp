// Tests of log/LineChannel: whole lines, never interleaved across threads.
#include "log/LineChannel.hpp"

#include "log/JsonFormatter.hpp"

#include <Poco/JSON/Parser.h>
#include <Poco/Message.h>
#include <Poco/TemporaryFile.h>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <fstream>
#include <thread>
#include <unistd.h>
#include <vector>

using crm::log::JsonFormatter;
using crm::log::LineChannel;

TEST_CASE("lines written from many threads arrive whole, one JSON object each", "[line-channel]") {
  Poco::TemporaryFile file;
  const int fd = ::open(file.path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  {
    Poco::AutoPtr<LineChannel> channel(new LineChannel(Poco::AutoPtr<Poco::Formatter>(new JsonFormatter), fd));
    const std::string long_text(10000, 'x'); // longer than PIPE_BUF: one write() is not atomic by itself
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&channel, &long_text, t] {
        for (int i = 0; i < 200; ++i) {
          Poco::Message m("t" + std::to_string(t), i % 10 == 0 ? long_text : "short", Poco::Message::PRIO_INFORMATION);
          channel->log(m);
        }
      });
    for (auto& t : threads) t.join();
  }
  ::close(fd);

  std::ifstream in(file.path());
  int count = 0;
  Poco::JSON::Parser parser;
  for (std::string line; std::getline(in, line); ++count) {
    INFO("line " << count);
    REQUIRE_NOTHROW(parser.parse(line));
    parser.reset();
  }
  CHECK(count == 800);
}

TEST_CASE("a line that cannot be written is dropped without an exception", "[line-channel]") {
  LineChannel channel(Poco::AutoPtr<Poco::Formatter>(new JsonFormatter), -1);
  CHECK_NOTHROW(channel.log(Poco::Message("x", "y", Poco::Message::PRIO_INFORMATION)));
}
