// Table: rows of text cells under named columns, written either as aligned
// columns for people or as CSV (RFC 4180 quoting) for scripts. Pure: no
// terminal, no JSON; the Printer decides what goes in and which form comes out.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace crmctl {

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
};

struct AlignedStyle {
  bool headers = true;
  // Cells longer than this many characters (per column; 0: no limit) are cut
  // and end with "...". Used on a terminal only: a pipe gets everything.
  std::vector<size_t> max_widths;
  // Shown instead of an empty cell (keeps the columns readable).
  std::string empty = "-";
  // Wraps a cell's padded text in colour; gets (column, plain cell, padded text).
  std::function<std::string(size_t, const std::string&, std::string)> paint;
  // Wraps the padded header line's cells.
  std::function<std::string(std::string)> paint_header;
};

// Columns separated by two spaces, each as wide as its widest cell (counted
// in characters, not bytes); no trailing spaces.
void write_aligned(std::ostream& out, const Table& table, const AlignedStyle& style = {});

// One line per row, "a,b,c\n"; headers first unless `headers` is false.
void write_csv(std::ostream& out, const Table& table, bool headers = true);

// A CSV field: neutralised against formulas (formula_safe), then quoted when
// it holds a comma, quote, line break or leading/trailing space, with quotes
// doubled.
std::string csv_field(std::string_view text);

// The OWASP rule against CSV injection: a field starting with =, +, -, @, TAB
// or CR gets a leading ' so a spreadsheet shows it as text. Every field,
// headers and numbers included (-5 becomes '-5): telling a number from a
// formula is what let "-1+1+cmd|' /C calc'!A0" through.
std::string formula_safe(std::string_view text);

// The number of characters (UTF-8 code points) in `text`.
size_t display_width(std::string_view text);

// `text` cut to at most `width` characters, the last three being "..." when cut.
std::string truncate_text(std::string_view text, size_t width);

} // namespace crmctl
