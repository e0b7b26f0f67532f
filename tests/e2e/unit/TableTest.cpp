// Table: aligned columns for people, RFC 4180 CSV for scripts.
#include "Table.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace crmctl;

namespace {

std::string aligned(const Table& t, const AlignedStyle& style = {}) {
  std::ostringstream out;
  write_aligned(out, t, style);
  return out.str();
}

std::string csv(const Table& t, bool headers = true) {
  std::ostringstream out;
  write_csv(out, t, headers);
  return out.str();
}

} // namespace

TEST_CASE("columns are as wide as their widest cell, two spaces apart, without trailing spaces", "[crmctl][table]") {
  Table t{{"ID", "EMAIL", "ROLE"}, {{"1", "ann@example.com", "SALES"}, {"22", "b@x.io", "ADMIN"}}};
  CHECK(aligned(t) == "ID  EMAIL            ROLE\n"
                      "1   ann@example.com  SALES\n"
                      "22  b@x.io           ADMIN\n");
}

TEST_CASE("an empty cell shows a dash and headers can be left out", "[crmctl][table]") {
  Table t{{"A", "B"}, {{"x", ""}}};
  AlignedStyle style;
  style.headers = false;
  CHECK(aligned(t, style) == "x  -\n");
}

TEST_CASE("widths count characters, not bytes", "[crmctl][table]") {
  Table t{{"NAME", "N"}, {{"Zoë", "1"}, {"Bob", "2"}}};
  CHECK(aligned(t) == "NAME  N\nZoë   1\nBob   2\n");
  CHECK(display_width("Zoë") == 3);
}

TEST_CASE("a cut cell ends with dots and keeps its width", "[crmctl][table]") {
  CHECK(truncate_text("abcdefghij", 6) == "abc...");
  CHECK(truncate_text("abc", 6) == "abc");
  CHECK(truncate_text("ééééééé", 5) == "éé...");
  Table t{{"E", "X"}, {{"a long error message", "1"}}};
  AlignedStyle style;
  style.max_widths = {8, 0};
  CHECK(aligned(t, style) == "E         X\na lon...  1\n");
}

TEST_CASE("line breaks inside a cell do not break the table", "[crmctl][table]") {
  Table t{{"A"}, {{"one\ntwo"}}};
  CHECK(aligned(t) == "A\none two\n");
}

TEST_CASE("CSV quotes only the fields that need it and doubles quotes", "[crmctl][csv]") {
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field(" padded") == "\" padded\"");
  CHECK(csv_field("") == "");
}

TEST_CASE("a CSV field starting with = + - @ TAB or CR gets a leading quote, numbers included", "[crmctl][csv]") {
  CHECK(csv_field("-1+1+cmd|' /C calc'!A0") == "'-1+1+cmd|' /C calc'!A0");
  CHECK(csv_field("\t=1+1") == "'\t=1+1");
  CHECK(csv_field("\r=1") == "\"'\r=1\"");
  CHECK(csv_field("=HYPERLINK(1)") == "'=HYPERLINK(1)");
  CHECK(csv_field("+1") == "'+1");
  CHECK(csv_field("@SUM(A1)") == "'@SUM(A1)");
  CHECK(csv_field("-5") == "'-5");
  CHECK(csv_field("=a,b") == "\"'=a,b\"");
  CHECK(csv_field("5-1") == "5-1");
  CHECK(csv_field("a=1") == "a=1");
}

TEST_CASE("every CSV line of crmctl is neutralised, the header's too", "[crmctl][csv]") {
  Table t{{"id", "@name"}, {{"-5", "=cmd"}}};
  CHECK(csv(t) == "id,'@name\n'-5,'=cmd\n");
}

TEST_CASE("CSV has a header line unless told not to, and short rows are filled", "[crmctl][csv]") {
  Table t{{"id", "name"}, {{"1", "Ann, Jr."}, {"2"}}};
  CHECK(csv(t) == "id,name\n1,\"Ann, Jr.\"\n2,\n");
  CHECK(csv(t, false) == "1,\"Ann, Jr.\"\n2,\n");
}
