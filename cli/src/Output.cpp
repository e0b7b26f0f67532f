// Output: see the header.
#include "Output.hpp"

#include "Errors.hpp"
#include "Json.hpp"

#include <cctype>
#include <iostream>

namespace crmctl {

Format parse_format(const std::string& text) {
  if (text == "table") return Format::Table;
  if (text == "json") return Format::Json;
  if (text == "csv") return Format::Csv;
  throw UsageError("unknown output format " + text + " (table, json or csv)");
}

std::string label_of(const std::string& header) {
  std::string out;
  for (size_t i = 0; i < header.size(); ++i)
    out += i == 0 ? header[i] : static_cast<char>(std::tolower(static_cast<unsigned char>(header[i])));
  return out;
}

Printer::Printer(Format format, bool headers)
    : Printer(format, headers, std::cout, std::cerr, term::colour_enabled(1), term::is_tty(1)) {
  err_colour_ = term::colour_enabled(2);
}

Printer::Printer(Format format, bool headers, std::ostream& out, std::ostream& err, bool colour, bool terminal)
    : format_(format), headers_(headers), out_(out), err_(err), colour_(colour), err_colour_(colour),
      terminal_(terminal) {}

std::string Printer::short_time(const std::string& t) {
  // 2024-05-01T10:00:00.123Z -> 2024-05-01 10:00:00 (UTC, as the API gives it)
  if (t.size() < 19 || t[10] != 'T') return t;
  return t.substr(0, 10) + " " + t.substr(11, 8);
}

std::string Printer::cell(const json::Value& object, const Column& column) {
  return column.value ? column.value(object) : json::text(object, column.path);
}

void Printer::write_table(const Table& table, const std::vector<Column::Kind>& kinds,
                          const std::vector<size_t>& max_widths) {
  if (format_ == Format::Csv) {
    write_csv(out_, table, headers_);
    return;
  }
  AlignedStyle style;
  style.headers = headers_;
  if (terminal_) style.max_widths = max_widths;
  if (colour_) {
    style.paint_header = [](std::string text) { return term::paint(text, term::Style::Bold, true); };
    style.paint = [&kinds](size_t column, const std::string& raw, std::string padded) {
      if (column >= kinds.size() || kinds[column] != Column::Kind::Status) return padded;
      auto s = term::status_style(raw);
      return s ? term::paint(padded, *s, true) : padded;
    };
  }
  write_aligned(out_, table, style);
}

void Printer::list(const json::Value& items, const std::vector<Column>& columns, const std::string& empty_note) {
  if (format_ == Format::Json) {
    json(items.is_array() ? items : json::Value::array());
    return;
  }
  Table t;
  std::vector<Column::Kind> kinds;
  std::vector<size_t> widths;
  for (const auto& c : columns) {
    t.headers.push_back(format_ == Format::Csv ? c.path : c.header);
    kinds.push_back(c.kind);
    widths.push_back(c.max_width);
  }
  const size_t n = items.items().size();
  for (const auto& object : items.items()) {
    std::vector<std::string> row;
    for (const auto& c : columns) {
      std::string text = cell(object, c);
      if (format_ == Format::Table && c.kind == Column::Kind::Time) text = short_time(text);
      row.push_back(std::move(text));
    }
    t.rows.push_back(std::move(row));
  }
  if (n == 0 && format_ == Format::Table) {
    note(empty_note);
    return;
  }
  write_table(t, kinds, widths);
}

void Printer::record(const json::Value& object, const std::vector<Column>& fields) {
  if (format_ == Format::Json) {
    json(object);
    return;
  }
  if (format_ == Format::Csv) {
    json::Value one = json::Value::array();
    one.push(object);
    list(one, fields);
    return;
  }
  // Label  value, one per line; a label column never has a header.
  Table t;
  t.headers = {"", ""};
  std::vector<Column::Kind> kinds{Column::Kind::Text, Column::Kind::Text};
  for (const auto& f : fields) {
    std::string text = cell(object, f);
    if (f.kind == Column::Kind::Time) text = short_time(text);
    t.rows.push_back({label_of(f.header) + ":", text});
  }
  AlignedStyle style;
  style.headers = false;
  if (colour_) {
    style.paint = [](size_t column, const std::string& raw, std::string padded) {
      if (column == 0) return term::paint(padded, term::Style::Bold, true);
      auto s = term::status_style(raw);
      return s ? term::paint(padded, *s, true) : padded;
    };
  }
  write_aligned(out_, t, style);
}

void Printer::table(const Table& table, const std::vector<std::string>& keys, const std::vector<Column::Kind>& kinds) {
  if (format_ == Format::Json) {
    json::Value rows = json::Value::array();
    for (const auto& row : table.rows) {
      json::Value o = json::Value::object();
      for (size_t c = 0; c < keys.size() && c < row.size(); ++c) o.set(keys[c], row[c]);
      rows.push(std::move(o));
    }
    json(rows);
    return;
  }
  Table t = table;
  if (format_ == Format::Csv) t.headers = keys;
  write_table(t, kinds, {});
}

void Printer::json(const json::Value& value) { out_ << json::write(value, 2) << '\n'; }

void Printer::line(const std::string& text) {
  if (format_ == Format::Table) out_ << text << '\n';
}

void Printer::note(const std::string& text) { err_ << text << '\n'; }

} // namespace crmctl
