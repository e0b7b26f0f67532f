// forecast_cpu: the CPU time of one forecasting run's arithmetic for 100
// symbols by two versions (Holt and ridge), as the plugin does it: each
// symbol's market.history reply parsed into points (480 one-minute points,
// the default lookback), the horizon in steps, then both methods. Prints the
// process CPU time per run; not a test (no threshold). Built on request:
//   cmake --build build --target forecast_cpu && build/bin/forecast_cpu
#include "../Accuracy.hpp"
#include "../Methods.hpp"
#include "../SeriesText.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace {

constexpr int kSymbols = 100;
constexpr int kPoints = 480;
constexpr int kRuns = 20;

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// A reply like market.history's: a random walk with drift, one point a minute.
std::string history_reply(int symbol, std::int64_t start_ms) {
  std::string out = "{\"items\":[";
  double price = 50 + symbol;
  unsigned seed = 12345u + static_cast<unsigned>(symbol);
  for (int i = 0; i < kPoints; ++i) {
    seed = seed * 1103515245u + 12345u;
    price *= std::exp(0.0002 + 0.002 * ((static_cast<double>(seed >> 8 & 0xffff) / 65535.0) - 0.5));
    if (i) out += ',';
    out += "{\"at\":\"" + forecast::iso_of_ms(start_ms + i * 60000LL) + "\",\"price\":" + forecast::number_json(price) +
           ",\"volume\":100}";
  }
  return out + "]}";
}

} // namespace

int main() {
  const std::int64_t start = 1796659200000LL;
  std::vector<std::string> replies;
  for (int s = 0; s < kSymbols; ++s) replies.push_back(history_reply(s, start));
  const forecast::HoltMethod holt(0.5, 0.1);
  const forecast::RidgeMethod ridge(5, 0.001);
  const std::int64_t target = start + (kPoints - 1) * 60000LL + 3600000LL;

  double checksum = 0, best = 1e9, total = 0;
  for (int run = 0; run < kRuns; ++run) {
    const double t0 = cpu_seconds();
    for (const auto& reply : replies) {
      const auto points = forecast::points_of_history(reply, 500);
      std::vector<double> prices;
      std::vector<std::int64_t> times;
      for (const auto& p : points) prices.push_back(p.price), times.push_back(p.at_ms);
      const int steps = forecast::horizon_steps(times, target);
      checksum += holt.predict(prices, steps).predicted + ridge.predict(prices, steps).predicted;
    }
    const double spent = cpu_seconds() - t0;
    best = std::min(best, spent);
    total += spent;
  }
  std::printf("forecasts for %d symbols x 2 versions (%d points each, 60 steps ahead): CPU %.2f ms per run "
              "(best %.2f ms over %d runs; checksum %.3f)\n",
              kSymbols, kPoints, 1000 * total / kRuns, 1000 * best, kRuns, checksum);
  return 0;
}
