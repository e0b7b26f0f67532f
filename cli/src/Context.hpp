// Context: what every command of one crmctl run shares: the global options
// (-o, --no-headers, --server, --timeout) and, built on first use, the API
// client and the printer. Commands that never touch the server (completion,
// help) never read the credentials file or open a socket.
#pragma once

#include "ApiClient.hpp"
#include "Output.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace crmctl {

struct GlobalOptions {
  std::string output = "table";
  bool no_headers = false;
  std::string server;
  double timeout_seconds = 30;
};

class Context {
public:
  GlobalOptions options;

  ApiClient& api() {
    if (!api_)
      api_.emplace(options.server, std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000.0)));
    return *api_;
  }

  Printer& out() {
    if (!printer_) printer_.emplace(parse_format(options.output), !options.no_headers);
    return *printer_;
  }

private:
  std::optional<ApiClient> api_;
  std::optional<Printer> printer_;
};

} // namespace crmctl
