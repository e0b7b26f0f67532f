// DerivedIds: ids derived from names instead of drawn at random,
// so that every host, and a plugin asking in advance, arrives at the same one
// (the workflow engine and the plugin API share them).
#pragma once

#include <string>

namespace crm::core {

// A name-based UUID (version 5): the same name always gives the same id.
std::string derived_uuid(const std::string& name);

// The id of the instance `workflow` gets when the event `event_id` triggers
// it: an event delivered twice finds the instance it started the first time,
// and an operation emitting the event can name the instance beforehand.
std::string trigger_instance_id(const std::string& workflow, const std::string& event_id);

} // namespace crm::core
