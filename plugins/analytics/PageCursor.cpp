// PageCursor: see the header. The text is base64url("<id>|<at>").
#include "PageCursor.hpp"

#include "InputRules.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>

#include <algorithm>
#include <sstream>

namespace analytics {

namespace {

// "2026-01-31T09:30:00.123456Z": what cursor_time() prints, nothing else.
bool is_cursor_time(std::string_view s) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  if (s.size() != kShape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (kShape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != kShape[i]) return false;
  }
  return true;
}

} // namespace

std::string encode_cursor(const PagePosition& p) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder << p.id << '|' << p.at;
  encoder.close();
  return out.str();
}

std::optional<PagePosition> cursor_of(const crm::Input& in) {
  const auto text = in.text("cursor");
  if (!text || text->empty()) return std::nullopt;
  std::string plain;
  try {
    std::istringstream source(*text);
    Poco::Base64Decoder decoder(source, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    plain.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
  } catch (const Poco::Exception&) {
    plain.clear();
  }
  if (plain.size() < 38 || plain[36] != '|' || !is_uuid(std::string_view(plain).substr(0, 36)) ||
      !is_cursor_time(std::string_view(plain).substr(37)))
    throw crm::invalid("cursor", "is not a cursor from this list");
  return PagePosition{plain.substr(37), plain.substr(0, 36)};
}

void reply_page(crm::Call& call, const crm::Rows& rows, std::int64_t limit) {
  const size_t shown = std::min(rows.size(), static_cast<size_t>(limit));
  std::string items = "[";
  for (size_t i = 0; i < shown; ++i) {
    if (i) items.push_back(',');
    items += *rows.at(i, 0);
  }
  items.push_back(']');
  std::optional<std::string> next;
  if (rows.size() > shown)
    next = encode_cursor(PagePosition{std::string(*rows.at(shown - 1, 1)), std::string(*rows.at(shown - 1, 2))});
  call.reply(crm::JsonObject().raw("items", items).field("nextCursor", next).str());
}

} // namespace analytics
