// ApprovalHost: a crm-host with the auth, customer and opportunity plugins
// and the shipped workflows/deal_approval.lua (as shipped, or with edits),
// plus what the Approval*Test files share: calling as a user, customers,
// approval requests, waiting for the workflow to route them, their history,
// the events the plugin emitted and the workflow instances.
#pragma once

#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace itest {

// The shipped workflows/deal_approval.lua with each `from` replaced by its
// `to` (each must occur exactly once, so an edit of the script that moves a
// number breaks the test loudly rather than testing nothing).
inline std::string deal_approval_source(const std::vector<std::pair<std::string, std::string>>& edits = {}) {
  std::ifstream in(std::filesystem::path(CRM_SOURCE_DIR) / "workflows" / "deal_approval.lua");
  std::stringstream text;
  text << in.rdbuf();
  std::string source = text.str();
  REQUIRE(!source.empty());
  for (const auto& [from, to] : edits) {
    const size_t at = source.find(from);
    INFO("deal_approval.lua should contain exactly one '" << from << "'");
    REQUIRE(at != std::string::npos);
    REQUIRE(source.find(from, at + 1) == std::string::npos);
    source.replace(at, from.size(), to);
  }
  return source;
}

struct ApprovalHostOptions {
  // Plugins copied from build/plugins, in this order.
  std::vector<std::string> plugins{"auth", "customer", "opportunity"};
  // The deal_approval.lua the host starts with (empty: none).
  std::string workflow = deal_approval_source();
};

class ApprovalHost {
public:
  explicit ApprovalHost(const ApprovalHostOptions& options = {}) : auth_(host_options(options)) {
    if (!options.workflow.empty()) wait_until_live();
  }

  AuthHost& auth() { return auth_; }
  const Account& admin() const { return auth_.admin(); }
  Sql sql() { return auth_.host().sql(); }

  Response as(const Account& who, const std::string& method, const std::string& path, const std::string& body = "") {
    Headers h{{"Authorization", bearer(who.access_token)}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return auth_.http().request(method, path, body, h);
  }

  // A customer owned by `owner`; returns its id.
  std::string create_customer(const Account& owner, const std::string& name) {
    auto r = as(owner, "POST", "/api/customers", "{\"name\":\"" + name + "\"}");
    INFO("POST /api/customers -> " << r.status << " " << r.body);
    REQUIRE(r.status == 201);
    return text_of(r.json(), "id");
  }

  static std::string request_body(const std::string& customer_id, const std::string& amount,
                                  const std::string& title = "Framework deal") {
    return "{\"customerId\":\"" + customer_id + "\",\"title\":\"" + title + "\",\"amount\":" + amount + "}";
  }

  // POST /api/approvals as `requester`; requires 201; returns the approval.
  Poco::JSON::Object::Ptr request(const Account& requester, const std::string& customer_id, const std::string& amount,
                                  const std::string& title = "Framework deal") {
    auto r = as(requester, "POST", "/api/approvals", request_body(customer_id, amount, title));
    INFO("POST /api/approvals -> " << r.status << " " << r.body);
    REQUIRE(r.status == 201);
    return r.json();
  }

  // GET /api/approvals/{id} as `who`; requires 200.
  Poco::JSON::Object::Ptr approval(const Account& who, const std::string& id) {
    auto r = as(who, "GET", "/api/approvals/" + id);
    INFO("GET /api/approvals/" << id << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return r.json();
  }

  // Waits until the workflow has given approval `id` to `approver` at
  // `level`; returns the approval as the ADMIN sees it.
  Poco::JSON::Object::Ptr wait_for_approver(const std::string& id, const std::string& approver, int level,
                                            std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    Poco::JSON::Object::Ptr last;
    const bool reached = eventually(
        [&] {
          last = approval(admin(), id);
          return text_of(last, "currentApproverId") == approver && last->getValue<int>("level") == level;
        },
        timeout, std::chrono::milliseconds(100));
    INFO("approval " << id << " should reach approver " << approver << " at level " << level
                     << "; last seen: " << (last ? json_of(*last) : std::string("never")) << "\n"
                     << auth_.host().process().log_tail(30));
    REQUIRE(reached);
    return last;
  }

  // The history as "ACTION level approverId [previousApproverId]" lines, for
  // comparing whole sequences in one CHECK.
  static std::vector<std::string> history_of(const Poco::JSON::Object::Ptr& approval) {
    std::vector<std::string> lines;
    auto history = approval->getArray("history");
    REQUIRE(history);
    for (size_t i = 0; i < history->size(); ++i) {
      auto h = history->getObject(static_cast<unsigned>(i));
      std::string line = text_of(h, "action") + " " + std::to_string(h->getValue<int>("level"));
      if (!text_of(h, "approverId").empty()) line += " " + text_of(h, "approverId");
      if (!text_of(h, "previousApproverId").empty()) line += " after " + text_of(h, "previousApproverId");
      lines.push_back(line);
    }
    return lines;
  }

  // How many events of `type` the plugin emitted about approval `id`.
  long long events(const std::string& type, const std::string& id) {
    return sql().count("select count(*) from opportunity.crm_outbox where type = $1 and subject = $2", {type, id});
  }
  // The data of the only event of `type` about approval `id`.
  Poco::JSON::Object::Ptr event_data(const std::string& type, const std::string& id) {
    auto rows =
        sql().query("select data::text from opportunity.crm_outbox where type = $1 and subject = $2", {type, id});
    INFO("events " << type << " of " << id);
    REQUIRE(rows.size() == 1);
    Poco::JSON::Parser parser;
    return parser.parse(*rows[0][0]).extract<Poco::JSON::Object::Ptr>();
  }

  // The deal_approval instance routing approval `id`: {status, state, version};
  // empty strings until it exists.
  struct Instance {
    std::string status, state, version;
  };
  Instance instance_for(const std::string& id) {
    auto rows = sql().query("select status, coalesce(state, ''), version::text from platform.workflow_instances "
                            "where name = 'deal_approval' and vars ->> 'id' = $1",
                            {id});
    if (rows.size() != 1) return {};
    return {*rows[0][0], *rows[0][1], *rows[0][2]};
  }
  // Waits for that instance to be in `status` (and `state`, unless empty).
  Instance wait_for_instance(const std::string& id, const std::string& status, const std::string& state = "") {
    Instance last;
    const bool reached = eventually(
        [&] {
          last = instance_for(id);
          return last.status == status && (state.empty() || last.state == state);
        },
        std::chrono::seconds(20), std::chrono::milliseconds(100));
    INFO("deal_approval for " << id << ": " << last.status << " in " << last.state << "\n"
                              << auth_.host().process().log_tail(30));
    REQUIRE(reached);
    return last;
  }

  // PUT /api/workflows/deal_approval; requires 200; returns the new version.
  std::string deploy(const std::string& source) {
    auto r = auth_.http().request("PUT", "/api/workflows/deal_approval", source,
                                  {{"Authorization", bearer(admin().access_token)}, {"Content-Type", "text/x-lua"}});
    INFO("PUT /api/workflows/deal_approval -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return text_of(r.json(), "version");
  }

private:
  static AuthHostOptions host_options(const ApprovalHostOptions& options) {
    AuthHostOptions out;
    const fs::path plugins = make_temp_dir("crm-approvals-plugins-");
    for (const auto& name : options.plugins) copy_shipped_plugin(name, plugins);
    const fs::path workflows = make_temp_dir("crm-approvals-workflows-");
    if (!options.workflow.empty()) std::ofstream(workflows / "deal_approval.lua") << options.workflow;
    out.env["CRM_PLUGINS_DIR"] = plugins.string();
    out.env["CRM_WORKFLOWS_DIR"] = workflows.string();
    out.env["CRM_WORKFLOWS_POLL_MS"] = "100";
    return out;
  }

  void wait_until_live() {
    std::optional<Response> last;
    const bool live = eventually(
        [&] {
          last = auth_.get("/api/workflows/deal_approval", admin().access_token);
          return last->status == 200 && text_of(last->json(), "status") == "LIVE";
        },
        std::chrono::seconds(15));
    INFO("GET /api/workflows/deal_approval: " << (last ? last->body : std::string("never")));
    REQUIRE(live);
  }

  AuthHost auth_;
};

} // namespace itest
