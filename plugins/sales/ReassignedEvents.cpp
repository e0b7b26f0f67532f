// ReassignedEvents: see the header.
#include "ReassignedEvents.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>
#include <vector>

namespace sales {

MovedBatch moved_batch(const crm::Rows& rows) {
  MovedBatch batch;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (batch.count++) batch.ids.push_back(','), batch.versions.push_back(',');
    crm::append_json_string(batch.ids, *rows.at(i, 0));
    batch.versions.append(*rows.at(i, 1));
  }
  batch.ids.push_back(']');
  batch.versions.push_back(']');
  return batch;
}

void announce_reassigned(crm::Call& call, const char* kind, const std::string& from, const std::string& to,
                         const MovedBatch& batch, const std::optional<std::string>& transfer) {
  if (batch.count == 0) return;
  crm::JsonObject data;
  data.field("fromUserId", from).field("toUserId", to).raw("ids", batch.ids).raw("versions", batch.versions);
  if (transfer) data.field("transfer", *transfer);
  call.emit(std::string(kind) + ".reassigned", from, data.str());
}

void announce_reassigned_groups(crm::Call& call, const std::string& groups) {
  Poco::JSON::Parser parser;
  const auto array = parser.parse(groups).extract<Poco::JSON::Array::Ptr>();
  for (size_t i = 0; i < array->size(); ++i) {
    const auto group = array->getObject(static_cast<unsigned>(i));
    const auto data = group->getObject("data");
    std::ostringstream text;
    data->stringify(text);
    call.emit(group->getValue<std::string>("kind") + ".reassigned", data->getValue<std::string>("fromUserId"),
              text.str());
  }
}

} // namespace sales
