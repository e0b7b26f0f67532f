// SagaData: the parts of a saga's vars the engine keeps for itself (see
// EngineParts.hpp): the parallel group under way and the failure being
// compensated. Both live in the instance's row, so a restart finds them.
#include "workflows/EngineParts.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace crm::workflows::engine {

namespace {

Poco::JSON::Object::Ptr parse_vars(const std::string& vars) {
  Poco::JSON::Parser parser;
  auto v = parser.parse(vars.empty() ? "{}" : vars);
  auto o = v.type() == typeid(Poco::JSON::Object::Ptr) ? v.extract<Poco::JSON::Object::Ptr>() : nullptr;
  return o ? o : Poco::JSON::Object::Ptr(new Poco::JSON::Object);
}

std::string text_of(const Poco::JSON::Object::Ptr& o) {
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

} // namespace

GroupProgress group_progress(const std::string& vars) {
  GroupProgress out;
  try {
    auto p = parse_vars(vars)->getObject("parallel");
    if (!p || !p->has("group")) return out;
    out.group = p->getValue<int>("group");
    if (auto done = p->getArray("done"))
      for (size_t i = 0; i < done->size(); ++i) out.done.insert(done->getElement<std::string>(static_cast<unsigned>(i)));
    if (auto attempts = p->getObject("attempts"))
      for (const auto& name : attempts->getNames()) out.attempts[name] = attempts->getValue<int>(name);
    if (p->has("failed")) out.failed = p->getValue<std::string>("failed");
  } catch (const std::exception&) {
    return GroupProgress{};
  }
  return out;
}

std::string with_group_progress(const std::string& vars, const GroupProgress& progress) {
  auto o = parse_vars(vars);
  if (progress.group < 0) {
    o->remove("parallel");
    return text_of(o);
  }
  Poco::JSON::Object::Ptr p(new Poco::JSON::Object);
  p->set("group", progress.group);
  Poco::JSON::Array::Ptr done(new Poco::JSON::Array);
  for (const auto& name : progress.done) done->add(name);
  p->set("done", done);
  Poco::JSON::Object::Ptr attempts(new Poco::JSON::Object);
  for (const auto& [name, n] : progress.attempts) attempts->set(name, n);
  p->set("attempts", attempts);
  if (!progress.failed.empty()) p->set("failed", progress.failed);
  o->set("parallel", p);
  return text_of(o);
}

std::string with_failure(const std::string& vars, const std::string& step, const std::string& status,
                         const std::string& message) {
  auto o = parse_vars(vars);
  Poco::JSON::Object::Ptr f(new Poco::JSON::Object);
  f->set("step", step);
  f->set("status", status);
  f->set("message", message);
  o->set("failure", f);
  return text_of(o);
}

} // namespace crm::workflows::engine
