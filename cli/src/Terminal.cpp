// Terminal: see the header.
#include "Terminal.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace crmctl::term {

bool is_tty(int fd) { return ::isatty(fd) == 1; }

bool can_redraw(int fd) {
  const char* term = std::getenv("TERM");
  return is_tty(fd) && !(term && std::strcmp(term, "dumb") == 0);
}

bool colour_enabled(int fd) {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour && *no_colour) return false;
  return can_redraw(fd);
}

std::string paint(std::string_view text, Style style, bool enabled) {
  if (!enabled) return std::string(text);
  const char* code = "";
  switch (style) {
  case Style::Bold:
    code = "\033[1m";
    break;
  case Style::Dim:
    code = "\033[2m";
    break;
  case Style::Red:
    code = "\033[31m";
    break;
  case Style::Green:
    code = "\033[32m";
    break;
  case Style::Yellow:
    code = "\033[33m";
    break;
  case Style::Cyan:
    code = "\033[36m";
    break;
  }
  return std::string(code) + std::string(text) + "\033[0m";
}

std::optional<Style> status_style(std::string_view word) {
  for (std::string_view good : {"COMPLETED", "LIVE", "LOADED", "ok", "ACTIVE", "APPROVED"})
    if (word == good) return Style::Green;
  for (std::string_view bad : {"FAILED", "REFUSED", "INVALID", "down", "unavailable", "COMPENSATED", "REJECTED"})
    if (word == bad) return Style::Red;
  for (std::string_view busy : {"RUNNING", "WAITING", "PENDING", "degraded", "CANCELLED", "INACTIVE"})
    if (word == busy) return Style::Yellow;
  return std::nullopt;
}

int width() {
  winsize size{};
  for (int fd : {1, 2})
    if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 0;
}

namespace {

// The controlling terminal, opened for reading and writing; -1 when none.
class Tty {
public:
  Tty() : fd_(::open("/dev/tty", O_RDWR | O_CLOEXEC)) {}
  ~Tty() {
    if (fd_ >= 0) ::close(fd_);
  }
  Tty(const Tty&) = delete;
  Tty& operator=(const Tty&) = delete;
  int fd() const { return fd_; }

  void write(std::string_view text) {
    while (!text.empty()) {
      const ssize_t n = ::write(fd_, text.data(), text.size());
      if (n <= 0) return;
      text.remove_prefix(static_cast<size_t>(n));
    }
  }

  std::optional<std::string> read_line() {
    std::string line;
    char c;
    for (;;) {
      const ssize_t n = ::read(fd_, &c, 1);
      if (n <= 0) return line.empty() ? std::nullopt : std::optional<std::string>(line);
      if (c == '\n') return line;
      if (c != '\r') line.push_back(c);
    }
  }

private:
  int fd_;
};

} // namespace

std::optional<std::string> ask(const std::string& prompt) {
  Tty tty;
  if (tty.fd() < 0) return std::nullopt;
  tty.write(prompt);
  return tty.read_line();
}

namespace {

// Ctrl-C at the password prompt must not leave the terminal without echo:
// the handler puts the settings back, then dies of SIGINT as usual.
int g_secret_fd = -1;
termios g_secret_before{};

extern "C" void restore_echo_and_die(int signal) {
  if (g_secret_fd >= 0) ::tcsetattr(g_secret_fd, TCSAFLUSH, &g_secret_before);
  ::write(g_secret_fd, "\n", 1);
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

} // namespace

std::optional<std::string> ask_secret(const std::string& prompt) {
  Tty tty;
  if (tty.fd() < 0) return std::nullopt;
  const bool have_termios = ::tcgetattr(tty.fd(), &g_secret_before) == 0;
  struct sigaction old_int {
  }, old_term{}, restore{};
  if (have_termios) {
    g_secret_fd = tty.fd();
    restore.sa_handler = restore_echo_and_die;
    sigemptyset(&restore.sa_mask);
    ::sigaction(SIGINT, &restore, &old_int);
    ::sigaction(SIGTERM, &restore, &old_term);
    termios quiet = g_secret_before;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(tty.fd(), TCSAFLUSH, &quiet);
  }
  tty.write(prompt);
  auto line = tty.read_line();
  if (have_termios) {
    ::tcsetattr(tty.fd(), TCSAFLUSH, &g_secret_before);
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    g_secret_fd = -1;
  }
  return line;
}

} // namespace crmctl::term
