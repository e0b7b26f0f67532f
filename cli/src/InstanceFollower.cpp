// InstanceFollower: see the header.
#include "InstanceFollower.hpp"

#include "Errors.hpp"
#include "Json.hpp"
#include "Table.hpp"
#include "Terminal.hpp"

#include <csignal>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <thread>

namespace crmctl {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int) { g_interrupted = 1; }

// SIGINT (and SIGTERM) set a flag while it lives, instead of killing crmctl
// half-way through a line; the loop notices within one slice of its sleep.
class InterruptGuard {
public:
  InterruptGuard() {
    g_interrupted = 0;
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  ~InterruptGuard() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  bool interrupted() const { return g_interrupted != 0; }

private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

std::string pad(const std::string& text, size_t width) {
  const size_t w = display_width(text);
  return w >= width ? text + " " : text + std::string(width - w, ' ');
}

// Milliseconds since the epoch of "2024-05-01T10:00:00.123Z"; -1 when not that.
double epoch_ms(const std::string& t) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &ms) < 6)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(::timegm(&tm)) * 1000.0 + ms;
}

} // namespace

bool is_final_status(const std::string& s) {
  return s == "COMPLETED" || s == "FAILED" || s == "COMPENSATED" || s == "CANCELLED";
}

std::string duration_text(double ms) {
  char buffer[48];
  if (ms < 1000)
    std::snprintf(buffer, sizeof buffer, "%.0f ms", ms);
  else if (ms < 60000)
    std::snprintf(buffer, sizeof buffer, "%.1f s", ms / 1000);
  else
    std::snprintf(buffer, sizeof buffer, "%d min %d s", static_cast<int>(ms / 60000), static_cast<int>(ms / 1000) % 60);
  return buffer;
}

std::string error_text(const json::Value& error) {
  if (error.is_object()) {
    std::string message = json::text(error, "message");
    if (message.empty()) return json::write(error, 0);
    const std::string step = json::text(error, "step");
    return step.empty() ? message : step + ": " + message;
  }
  return json::display(error);
}

std::string step_line(const json::Value& step) {
  std::string name = json::text(step, "name");
  if (json::text(step, "phase") == "compensate") name += " (undo)";
  std::string line = "  " + pad(name, 22) + pad(json::text(step, "status"), 12);
  line += pad("attempt " + (json::text(step, "attempt").empty() ? std::string("1") : json::text(step, "attempt")), 11);
  const std::string ms = json::text(step, "durationMs");
  if (!ms.empty()) {
    try {
      line += duration_text(std::stod(ms));
    } catch (const std::exception&) {
    }
  }
  const std::string error = error_text(json::at(step, "error"));
  if (!error.empty()) line += " - " + error;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

json::Value InstanceFollower::follow(const std::string& id, std::chrono::milliseconds appear_within) {
  InterruptGuard guard;
  const bool live = term::can_redraw(2);
  const auto started = std::chrono::steady_clock::now();
  const char spinner[] = {'|', '/', '-', '\\'};
  size_t printed = 0, tick = 0;
  auto interval = std::chrono::milliseconds(200);
  std::string name = "instance";
  auto clear_status = [&] {
    if (live) std::cerr << "\r\033[K" << std::flush;
  };
  auto stop_following = [&]() -> Interrupted {
    clear_status();
    return Interrupted("stopped following; " + name + " " + id +
                       " keeps running on the server (see: crmctl sagas show " + id + ")");
  };

  for (;;) {
    if (guard.interrupted()) throw stop_following();
    json::Value instance;
    try {
      instance = api_.get_object("/api/workflow-instances/" + id);
    } catch (const ServerError& e) {
      if (guard.interrupted()) throw stop_following();
      if (e.problem().status == 404 && std::chrono::steady_clock::now() - started < appear_within) {
        std::this_thread::sleep_for(interval);
        continue;
      }
      clear_status();
      throw;
    } catch (...) {
      if (guard.interrupted()) throw stop_following();
      clear_status();
      throw;
    }
    name = json::text(instance, "name").empty() ? name : json::text(instance, "name");
    const auto& steps = instance.get("steps").items();
    for (; printed < steps.size(); ++printed) {
      clear_status();
      out_.note(step_line(steps[printed]));
    }
    const std::string status = json::text(instance, "status");
    if (is_final_status(status)) {
      clear_status();
      return instance;
    }
    if (live) {
      const double elapsed =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      std::string where = json::text(instance, "state");
      std::cerr << "\r\033[K" << spinner[tick++ % 4] << ' ' << name << ' ' << status
                << (where.empty() ? "" : " at " + where) << "  " << duration_text(elapsed)
                << "  (Ctrl-C stops following)" << std::flush;
    }
    // Sleep in slices so Ctrl-C is noticed at once.
    const auto wake = std::chrono::steady_clock::now() + interval;
    while (std::chrono::steady_clock::now() < wake) {
      if (guard.interrupted()) throw stop_following();
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    interval = std::min(interval * 3 / 2, std::chrono::milliseconds(1000));
  }
}

void report_outcome(Printer& out, const json::Value& instance, double elapsed_ms) {
  // The server's own timing when it gives one: `sagas watch` may start late.
  const double created = epoch_ms(json::text(instance, "createdAt")),
               finished = epoch_ms(json::text(instance, "finishedAt"));
  if (created >= 0 && finished >= created) elapsed_ms = finished - created;
  const std::string id = json::text(instance, "id"), name = json::text(instance, "name"),
                    status = json::text(instance, "status");
  if (out.human()) {
    auto style = term::status_style(status);
    out.line(name + " " + id + " " + (style ? out.paint(status, *style) : status) + " after " +
             duration_text(elapsed_ms));
  } else {
    out.record(instance, {text_column("ID", "id"), text_column("NAME", "name"), status_column("STATUS", "status"),
                          text_column("ERROR", "error")});
  }
  if (status == "COMPLETED") return;
  const std::string error = error_text(json::at(instance, "error"));
  throw WorkflowFailed(name + " " + id + " ended " + status + (error.empty() ? "" : ": " + error));
}

} // namespace crmctl
