// JsonSyntax: a small recursive-descent checker for RFC 8259 JSON.
#include "core/JsonSyntax.hpp"

#include <cctype>
#include <cstring>

namespace crm::core {

namespace {

class Checker {
public:
  explicit Checker(std::string_view t) : t_(t) {}

  bool run(JsonSyntaxError* error) {
    ws();
    bool ok = value(0);
    if (ok) {
      ws();
      if (p_ < t_.size()) ok = fail("unexpected text after the JSON value");
    }
    if (!ok && error) {
      error->line = 1;
      error->column = 1;
      for (size_t i = 0; i < p_ && i < t_.size(); ++i) {
        if (t_[i] == '\n') ++error->line, error->column = 1;
        else ++error->column;
      }
      error->message = message_;
    }
    return ok;
  }

private:
  bool fail(const char* m) {
    if (message_.empty()) message_ = m;
    return false;
  }
  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) ++p_;
  }
  bool eof() const { return p_ >= t_.size(); }
  bool literal(const char* word) {
    size_t n = std::strlen(word);
    if (t_.substr(p_, n) != word) return fail("invalid literal");
    p_ += n;
    return true;
  }
  bool value(int depth) {
    if (depth > 512) return fail("nested too deeply");
    if (eof()) return fail("unexpected end of input");
    switch (t_[p_]) {
    case '{': return object(depth);
    case '[': return array(depth);
    case '"': return string();
    case 't': return literal("true");
    case 'f': return literal("false");
    case 'n': return literal("null");
    default: return number();
    }
  }
  bool object(int depth) {
    ++p_;
    ws();
    if (!eof() && t_[p_] == '}') return ++p_, true;
    for (;;) {
      ws();
      if (eof() || t_[p_] != '"') return fail("expected a quoted member name");
      if (!string()) return false;
      ws();
      if (eof() || t_[p_] != ':') return fail("expected ':' after the member name");
      ++p_;
      ws();
      if (!value(depth + 1)) return false;
      ws();
      if (eof()) return fail("unexpected end of input, expected ',' or '}'");
      if (t_[p_] == ',') { ++p_; continue; }
      if (t_[p_] == '}') return ++p_, true;
      return fail("expected ',' or '}'");
    }
  }
  bool array(int depth) {
    ++p_;
    ws();
    if (!eof() && t_[p_] == ']') return ++p_, true;
    for (;;) {
      ws();
      if (!value(depth + 1)) return false;
      ws();
      if (eof()) return fail("unexpected end of input, expected ',' or ']'");
      if (t_[p_] == ',') { ++p_; continue; }
      if (t_[p_] == ']') return ++p_, true;
      return fail("expected ',' or ']'");
    }
  }
  bool string() {
    ++p_;
    while (!eof()) {
      unsigned char c = static_cast<unsigned char>(t_[p_]);
      if (c == '"') return ++p_, true;
      if (c < 0x20) return fail("control character in a string");
      if (c == '\\') {
        ++p_;
        if (eof()) break;
        char e = t_[p_];
        if (e == 'u') {
          for (int i = 1; i <= 4; ++i)
            if (p_ + i >= t_.size() || !std::isxdigit(static_cast<unsigned char>(t_[p_ + i])))
              return fail("invalid \\u escape");
          p_ += 4;
        } else if (!std::strchr("\"\\/bfnrt", e)) {
          return fail("invalid escape in a string");
        }
      }
      ++p_;
    }
    return fail("unterminated string");
  }
  bool digits() {
    size_t start = p_;
    while (!eof() && std::isdigit(static_cast<unsigned char>(t_[p_]))) ++p_;
    return p_ > start;
  }
  bool number() {
    if (t_[p_] == '-') ++p_;
    if (eof()) return fail("unexpected end of input");
    if (t_[p_] == '0') ++p_;
    else if (!digits()) return fail("unexpected character");
    if (!eof() && t_[p_] == '.') {
      ++p_;
      if (!digits()) return fail("expected digits after '.'");
    }
    if (!eof() && (t_[p_] == 'e' || t_[p_] == 'E')) {
      ++p_;
      if (!eof() && (t_[p_] == '+' || t_[p_] == '-')) ++p_;
      if (!digits()) return fail("expected digits in the exponent");
    }
    return true;
  }

  std::string_view t_;
  size_t p_ = 0;
  std::string message_;
};

} // namespace

bool check_json_syntax(std::string_view text, JsonSyntaxError* error) { return Checker(text).run(error); }

} // namespace crm::core
