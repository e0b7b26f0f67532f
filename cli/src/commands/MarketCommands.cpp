// MarketCommands: `market instruments|import|bars` over /api/market.
//
// `market import FILE.csv` streams a CSV of any size (a header line naming
// symbol, at, price and optionally volume, in any order) through POST
// /api/market/prices in batches of --batch lines, so memory stays flat. A
// progress bar shows on stderr when it is a terminal; a summary (imported,
// duplicates, seconds, points/s) ends the run. A line crmctl cannot read (a
// missing column) stops the import once the lines before it are imported; a
// batch the server refuses (422) stops it too, with each refused field
// mapped back to its CSV line ("line 17: price: must be ..."). Either way,
// what was imported before is reported, and the exit status is 2.
#include "Commands.hpp"

#include "Errors.hpp"
#include "Json.hpp"
#include "Terminal.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

namespace crmctl {

namespace {

std::vector<Column> instrument_columns() {
  return {text_column("SYMBOL", "symbol"), text_column("NAME", "name", 40), text_column("EXCHANGE", "exchange"),
          text_column("CURRENCY", "currency")};
}

std::vector<Column> bar_columns() {
  return {time_column("AT", "at"),   text_column("OPEN", "open"),   text_column("HIGH", "high"),
          text_column("LOW", "low"), text_column("CLOSE", "close"), text_column("VOLUME", "volume")};
}

void instruments(Context& ctx, const std::string& q) {
  Query query;
  query.add("q", q);
  json::Value page = ctx.api().get_object("/api/market/instruments" + query.str());
  if (ctx.out().format() == Format::Json)
    ctx.out().json(page.get("items"));
  else
    ctx.out().list(page.get("items"), instrument_columns(), "no instruments");
}

struct BarOptions {
  std::string symbol, from, to, interval = "1d";
};

void bars(Context& ctx, const BarOptions& o) {
  Query query;
  query.add("from", o.from).add("to", o.to).add("interval", o.interval);
  json::Value page = ctx.api().get_object("/api/market/instruments/" + o.symbol + "/bars" + query.str());
  if (ctx.out().format() == Format::Json)
    ctx.out().json(page.get("items"));
  else
    ctx.out().list(page.get("items"), bar_columns(), "no prices in that range");
}

// The cells of one CSV line: comma-separated, a trailing \r dropped, each
// cell trimmed of spaces. Market data needs no quoting: a quote is refused.
std::vector<std::string> cells_of(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> cells;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, ',')) {
    const size_t first = cell.find_first_not_of(' ');
    const size_t last = cell.find_last_not_of(' ');
    cells.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
  }
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

// Where each column is, from the header line.
struct CsvLayout {
  int symbol = -1, at = -1, price = -1, volume = -1;
  size_t columns = 0;
};

CsvLayout layout_of(const std::string& header) {
  CsvLayout l;
  const auto cells = cells_of(header);
  l.columns = cells.size();
  for (size_t i = 0; i < cells.size(); ++i) {
    const std::string name = cells[i];
    int* slot = name == "symbol"   ? &l.symbol
                : name == "at"     ? &l.at
                : name == "price"  ? &l.price
                : name == "volume" ? &l.volume
                                   : nullptr;
    if (!slot) throw UsageError("line 1: unknown column '" + name + "' (expected symbol,at,price[,volume])");
    *slot = static_cast<int>(i);
  }
  if (l.symbol < 0 || l.at < 0 || l.price < 0)
    throw UsageError("line 1: the header must name the columns symbol, at and price (and optionally volume)");
  return l;
}

// One data line as a price item of the API ("{...}"), or the reason it is
// not one. Values go as JSON strings: the server checks the numbers and
// names the bad field, which the import maps back to the line.
std::optional<std::string> item_of(const CsvLayout& l, const std::string& line, std::string& why) {
  if (line.find('"') != std::string::npos) return why = "quoted cells are not read", std::nullopt;
  const auto cells = cells_of(line);
  if (cells.size() != l.columns)
    return why = std::to_string(cells.size()) + " cells where the header has " + std::to_string(l.columns),
           std::nullopt;
  for (const auto& [name, index] : {std::pair{"symbol", l.symbol}, {"at", l.at}, {"price", l.price}})
    if (cells[static_cast<size_t>(index)].empty()) return why = std::string(name) + " is empty", std::nullopt;
  std::string item = "{\"symbol\":" + json::quote(cells[static_cast<size_t>(l.symbol)]) +
                     ",\"at\":" + json::quote(cells[static_cast<size_t>(l.at)]) +
                     ",\"price\":" + json::quote(cells[static_cast<size_t>(l.price)]);
  if (l.volume >= 0 && !cells[static_cast<size_t>(l.volume)].empty())
    item += ",\"volume\":" + json::quote(cells[static_cast<size_t>(l.volume)]);
  return item + "}";
}

struct ImportOptions {
  std::string file;
  int batch = 5000;
};

class PriceImport {
public:
  PriceImport(Context& ctx, const ImportOptions& o) : ctx_(ctx), o_(o) {}

  void run() {
    std::ifstream in(o_.file, std::ios::binary);
    if (!in) throw UsageError("cannot read " + o_.file);
    in.seekg(0, std::ios::end);
    total_bytes_ = in.tellg() > 0 ? static_cast<double>(in.tellg()) : 0;
    in.seekg(0);
    progress_ = term::is_tty(2) && term::can_redraw(2);
    started_ = std::chrono::steady_clock::now();

    std::string line;
    if (!std::getline(in, line)) throw UsageError(o_.file + " is empty: it needs a header line symbol,at,price");
    const CsvLayout layout = layout_of(line);
    size_t number = 1;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty() || line == "\r") continue;
      std::string why;
      auto item = item_of(layout, line, why);
      if (!item) {
        send();
        stop("line " + std::to_string(number) + ": " + why);
      }
      body_ += (lines_.empty() ? "" : ",") + *item;
      lines_.push_back(number);
      if (lines_.size() >= static_cast<size_t>(o_.batch)) {
        send();
        show_progress(static_cast<double>(in.tellg()));
      }
    }
    send();
    clear_progress();
    const double seconds = elapsed();
    ctx_.out().line("Imported " + std::to_string(imported_) + " points (" + std::to_string(duplicates_) +
                    " duplicates) in " + fixed(seconds, 1) + " s: " +
                    fixed(static_cast<double>(imported_ + duplicates_) / std::max(seconds, 0.001), 0) + " points/s");
  }

private:
  // Sends the lines gathered so far as one batch.
  void send() {
    if (lines_.empty()) return;
    HttpResponse r = ctx_.api().call_unchecked("POST", "/api/market/prices", "{\"prices\":[" + body_ + "]}");
    if (r.status == 202) {
      const json::Value answer = json::parse(r.body);
      imported_ += std::stoll(json::text(answer, "accepted"));
      duplicates_ += std::stoll(json::text(answer, "duplicates"));
      body_.clear();
      lines_.clear();
      return;
    }
    Problem problem = parse_problem(r.status, r.body);
    if (r.status != 422) throw ServerError(std::move(problem));
    std::string report = "the server refused lines " + std::to_string(lines_.front()) + " to " +
                         std::to_string(lines_.back()) + " (nothing of them imported):";
    for (const auto& e : problem.errors) report += "\n  " + line_of(e.field) + e.message;
    stop(report);
  }

  // "prices[17].price" -> "line 42: price: ".
  std::string line_of(const std::string& field) const {
    size_t index = 0, close = 0;
    if (std::sscanf(field.c_str(), "prices[%zu]%zn", &index, &close) == 1 && index < lines_.size()) {
      std::string rest = field.substr(close);
      if (!rest.empty() && rest.front() == '.') rest.erase(0, 1);
      return "line " + std::to_string(lines_[index]) + ": " + (rest.empty() ? "" : rest + ": ");
    }
    return field + ": ";
  }

  [[noreturn]] void stop(const std::string& what) {
    clear_progress();
    ctx_.out().note(what);
    ctx_.out().note("imported before it: " + std::to_string(imported_) + " points (" + std::to_string(duplicates_) +
                    " duplicates) in " + fixed(elapsed(), 1) + " s");
    throw ExitStatus(kExitRefused);
  }

  void show_progress(double bytes) {
    if (!progress_ || total_bytes_ <= 0) return;
    const double share = std::min(1.0, bytes / total_bytes_);
    const int width = 30, done = static_cast<int>(share * width);
    const double seconds = elapsed();
    std::fprintf(stderr, "\r\033[2K[%s%s] %3.0f%%  %lld points  %.0f points/s", std::string(done, '#').c_str(),
                 std::string(width - done, ' ').c_str(), share * 100, imported_ + duplicates_,
                 static_cast<double>(imported_ + duplicates_) / std::max(seconds, 0.001));
    std::fflush(stderr);
  }

  void clear_progress() {
    if (progress_) std::fprintf(stderr, "\r\033[2K"), std::fflush(stderr);
  }

  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count(); }
  static std::string fixed(double v, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
    return buffer;
  }

  Context& ctx_;
  const ImportOptions& o_;
  std::string body_;
  std::vector<size_t> lines_; // the CSV line of each item of body_
  long long imported_ = 0, duplicates_ = 0;
  double total_bytes_ = 0;
  bool progress_ = false;
  std::chrono::steady_clock::time_point started_;
};

} // namespace

void add_market_commands(CLI::App& app, Context& ctx) {
  CLI::App* market = command(app, "market", "Instruments, price imports and bars",
                             "crmctl market instruments\ncrmctl market import prices.csv\n"
                             "crmctl market bars ACME --from 2026-01-01T00:00:00Z --to 2026-02-01T00:00:00Z");
  market->require_subcommand(1);

  auto q = std::make_shared<std::string>();
  CLI::App* ls = command(*market, "instruments", "List the instruments", "crmctl market instruments -o csv");
  ls->add_option("-q,--query", *q, "Only symbols starting with, or names holding, this text");
  ls->callback([&ctx, q] { instruments(ctx, *q); });

  auto io = std::make_shared<ImportOptions>();
  CLI::App* im =
      command(*market, "import", "Import prices from a CSV file (header symbol,at,price[,volume]) in batches (ADMIN)",
              "crmctl market import prices.csv --batch 5000");
  im->add_option("file", io->file, "The CSV file")->required();
  im->add_option("--batch", io->batch, "Lines per request")->check(CLI::Range(1, 10000))->capture_default_str();
  im->callback([&ctx, io] { PriceImport(ctx, *io).run(); });

  auto bo = std::make_shared<BarOptions>();
  CLI::App* b = command(*market, "bars", "Open, high, low, close and volume per interval",
                        "crmctl market bars ACME --from 2026-01-05T00:00:00Z --to 2026-01-06T00:00:00Z --interval 1h");
  b->add_option("symbol", bo->symbol, "The instrument's symbol")->required();
  b->add_option("--from", bo->from, "RFC 3339 start, e.g. 2026-01-05T00:00:00Z")->required();
  b->add_option("--to", bo->to, "RFC 3339 end (exclusive)")->required();
  b->add_option("--interval", bo->interval, "1m, 5m, 1h or 1d")
      ->check(CLI::IsMember({"1m", "5m", "1h", "1d"}))
      ->capture_default_str();
  b->callback([&ctx, bo] { bars(ctx, *bo); });
}

} // namespace crmctl
