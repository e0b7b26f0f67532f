// EnvOverrides: see the header.
#include "config/EnvOverrides.hpp"

#include <Poco/Exception.h>

#include <algorithm>
#include <fstream>
#include <sstream>

extern char** environ;

namespace crm::config {

namespace {

// Poco's own read-only layers (SystemConfiguration, the application's paths).
bool is_poco_key(std::string_view key) {
  for (std::string_view root : {"system", "application"})
    if (key.substr(0, root.size()) == root && (key.size() == root.size() || key[root.size()] == '.')) return true;
  return false;
}

// Every key holding a value, depth first. A key may both hold a value and
// have children (a.b = 1, a.b.c = 2).
void collect_keys(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                  std::vector<std::string>& out) {
  Poco::Util::AbstractConfiguration::Keys children;
  config.keys(prefix, children);
  for (const auto& child : children) {
    const std::string key = prefix.empty() ? child : prefix + "." + child;
    if (is_poco_key(key)) continue;
    if (config.hasProperty(key)) out.push_back(key);
    collect_keys(config, key, out);
  }
}

std::vector<std::string> all_keys(const Poco::Util::AbstractConfiguration& config) {
  std::vector<std::string> keys;
  collect_keys(config, "", keys);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string read_secret_file(const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Poco::FileException("cannot read the file named by " + key, path);
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) throw Poco::FileException("cannot read the file named by " + key, path);
  std::string value = std::move(contents).str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

// "host=x password=secret user=y" -> "host=x password=*** user=y" (quoted
// libpq values too); "redis://user:secret@host" -> "redis://user:***@host".
std::string mask_embedded_password(std::string value) {
  std::size_t pos = 0;
  while ((pos = lower(value).find("password=", pos)) != std::string::npos) {
    const std::size_t start = pos + 9;
    std::size_t end = std::string::npos;
    if (start < value.size() && value[start] == '\'') {
      end = value.find('\'', start + 1);
      end = end == std::string::npos ? value.size() : end + 1;
    } else {
      end = value.find_first_of(" &;", start);
      if (end == std::string::npos) end = value.size();
    }
    value.replace(start, end - start, "***");
    pos = start + 3;
  }
  const std::size_t scheme = value.find("://");
  if (scheme != std::string::npos) {
    const std::size_t at = value.find('@', scheme + 3);
    const std::size_t colon = value.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at)
      value.replace(colon + 1, at - colon - 1, "***");
  }
  return value;
}

} // namespace

std::string env_name_for(std::string_view key) {
  std::string name = "CRM_";
  name.reserve(4 + key.size());
  for (char c : key) {
    if (c >= 'a' && c <= 'z') name.push_back(static_cast<char>(c - 'a' + 'A'));
    else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) name.push_back(c);
    else name.push_back('_');
  }
  return name;
}

namespace {

// A secret whose value a *_file key may hold: named like a password, secret,
// token or key list. (nats.credentials_file and nats.nkey_seed_file are
// paths, though what they name is secret too.)
bool is_file_secret(std::string_view key) {
  const std::string low = lower(key);
  for (std::string_view word : {"password", "secret", "token", "keys"})
    if (low.find(word) != std::string::npos) return true;
  return false;
}

} // namespace

std::vector<std::string> apply_env_overrides(Poco::Util::AbstractConfiguration& config,
                                             const std::map<std::string, std::string>& env) {
  const std::vector<std::string> keys = all_keys(config);

  std::map<std::string, bool> used; // env name -> whether some key took it
  for (const auto& [name, value] : env)
    if (name.rfind("CRM_", 0) == 0) used.emplace(name, false);
  for (const auto& key : keys) {
    auto it = env.find(env_name_for(key));
    if (it == env.end()) continue;
    config.setString(key, it->second);
    used[it->first] = true;
  }

  constexpr std::string_view kSuffix = "_file";
  for (const auto& file_key : keys) {
    if (file_key.size() <= kSuffix.size() || file_key.compare(file_key.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
      continue;
    const std::string path = config.getString(file_key, "");
    if (path.empty()) continue;
    const std::string key = file_key.substr(0, file_key.size() - kSuffix.size());
    // Only a secret is read into its key. Other *_file keys (nats.tls_ca_file,
    // nats.tls_key_file, nats.credentials_file, ...) are paths their users
    // open themselves: read here, a private key or an NKey seed would sit in
    // the configuration under a name describe() does not mask.
    if (!is_file_secret(key)) continue;
    if (!config.getString(key, "").empty())
      throw Poco::InvalidArgumentException("both " + key + " and " + file_key + " are set; keep one");
    config.setString(key, read_secret_file(file_key, path));
  }

  std::vector<std::string> unused;
  for (const auto& [name, taken] : used)
    if (!taken) unused.push_back(name);
  return unused;
}

std::map<std::string, std::string> process_env() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    if (entry.rfind("CRM_", 0) != 0) continue;
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::vector<std::string> secret_keys() { return {"db.password", "jwt.keys", "admin.password"}; }

bool is_secret_key(std::string_view key) {
  if (is_file_secret(key)) return true;
  const std::string low = lower(key);
  for (const auto& k : secret_keys())
    if (low == k) return true;
  return low.find("credentials") != std::string::npos || low.find("seed") != std::string::npos;
}

std::string describe(const Poco::Util::AbstractConfiguration& config) {
  std::string out;
  for (const auto& key : all_keys(config)) {
    std::string value = config.getRawString(key, "");
    if (is_secret_key(key)) {
      if (!value.empty()) value = "***";
    } else {
      value = mask_embedded_password(std::move(value));
    }
    if (!out.empty()) out += ", ";
    out += key;
    out.push_back('=');
    out += value;
  }
  return out;
}

} // namespace crm::config
