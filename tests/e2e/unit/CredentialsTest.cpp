// Credentials and Session: the stored sessions file and how a run picks its
// server and token.
#include "Credentials.hpp"
#include "Errors.hpp"
#include "HttpTransport.hpp"
#include "Json.hpp"
#include "Session.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

using namespace crmctl;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  std::random_device rd;
  fs::path dir = fs::temp_directory_path() / ("crmctl-unit-" + std::to_string(rd()));
  fs::create_directories(dir);
  return dir;
}

// Sets an environment variable for the scope, then puts it back.
class ScopedEnv {
public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

} // namespace

TEST_CASE("the credentials file is written whole with mode 0600 in a 0700 folder and read back",
          "[crmctl][credentials]") {
  const fs::path dir = temp_dir() / "crmctl";
  CredentialStore store(dir);
  Credentials c;
  c.current_server = "http://127.0.0.1:9";
  c.sessions["http://127.0.0.1:9"] = StoredSession{"access", "refresh", 1700000000, "u1", "ann@example.com", "ADMIN"};
  store.save(c);

  struct stat st {};
  REQUIRE(::stat(store.file().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  Credentials back = store.load();
  CHECK(back.current_server == "http://127.0.0.1:9");
  REQUIRE(back.sessions.count("http://127.0.0.1:9") == 1);
  const auto& s = back.sessions["http://127.0.0.1:9"];
  CHECK(s.access_token == "access");
  CHECK(s.refresh_token == "refresh");
  CHECK(s.expires_at == 1700000000);
  CHECK(s.email == "ann@example.com");
  CHECK(s.role == "ADMIN");
  fs::remove_all(dir.parent_path());
}

TEST_CASE("a missing credentials file is no session, a corrupt one is a clear usage error", "[crmctl][credentials]") {
  const fs::path dir = temp_dir();
  CredentialStore store(dir);
  CHECK(store.load().sessions.empty());
  std::ofstream(store.file()) << "{not json";
  CHECK_THROWS_AS(store.load(), UsageError);
  fs::remove_all(dir);
}

TEST_CASE("the server comes from the flag, then CRMCTL_SERVER, then the last login, then the default",
          "[crmctl][session]") {
  const fs::path dir = temp_dir();
  ScopedEnv xdg("XDG_CONFIG_HOME", dir.c_str());
  ScopedEnv token("CRMCTL_TOKEN", nullptr);
  {
    ScopedEnv server("CRMCTL_SERVER", nullptr);
    CHECK(Session("", CredentialStore()).server() == "http://127.0.0.1:8080");
    CredentialStore store;
    Credentials c;
    c.current_server = "http://10.0.0.1:8080";
    c.sessions["http://10.0.0.1:8080"] = StoredSession{"tok", "ref", 0, "u", "a@x.io", "ADMIN"};
    store.save(c);
    Session stored("", CredentialStore());
    CHECK(stored.server() == "http://10.0.0.1:8080");
    CHECK(stored.source() == Session::Source::Stored);
    CHECK(stored.access_token() == "tok");
  }
  ScopedEnv server("CRMCTL_SERVER", "10.0.0.2:81");
  CHECK(Session("", CredentialStore()).server() == "http://10.0.0.2:81");
  CHECK(Session("http://10.0.0.3:82/", CredentialStore()).server() == "http://10.0.0.3:82");
  CHECK(Session("", CredentialStore()).source() == Session::Source::None); // no session for that server
  ScopedEnv env_token("CRMCTL_TOKEN", "from-env");
  Session s("", CredentialStore());
  CHECK(s.source() == Session::Source::Environment);
  CHECK(s.access_token() == "from-env");
  CHECK_FALSE(s.can_refresh());
  fs::remove_all(dir);
}

TEST_CASE("server URLs are checked and normalised", "[crmctl][session]") {
  CHECK(normalise_server("http://h:1/") == "http://h:1");
  CHECK(normalise_server("h:1") == "http://h:1");
  CHECK(normalise_server("http://h:1/base") == "http://h:1/base");
  CHECK_THROWS_AS(normalise_server("https://h:1"), UsageError);
  CHECK_THROWS_AS(normalise_server("ftp://h"), UsageError);
  CHECK_THROWS_AS(normalise_server(""), UsageError);
}

TEST_CASE("a login answer becomes a stored session with an absolute expiry", "[crmctl][session]") {
  auto answer = json::try_parse_object(
      R"({"accessToken":"a","refreshToken":"r","expiresIn":900,"user":{"id":"u1","email":"x@y.z","role":"SALES"}})");
  REQUIRE(answer);
  StoredSession s = session_of(*answer, 1000);
  CHECK(s.access_token == "a");
  CHECK(s.refresh_token == "r");
  CHECK(s.expires_at == 1900);
  CHECK(s.user_id == "u1");
  CHECK(s.role == "SALES");
}
