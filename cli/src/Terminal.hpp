// Terminal: what crmctl asks of the terminal it runs in. Colour only when the
// stream is a terminal and NO_COLOR is unset (https://no-color.org) and TERM is
// not "dumb"; questions (email, password) go to /dev/tty, so they work while
// stdout is piped, and a password is read with echo off.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace crmctl::term {

enum class Style { Bold, Dim, Red, Green, Yellow, Cyan };

// isatty(fd).
bool is_tty(int fd);

// Colour on `fd` (1 stdout, 2 stderr): a terminal, no NO_COLOR, TERM not dumb.
bool colour_enabled(int fd);

// `text` wrapped in the ANSI codes of `style` when `enabled`, else unchanged.
std::string paint(std::string_view text, Style style, bool enabled);

// A line on `fd` can be redrawn in place (\r and erase-line): a terminal
// whose TERM is not "dumb". Unrelated to colour: NO_COLOR does not stop it.
bool can_redraw(int fd);

// The colour a status word deserves (COMPLETED green, FAILED red, RUNNING
// yellow...), or nullopt for words that are not statuses.
std::optional<Style> status_style(std::string_view word);

// The terminal's width in columns (stdout, else stderr), 0 when unknown.
int width();

// Asks on /dev/tty and reads one line; nullopt when there is no terminal.
std::optional<std::string> ask(const std::string& prompt);

// The same with echo off (a password); a newline is printed after it.
std::optional<std::string> ask_secret(const std::string& prompt);

} // namespace crmctl::term
