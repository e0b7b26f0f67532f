// The email plugin's MIME message (plugins/email/MimeMessage.cpp): read back
// with Poco's own parser, as a receiving program would.
#include "email/MimeMessage.hpp"

#include <Poco/Net/MailMessage.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/PartHandler.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>

#include <sstream>
#include <vector>

namespace {

struct Part {
  std::string content_type;
  std::string body;
};

// Collects each part with its content type, decoded.
class Parts : public Poco::Net::PartHandler {
public:
  void handlePart(const Poco::Net::MessageHeader& header, std::istream& stream) override {
    std::string body;
    Poco::StreamCopier::copyToString(stream, body);
    parts.push_back({header.get("Content-Type", ""), body});
  }
  std::vector<Part> parts;
};

const email::Envelope kEnvelope{"CRM <crm@example.com>", "ada@example.com", "0f8fad5b-d9cb-469f-a165-70867728950e",
                                "7c9e6679-7425-40de-944b-e07fc1f90ae7"};

} // namespace

TEST_CASE("an e-mail is multipart/alternative with the text part first and the HTML part last", "[email][unit]") {
  const email::RenderedMail mail{"Price alert: ACME", "plain words\r\n", "<p>html words</p>\r\n"};
  const std::string wire = email::message_text(*email::build_message(kEnvelope, mail));
  CHECK(wire.find("Content-Type: multipart/alternative") != std::string::npos);

  std::istringstream in(wire);
  Poco::Net::MailMessage read;
  Parts parts;
  read.read(in, parts);
  CHECK(read.getSubject() == "Price alert: ACME");
  CHECK(read.getSender() == "CRM <crm@example.com>");
  CHECK(read.get("To") == "<ada@example.com>");
  CHECK(read.get("Message-ID") ==
        "<0f8fad5b-d9cb-469f-a165-70867728950e.7c9e6679-7425-40de-944b-e07fc1f90ae7@example.com>");
  REQUIRE(parts.parts.size() == 2);
  CHECK(parts.parts[0].content_type.rfind("text/plain", 0) == 0);
  CHECK(parts.parts[0].body == "plain words\r\n");
  CHECK(parts.parts[1].content_type.rfind("text/html", 0) == 0);
  CHECK(parts.parts[1].body == "<p>html words</p>\r\n");
}

TEST_CASE("the Message-ID depends only on what the e-mail is about and whom it is for", "[email][unit]") {
  email::Envelope other = kEnvelope;
  CHECK(email::message_id_for(other) == email::message_id_for(kEnvelope));
  other.user_id = "11111111-1111-4111-8111-111111111111";
  CHECK(email::message_id_for(other) != email::message_id_for(kEnvelope));
  other.from = "no-domain";
  CHECK(email::message_id_for(other).find("@localhost>") != std::string::npos);
}

TEST_CASE("a subject with line breaks cannot add a header, and non-ASCII subjects are encoded", "[email][unit]") {
  const email::RenderedMail evil{"Hi\r\nBcc: victim@example.com", "t", "h"};
  const std::string wire = email::message_text(*email::build_message(kEnvelope, evil));
  CHECK(wire.find("\r\nBcc:") == std::string::npos);

  const email::RenderedMail accented{"Prix élevé", "t", "h"};
  const std::string encoded = email::message_text(*email::build_message(kEnvelope, accented));
  CHECK(encoded.find("Subject: =?UTF-8?") != std::string::npos);
}
