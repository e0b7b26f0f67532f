// Operation and PluginInstance: what the host knows of a loaded plugin. Both
// live as long as the host (plugins are never unloaded), so the hot path can
// hold plain pointers to them.
#pragma once

#include "core/SchemaValidator.hpp"
#include "plugins/HostCall.hpp"
#include "plugins/Roles.hpp"
#include "storage/ConnectionPool.hpp"

#include <crm/plugin_abi.h>

#include <Poco/SharedLibrary.h>

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace crm::plugins {

struct PluginInstance;

struct Operation {
  std::string name;
  Roles roles;
  std::string http_method; // empty: no REST route
  std::string http_path;
  std::string input_schema_text;
  std::optional<core::SchemaValidator> input_schema;
  crm_handler handler = nullptr;
  int http_status = 200;
  bool read_only = false; // CRM_OP_READ_ONLY
  unsigned flags = 0;     // CRM_OP_*
  std::string rate_class = "api";
  std::string summary;
  PluginInstance* plugin = nullptr;
  // Set for the host's own operations (the `platform` part): run in-process
  // instead of `handler`, outside any plugin's schema and transaction.
  HostHandler host_handler;
  // The body is handed to the handler as it came (a workflow's Lua source)
  // instead of being parsed into the input.
  bool raw_body = false;
};

struct Subscription {
  std::string event_type;
  std::string operation;
};

struct Schedule {
  std::string every;
  std::string operation;
};

struct Migration {
  unsigned version = 0;
  std::string sql;
};

struct PluginInstance {
  std::string name;
  std::string version;
  std::string description;
  std::string file;      // the .so it came from
  uint32_t abi = 0;      // the ABI it was built against
  std::string schema;    // == name
  std::string db_role;   // e.g. crm_plugin_customer
  std::string conninfo;  // its database (the platform's unless configured)
  std::string config_json;
  std::unique_ptr<Poco::SharedLibrary> library;
  crm_plugin_def def{};  // copied, zero-filled past the plugin's struct_size
  void* state = nullptr;
  std::unique_ptr<storage::ConnectionPool> pool;
  std::vector<std::unique_ptr<Operation>> operations;
  std::vector<Subscription> subscriptions;
  std::vector<Schedule> schedules;
  std::vector<Migration> migrations;
  // The event types it declares (crm_plugin_def.emits, ABI 1.4). A plugin
  // that declares nothing (emits NULL, or older than 1.4) may emit any type
  // quietly; one that declares is warned about each other type, once.
  bool declares_emits = false;
  std::set<std::string> emits;
  std::mutex undeclared_mutex;
  std::set<std::string> undeclared_warned;
};

} // namespace crm::plugins
