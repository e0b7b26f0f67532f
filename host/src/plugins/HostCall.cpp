// HostCall: see the header.
#include "plugins/HostCall.hpp"

#include <Poco/JSON/Parser.h>

namespace crm::plugins {

Poco::JSON::Object::Ptr HostCall::input_object() const {
  if (parsed && parsed->type() == typeid(Poco::JSON::Object::Ptr)) return parsed->extract<Poco::JSON::Object::Ptr>();
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(std::string(input.empty() ? std::string_view("{}") : input));
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
  }
  return new Poco::JSON::Object;
}

std::string HostCall::text(const std::string& key) const {
  auto o = input_object();
  if (!o->has(key) || o->isNull(key)) return {};
  return o->get(key).isString() ? o->getValue<std::string>(key) : o->get(key).toString();
}

} // namespace crm::plugins
