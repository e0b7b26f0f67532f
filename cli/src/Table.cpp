// Table: see the header.
#include "Table.hpp"

#include <algorithm>

namespace crmctl {

size_t display_width(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n; // count lead bytes only
  return n;
}

std::string truncate_text(std::string_view text, size_t width) {
  if (width == 0 || display_width(text) <= width) return std::string(text);
  const size_t keep = width > 3 ? width - 3 : 0;
  size_t chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == keep) break;
      ++chars;
    }
  }
  return std::string(text.substr(0, i)) + std::string(std::min<size_t>(width, 3), '.');
}

namespace {

// A cell as one line: line breaks and tabs would break the alignment.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return out;
}

} // namespace

void write_aligned(std::ostream& out, const Table& table, const AlignedStyle& style) {
  const size_t columns = table.headers.size();
  auto cell_text = [&](size_t column, const std::string& raw) {
    std::string text = raw.empty() ? style.empty : one_line(raw);
    if (column < style.max_widths.size()) text = truncate_text(text, style.max_widths[column]);
    return text;
  };

  std::vector<std::vector<std::string>> cells;
  cells.reserve(table.rows.size());
  std::vector<size_t> widths(columns, 0);
  if (style.headers)
    for (size_t c = 0; c < columns; ++c) widths[c] = display_width(table.headers[c]);
  for (const auto& row : table.rows) {
    std::vector<std::string> line;
    for (size_t c = 0; c < columns; ++c) {
      line.push_back(cell_text(c, c < row.size() ? row[c] : std::string()));
      widths[c] = std::max(widths[c], display_width(line.back()));
    }
    cells.push_back(std::move(line));
  }

  auto pad = [&](const std::string& text, size_t c) {
    // The last column is not padded: no trailing spaces.
    if (c + 1 == columns) return text;
    return text + std::string(widths[c] - display_width(text), ' ');
  };
  if (style.headers) {
    for (size_t c = 0; c < columns; ++c) {
      if (c) out << "  ";
      std::string padded = pad(table.headers[c], c);
      out << (style.paint_header ? style.paint_header(std::move(padded)) : padded);
    }
    out << '\n';
  }
  for (size_t r = 0; r < cells.size(); ++r) {
    for (size_t c = 0; c < columns; ++c) {
      if (c) out << "  ";
      std::string padded = pad(cells[r][c], c);
      const std::string& raw = c < table.rows[r].size() ? table.rows[r][c] : std::string();
      out << (style.paint ? style.paint(c, raw, std::move(padded)) : padded);
    }
    out << '\n';
  }
}

std::string formula_safe(std::string_view text) {
  std::string out;
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) out += '\'';
  out += text;
  return out;
}

std::string csv_field(std::string_view field) {
  const std::string safe = formula_safe(field);
  const std::string_view text = safe;
  const bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

void write_csv(std::ostream& out, const Table& table, bool headers) {
  auto line = [&](const std::vector<std::string>& fields, size_t columns) {
    for (size_t c = 0; c < columns; ++c) {
      if (c) out << ',';
      if (c < fields.size()) out << csv_field(fields[c]);
    }
    out << '\n';
  };
  if (headers) line(table.headers, table.headers.size());
  for (const auto& row : table.rows) line(row, table.headers.size());
}

} // namespace crmctl
