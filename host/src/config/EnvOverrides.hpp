// EnvOverrides: the last layers of configuration. Environment variables
// CRM_<KEY> override keys of the configuration file, secrets are read from the
// files that *_file keys name, and describe() shows the result with every
// secret masked, for the start-up log line.
#pragma once

#include <Poco/Util/AbstractConfiguration.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace crm::config {

// For every key k present in `config` (system.* and application.* aside, they
// are Poco's own), the variable CRM_ + k upper-cased with every character
// other than a letter or digit turned into '_' (http.port -> CRM_HTTP_PORT)
// replaces its value when set in `env`, even to "". Variables naming no key are
// not applied: plugin.<name>.<rest> keys cannot be told apart from the
// variable's name alone. They are returned, so the caller can warn about typos.
//
// Then, for every key ending in "_file" with a non-empty value whose key
// without the suffix is named like a password, secret, token or key list,
// the file's contents (trailing CR/LF removed) become that key's value
// (db.password_file -> db.password). Other *_file keys (nats.tls_ca_file, nats.credentials_file)
// are paths, left for their users to open. Throws Poco::FileException naming
// the key and path (never contents) when the file cannot be read, and
// Poco::InvalidArgumentException when both the key and its _file are set.
std::vector<std::string> apply_env_overrides(Poco::Util::AbstractConfiguration& config,
                                             const std::map<std::string, std::string>& env);

// The process environment's CRM_* variables.
std::map<std::string, std::string> process_env();

// The environment variable that overrides `key`: "http.port" -> "CRM_HTTP_PORT".
std::string env_name_for(std::string_view key);

// Keys that must never be logged. Any key containing "password", "secret",
// "token", "keys", "credentials" or "seed" is treated as a secret too
// (is_secret_key).
std::vector<std::string> secret_keys();
bool is_secret_key(std::string_view key);

// "a.b=1, a.c=x, ..." for every key, sorted, on one line; secrets shown as ***
// (and a password inside a DSN or URL masked too); values raw, ${...} left
// unexpanded. system.* and application.* are left out.
std::string describe(const Poco::Util::AbstractConfiguration& config);

} // namespace crm::config
