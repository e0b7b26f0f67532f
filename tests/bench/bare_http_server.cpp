// bare_http_server: the yardstick for scripts/bench/http. A Poco HTTPServer
// with one handler that answers every request with a small JSON object, as
// /health/live does, and nothing else: no router, no policies, no metrics.
// crm-host's figures are read as a fraction of this one's, measured in the
// same run on the same machine.
//
// Usage: bare_http_server PORT [THREADS]   (127.0.0.1; stops on SIGTERM/SIGINT)
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

class JsonHandler : public Poco::Net::HTTPRequestHandler {
public:
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override {
    static const std::string body = R"({"status":"ok"})";
    response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
  }
};

class JsonHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new JsonHandler;
  }
};

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bare_http_server PORT [THREADS]\n");
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const int threads = argc > 2 ? std::atoi(argv[2]) : 64;

  // Wait for the stop signal in main; the server's threads must not take it.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto* params = new Poco::Net::HTTPServerParams; // owned by the server
  params->setMaxThreads(threads);
  params->setMaxQueued(512);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);
  // The same pool shape crm-host had: the default pool stops at 16 threads.
  Poco::ThreadPool pool("bare", 4, threads + 2, 60);
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", port), 1024);
  Poco::Net::HTTPServer server(new JsonHandlerFactory, pool, socket, params);
  server.start();
  std::printf("bare_http_server listening on 127.0.0.1:%u with %d threads\n", port, threads);
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop, &signal);
  server.stopAll(true);
  pool.joinAll();
  return 0;
}
