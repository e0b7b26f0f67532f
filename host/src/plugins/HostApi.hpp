// HostApi: the crm_host_api table handed to every plugin. The functions are
// thin: each checks its arguments, does one thing on the crm_call, and never
// lets an exception escape into plugin code.
#pragma once

#include <crm/plugin_abi.h>

#include <string>
#include <string_view>

namespace crm::plugins {

const crm_host_api* host_api();

// Names the plugin whose init()/shutdown() runs on this thread, so its log
// lines (which carry no call) still say whose they are. nullptr clears it.
void set_current_plugin(const std::string* name);

// True if a plugin may send this statement through sql(): statements that
// change the transaction or the session (BEGIN, SET ROLE, ...) are the host's.
bool statement_allowed(const char* sql);

// "<entity>.<verb>": lower case letters, digits, underscores, at least one dot.
bool valid_event_type(const char* type);

// A log line tagged with the call's plugin, operation and ids (or, without a
// call, with the plugin of set_current_plugin()).
void log_for(crm_call* call, int level, std::string_view message);

// Records why the call fails, unless a cause is recorded already (the first wins).
void record_failure(crm_call* call, crm_status status, std::string message);

} // namespace crm::plugins
