// Output: how a command's result reaches stdout in the form asked with -o.
//
//   table (default)  aligned columns with headers, for people; on a terminal,
//                    statuses in colour, long cells cut, times shortened
//   json             the API's own objects, pretty, keys sorted: an array for
//                    a list, an object for one record; stable for scripts
//   csv              the same columns as the table, full values, headers are
//                    the JSON field names
//
// --no-headers drops the header line of table and csv. Notes for people
// (empty lists, next-page hints, progress) go to stderr, never into the data.
#pragma once

#include "Table.hpp"
#include "Terminal.hpp"

#include "Json.hpp"

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace crmctl {

enum class Format { Table, Json, Csv };

struct Column {
  enum class Kind { Text, Status, Time };
  std::string header; // table header ("LAST LOGIN")
  std::string path;   // JSON field, dotted for nested ("user.email"); the CSV header
  Kind kind = Kind::Text;
  size_t max_width = 0; // cut on a terminal; 0: never
  // A computed value instead of the field (e.g. a count).
  std::function<std::string(const json::Value&)> value = {};
};

inline Column text_column(std::string header, std::string path, size_t max_width = 0) {
  return {std::move(header), std::move(path), Column::Kind::Text, max_width};
}
inline Column status_column(std::string header, std::string path) {
  return {std::move(header), std::move(path), Column::Kind::Status, 0};
}
inline Column time_column(std::string header, std::string path) {
  return {std::move(header), std::move(path), Column::Kind::Time, 0};
}

class Printer {
public:
  Printer(Format format, bool headers);
  // For tests: writes to `out`/`err` with colour and terminal rules given.
  Printer(Format format, bool headers, std::ostream& out, std::ostream& err, bool colour, bool terminal);

  Format format() const { return format_; }
  bool human() const { return format_ == Format::Table; }
  bool colour() const { return colour_; }
  bool err_colour() const { return err_colour_; }

  // A list of objects; `empty_note` goes to stderr in table mode when there are none.
  void list(const json::Value& items, const std::vector<Column>& columns, const std::string& empty_note = "none");
  // One object: "Label  value" lines, a one-row CSV, or the object itself.
  void record(const json::Value& object, const std::vector<Column>& fields);
  // A ready-made table (json: an array of objects keyed by `keys`).
  void table(const Table& table, const std::vector<std::string>& keys, const std::vector<Column::Kind>& kinds = {});
  // Any JSON value, pretty (json mode).
  void json(const json::Value& value);
  // A line of text on stdout, for people (table mode only).
  void line(const std::string& text);
  // A line on stderr: hints, notes, progress; shown in every mode.
  void note(const std::string& text);

  std::string paint(const std::string& text, term::Style style) const { return term::paint(text, style, colour_); }

  // A cell's text as the table shows it (times shortened) and as CSV has it.
  static std::string cell(const json::Value& object, const Column& column);
  static std::string short_time(const std::string& rfc3339);

private:
  void write_table(const Table& table, const std::vector<Column::Kind>& kinds, const std::vector<size_t>& max_widths);

  Format format_;
  bool headers_;
  std::ostream& out_;
  std::ostream& err_;
  bool colour_;
  bool err_colour_;
  bool terminal_;
};

// "table", "json" or "csv"; anything else is a UsageError.
Format parse_format(const std::string& text);

// "LAST LOGIN" -> "Last login": a table header as a record label.
std::string label_of(const std::string& header);

} // namespace crmctl
