// Tests of config/EnvOverrides: CRM_* overrides, *_file secrets and the masked
// description of the configuration.
#include "config/EnvOverrides.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/TemporaryFile.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace crm::config;
using Poco::AutoPtr;
using Poco::Util::LayeredConfiguration;
using Poco::Util::MapConfiguration;

namespace {

AutoPtr<MapConfiguration> file_config() {
  AutoPtr<MapConfiguration> c(new MapConfiguration);
  c->setString("http.port", "8080");
  c->setString("http.cors.allowed_origins", "");
  c->setString("db.dsn", "host=127.0.0.1 dbname=crm user=crm");
  c->setString("db.password", "");
  c->setString("db.password_file", "");
  c->setString("jwt.keys", "");
  c->setString("log.level", "info");
  return c;
}

std::string write_temp(const Poco::TemporaryFile& file, const std::string& contents) {
  std::ofstream(file.path(), std::ios::binary) << contents;
  return file.path();
}

} // namespace

TEST_CASE("the env name of a key is CRM_ plus the key upper-cased with dots as underscores", "[env-overrides]") {
  CHECK(env_name_for("http.port") == "CRM_HTTP_PORT");
  CHECK(env_name_for("http.cors.allowed_origins") == "CRM_HTTP_CORS_ALLOWED_ORIGINS");
  CHECK(env_name_for("plugin.customer.db-dsn") == "CRM_PLUGIN_CUSTOMER_DB_DSN");
}

TEST_CASE("a CRM_ variable overrides the key of the same name, even with an empty value", "[env-overrides]") {
  auto config = file_config();
  auto unused = apply_env_overrides(*config, {{"CRM_HTTP_PORT", "9090"},
                                              {"CRM_HTTP_CORS_ALLOWED_ORIGINS", "https://app.example.com"},
                                              {"CRM_LOG_LEVEL", ""},
                                              {"HOME", "/root"}});
  CHECK(config->getString("http.port") == "9090");
  CHECK(config->getString("http.cors.allowed_origins") == "https://app.example.com");
  CHECK(config->getString("log.level") == "");
  CHECK(config->getString("db.dsn") == "host=127.0.0.1 dbname=crm user=crm");
  CHECK(unused.empty());
}

TEST_CASE("variables that name no key are not applied and are reported", "[env-overrides]") {
  auto config = file_config();
  auto unused = apply_env_overrides(*config, {{"CRM_HTTP_PROT", "1"}, {"CRM_PLUGIN_SALES_DB_DSN", "x"}});
  CHECK(unused == std::vector<std::string>{"CRM_HTTP_PROT", "CRM_PLUGIN_SALES_DB_DSN"});
  CHECK_FALSE(config->hasProperty("http.prot"));
  CHECK_FALSE(config->hasProperty("plugin.sales.db.dsn"));
}

TEST_CASE("overrides reach keys of every layer of a layered configuration", "[env-overrides]") {
  // The shape of Poco::Util::Application's configuration: read-only layers
  // under a writeable map of the highest priority.
  AutoPtr<LayeredConfiguration> layered(new LayeredConfiguration);
  AutoPtr<MapConfiguration> defaults(new MapConfiguration);
  defaults->setString("http.max_threads", "64");
  layered->add(AutoPtr<MapConfiguration>(new MapConfiguration), -100, true);
  layered->add(file_config(), 0, false);
  layered->add(defaults, 10, false);
  apply_env_overrides(*layered, {{"CRM_HTTP_MAX_THREADS", "8"}, {"CRM_HTTP_PORT", "1"}});
  CHECK(layered->getInt("http.max_threads") == 8);
  CHECK(layered->getInt("http.port") == 1);
}

TEST_CASE("a *_file key fills the key without the suffix from the file, newline trimmed", "[env-overrides]") {
  Poco::TemporaryFile secret;
  const std::string path = write_temp(secret, "s3cr3t pass\r\n");
  auto config = file_config();
  apply_env_overrides(*config, {{"CRM_DB_PASSWORD_FILE", path}});
  CHECK(config->getString("db.password") == "s3cr3t pass");
}

TEST_CASE("a *_file key set in the file itself is read too", "[env-overrides]") {
  Poco::TemporaryFile secret;
  auto config = file_config();
  config->setString("jwt.keys_file", write_temp(secret, "k1:abc,k2:def\n"));
  apply_env_overrides(*config, {});
  CHECK(config->getString("jwt.keys") == "k1:abc,k2:def");
}

TEST_CASE("a *_file key that is a path and not a secret (TLS, NKey, credentials) stays a path", "[env-overrides]") {
  Poco::TemporaryFile key, creds;
  auto config = file_config();
  config->setString("nats.tls_key_file", write_temp(key, "-----BEGIN PRIVATE KEY-----\nMIIEv\n"));
  config->setString("nats.credentials_file", write_temp(creds, "-----BEGIN USER NKEY SEED-----\nSUAM\n"));
  apply_env_overrides(*config, {});
  CHECK_FALSE(config->has("nats.tls_key"));
  CHECK_FALSE(config->has("nats.credentials"));
  CHECK(config->getString("nats.tls_key_file") == key.path());
  const std::string text = describe(*config);
  CHECK(text.find("PRIVATE KEY") == std::string::npos);
  CHECK(text.find("NKEY SEED") == std::string::npos);
}

TEST_CASE("an unreadable secret file names the key and never leaks contents", "[env-overrides]") {
  auto config = file_config();
  config->setString("db.password_file", "/nonexistent/crm/secret");
  try {
    apply_env_overrides(*config, {});
    FAIL("expected a FileException");
  } catch (const Poco::FileException& e) {
    CHECK_THAT(e.displayText(), Catch::Contains("db.password_file"));
    CHECK_THAT(e.displayText(), Catch::Contains("/nonexistent/crm/secret"));
  }
}

TEST_CASE("a key and its *_file both set is a configuration error", "[env-overrides]") {
  Poco::TemporaryFile secret;
  auto config = file_config();
  config->setString("db.password", "inline");
  config->setString("db.password_file", write_temp(secret, "from-file"));
  CHECK_THROWS_AS(apply_env_overrides(*config, {}), Poco::InvalidArgumentException);
}

TEST_CASE("secret keys are recognised by name", "[env-overrides]") {
  for (const auto& k : secret_keys()) CHECK(is_secret_key(k));
  CHECK(is_secret_key("db.password"));
  CHECK(is_secret_key("plugin.customer.db.password"));
  CHECK(is_secret_key("redis.client_secret"));
  CHECK(is_secret_key("JWT.KEYS"));
  CHECK(is_secret_key("nats.credentials"));
  CHECK(is_secret_key("nats.nkey_seed"));
  CHECK_FALSE(is_secret_key("http.port"));
  CHECK_FALSE(is_secret_key("db.dsn"));
}

TEST_CASE("describe lists every key sorted with secrets masked", "[env-overrides]") {
  auto config = file_config();
  config->setString("db.password", "hunter2");
  config->setString("jwt.keys", "k1:abc");
  config->setString("db.dsn", "host=x password=inline user=crm");
  config->setString("redis.url", "redis://user:pw@localhost:6379");
  const std::string text = describe(*config);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("k1:abc") == std::string::npos);
  CHECK(text.find("inline") == std::string::npos);
  CHECK(text.find(":pw@") == std::string::npos);
  CHECK(text == "db.dsn=host=x password=*** user=crm, db.password=***, db.password_file=, "
                "http.cors.allowed_origins=, http.port=8080, jwt.keys=***, log.level=info, "
                "redis.url=redis://user:***@localhost:6379");
}

TEST_CASE("process_env returns only the CRM_ variables", "[env-overrides]") {
  ::setenv("CRM_UNIT_TEST_VALUE", "a=b", 1);
  ::setenv("NOT_CRM_UNIT_TEST", "x", 1);
  auto env = process_env();
  ::unsetenv("CRM_UNIT_TEST_VALUE");
  ::unsetenv("NOT_CRM_UNIT_TEST");
  CHECK(env.at("CRM_UNIT_TEST_VALUE") == "a=b");
  for (const auto& [name, value] : env) CHECK(name.rfind("CRM_", 0) == 0);
}
