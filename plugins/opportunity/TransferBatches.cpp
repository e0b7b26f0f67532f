// TransferBatches: see the header.
#include "TransferBatches.hpp"

#include "InputRules.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <typeinfo>

namespace opportunity {

std::vector<std::optional<std::string>> id_batches(const crm::Input& in, const std::string& key,
                                                   bool absent_means_all) {
  if (!in.has(key)) {
    if (absent_means_all) return {std::nullopt};
    throw crm::invalid(key, "is required");
  }
  const auto value = in.object().get(key);
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto object = value.extract<Poco::JSON::Object::Ptr>();
    if (object && object->size() == 0) return {};
  }
  auto array = in.object().getArray(key);
  if (!array) throw crm::invalid(key, "must be an array of UUIDs");
  std::vector<std::optional<std::string>> out;
  std::vector<std::string> batch;
  for (size_t i = 0; i < array->size(); ++i) {
    auto v = array->get(static_cast<unsigned>(i));
    if (!v.isString() || !is_uuid(v.toString())) throw crm::invalid(key, "must be an array of UUIDs");
    batch.push_back(lower_ascii(v.toString()));
    if (batch.size() == kBatch) out.emplace_back(uuid_array(batch)), batch.clear();
  }
  if (!batch.empty()) out.emplace_back(uuid_array(batch));
  return out;
}

} // namespace opportunity
