// ThrowawayCertificate: a self-signed certificate and key for the tests of
// TLS against real servers (the SMTP sink, Redis).
#pragma once

#include "support/Environment.hpp"

#include <catch2/catch.hpp>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <string>

namespace itest {

// A self-signed certificate for "localhost" (and 127.0.0.1) and its key,
// made now by the openssl command, gone with the test's folders. Trusted
// only by whoever is given `cert` as a CA.
struct ThrowawayCertificate {
  fs::path cert;
  fs::path key;

  ThrowawayCertificate() {
    const fs::path dir = make_temp_dir("crm-tls-");
    cert = dir / "cert.pem";
    key = dir / "key.pem";
    Poco::Pipe output;
    auto handle = Poco::Process::launch("openssl",
                                        {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                         "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext",
                                         "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key.string(), "-out",
                                         cert.string()},
                                        nullptr, &output, &output);
    Poco::PipeInputStream said(output);
    std::string text;
    Poco::StreamCopier::copyToString(said, text);
    const int status = handle.wait();
    INFO("openssl req (the openssl package, which scripts/bootstrap installs) exited with " << status << ": " << text);
    REQUIRE(status == 0);
    REQUIRE(fs::exists(cert));
    REQUIRE(fs::exists(key));
  }
};

} // namespace itest
