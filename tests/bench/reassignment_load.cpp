// reassignment_load: one reassignment saga as an admin starts it, and what
// other users see meanwhile. First READERS connections GET
// /api/customers/{id} (ids from IDS_FILE, one a line, owned by the reader)
// for BASELINE_MS with no saga running; then, with the readers going on, it
// POSTs /api/sagas/reassignment {fromUserId, toUserId}, polls
// GET /api/workflow-instances/{id} every 50 ms until the instance ends, and
// stops the readers. Prints the saga's total time (as the client saw it and
// as the instance recorded it), its batches per step, and the readers' count,
// p50, p99 and max per phase, and any non-200 answers. Exit 2 when the saga
// does not COMPLETE. Used by scripts/bench/sagas.
//
// RATE paces the readers at that many requests per second in all (each
// request at its own time, whenever the one before it came back; latency is
// measured from the request's own start); 0 sends each request as soon as
// the one before it is back, which on a small machine mostly measures how
// the saga and the readers share the CPU.
//
//   reassignment_load PORT ADMIN_TOKEN FROM_USER TO_USER READER_TOKEN IDS_FILE
//                     [READERS=4] [BASELINE_MS=3000] [RATE=0]
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

struct Answer {
  int status = 0;
  std::string body;
};

Answer call(Poco::Net::HTTPClientSession& http, const std::string& method, const std::string& path,
            const std::string& token, const std::string& body = "") {
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setKeepAlive(true);
  request.set("Authorization", "Bearer " + token);
  if (!body.empty()) {
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  std::ostream& out = http.sendRequest(request);
  if (!body.empty()) out << body;
  Poco::Net::HTTPResponse response;
  Answer a;
  Poco::StreamCopier::copyToString(http.receiveResponse(response), a.body);
  a.status = static_cast<int>(response.getStatus());
  return a;
}

Poco::JSON::Object::Ptr parse(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// The readers' latencies, per phase (0 baseline, 1 during the saga).
struct Samples {
  std::mutex mutex;
  std::vector<double> ms[2];
  std::map<int, long> statuses[2];
};

void read_customers(int port, const std::string& token, const std::vector<std::string>& ids, size_t first,
                    double per_second, const std::atomic<int>& phase, Samples& samples) {
  const auto period = per_second > 0 ? std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(1.0 / per_second))
                                     : Clock::duration::zero();
  auto next = Clock::now();
  Poco::Net::HTTPClientSession http("127.0.0.1", static_cast<Poco::UInt16>(port));
  http.setKeepAlive(true);
  http.setTimeout(Poco::Timespan(30, 0));
  std::vector<double> ms[2];
  std::map<int, long> statuses[2];
  for (size_t i = first; phase.load() < 2; i += 7) {
    if (period > Clock::duration::zero()) {
      next += period;
      std::this_thread::sleep_until(next);
    }
    const int now = phase.load();
    if (now > 1) break;
    const auto started = Clock::now();
    int status = -1;
    try {
      status = call(http, "GET", "/api/customers/" + ids[i % ids.size()], token).status;
    } catch (const std::exception&) {
      http.reset();
    }
    ms[now].push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    ++statuses[now][status];
  }
  std::lock_guard lock(samples.mutex);
  for (int p = 0; p < 2; ++p) {
    samples.ms[p].insert(samples.ms[p].end(), ms[p].begin(), ms[p].end());
    for (const auto& [status, n] : statuses[p]) samples.statuses[p][status] += n;
  }
}

void print_phase(const char* name, const std::vector<double>& ms, const std::map<int, long>& statuses, double seconds) {
  std::printf("%s: %zu GET /api/customers/{id} (%.0f req/s), p50 %.2f ms, p99 %.2f ms, max %.2f ms", name, ms.size(),
              seconds > 0 ? static_cast<double>(ms.size()) / seconds : 0.0, quantile(ms, 0.5), quantile(ms, 0.99),
              quantile(ms, 1.0));
  for (const auto& [status, n] : statuses)
    if (status != 200) std::printf("  [%ld answered %d]", n, status);
  std::printf("\n");
}

// The time between two RFC 3339 UTC stamps of the same day or close ones
// (YYYY-MM-DDTHH:MM:SS.mmmZ), in seconds.
double seconds_between(const std::string& from, const std::string& to) {
  auto seconds_of = [](const std::string& t) {
    if (t.size() < 23) throw std::runtime_error("not a timestamp: " + t);
    const double day = std::stod(t.substr(8, 2)) * 86400.0;
    return day + std::stod(t.substr(11, 2)) * 3600.0 + std::stod(t.substr(14, 2)) * 60.0 + std::stod(t.substr(17, 6));
  };
  return seconds_of(to) - seconds_of(from);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::cerr << "usage: reassignment_load PORT ADMIN_TOKEN FROM_USER TO_USER READER_TOKEN IDS_FILE [READERS] "
                 "[BASELINE_MS] [RATE]\n";
    return 1;
  }
  const int port = std::stoi(argv[1]);
  const std::string admin = argv[2], from = argv[3], to = argv[4], reader = argv[5];
  const int readers = argc > 7 ? std::stoi(argv[7]) : 4;
  const int baseline_ms = argc > 8 ? std::stoi(argv[8]) : 3000;
  const double rate = argc > 9 ? std::stod(argv[9]) : 0;
  std::vector<std::string> ids;
  {
    std::ifstream in(argv[6]);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) ids.push_back(line);
  }
  if (ids.empty()) {
    std::cerr << "reassignment_load: no customer ids in " << argv[6] << "\n";
    return 1;
  }
  try {
    std::atomic<int> phase{0};
    Samples samples;
    std::vector<std::thread> threads;
    for (int r = 0; r < readers; ++r)
      threads.emplace_back(read_customers, port, reader, std::cref(ids), static_cast<size_t>(r) * ids.size() / readers,
                           rate / readers, std::cref(phase), std::ref(samples));
    std::this_thread::sleep_for(std::chrono::milliseconds(baseline_ms));

    Poco::Net::HTTPClientSession http("127.0.0.1", static_cast<Poco::UInt16>(port));
    http.setKeepAlive(true);
    http.setTimeout(Poco::Timespan(30, 0));
    phase = 1;
    const auto started = Clock::now();
    auto start = call(http, "POST", "/api/sagas/reassignment", admin,
                      R"({"fromUserId":")" + from + R"(","toUserId":")" + to + R"("})");
    if (start.status != 202) {
      phase = 2;
      for (auto& t : threads) t.join();
      throw std::runtime_error("POST /api/sagas/reassignment answered " + std::to_string(start.status) + ": " +
                               start.body);
    }
    const std::string id = parse(start.body)->getValue<std::string>("workflowInstanceId");
    Poco::JSON::Object::Ptr instance;
    std::string status;
    for (;;) {
      auto got = call(http, "GET", "/api/workflow-instances/" + id, admin);
      if (got.status == 200) {
        instance = parse(got.body);
        status = instance->optValue<std::string>("status", "");
        if (status != "RUNNING" && status != "WAITING") break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    phase = 2;
    for (auto& t : threads) t.join();

    // Batches per step, in the order the steps ran, with their time inside
    // the operation (sum and slowest), and the slowest batch of all.
    struct Batches {
      std::string step;
      int count = 0;
      double ms = 0, slowest = 0;
    };
    std::vector<Batches> batches;
    double slowest = 0, in_steps = 0;
    auto steps = instance->getArray("steps");
    for (size_t i = 0; steps && i < steps->size(); ++i) {
      auto s = steps->getObject(static_cast<unsigned>(i));
      std::string name = s->optValue<std::string>("name", "");
      name = name.substr(0, name.find(" #"));
      const double ms = s->optValue<double>("durationMs", 0);
      slowest = std::max(slowest, ms);
      in_steps += ms;
      if (batches.empty() || batches.back().step != name) batches.push_back({name});
      batches.back().count += 1;
      batches.back().ms += ms;
      batches.back().slowest = std::max(batches.back().slowest, ms);
    }
    std::printf("saga %s: %s in %.2f s (client), %.2f s (instance created -> finished); %zu step records, %.2f s "
                "inside operations, slowest %.0f ms\n",
                id.c_str(), status.c_str(), seconds,
                seconds_between(instance->optValue<std::string>("createdAt", ""),
                                instance->optValue<std::string>("finishedAt", "")),
                steps ? steps->size() : 0, in_steps / 1000.0, slowest);
    std::printf("batches:");
    for (const auto& b : batches)
      std::printf(" %s %d (%.2f s, slowest %.0f ms);", b.step.c_str(), b.count, b.ms / 1000.0, b.slowest);
    std::printf("\n");
    print_phase("before the saga", samples.ms[0], samples.statuses[0], baseline_ms / 1000.0);
    print_phase("during the saga", samples.ms[1], samples.statuses[1], seconds);
    if (status != "COMPLETED") {
      std::cerr << "reassignment_load: the saga ended " << status << "\n";
      return 2;
    }
  } catch (const std::exception& e) {
    std::cerr << "reassignment_load: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
