// LuaPatterns: the patterns of Lua 5.4 (reference manual §6.4.1) matched by
// the host itself, step by step, so that a pattern that backtracks without end
// (string.rep("a*", 40) .. "b" against forty a's) is stopped by the script's
// budget instead of holding a core: Lua's own matcher runs inside C, where the
// instruction hook never looks. The sandbox's string.find, match, gmatch and
// gsub run on this (LuaPatternFunctions.cpp). Pure C++, no Lua state.
//
// A Matcher tells its StepMeter the steps it takes (a character tried, a
// backtrack, a byte compared); the meter may throw to end the match at once.
// A malformed pattern throws PatternError with Lua's wording, when the
// matcher reaches the faulty item, as Lua does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace crm::workflows::patterns {

class PatternError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Told the steps a match takes, a slice at a time; throws to stop the match.
class StepMeter {
public:
  static constexpr std::uint32_t kSlice = 1024;
  virtual ~StepMeter() = default;
  virtual void spend(std::uint64_t steps) = 0;
};

struct Capture {
  static constexpr std::ptrdiff_t kUnfinished = -1; // '(' seen, ')' not yet
  static constexpr std::ptrdiff_t kPosition = -2;   // "()": a position, no text
  size_t start = 0;
  std::ptrdiff_t length = kUnfinished;
};

constexpr size_t kNoMatch = static_cast<size_t>(-1);
constexpr int kMaxCaptures = 32;
// Nested pattern items (quantifiers, captures) a match may hold open.
constexpr int kMaxDepth = 200;

class Matcher {
public:
  // `pattern` without an anchoring '^' (the callers decide what '^' means).
  Matcher(std::string_view subject, std::string_view pattern, StepMeter& meter)
      : subject_(subject), pattern_(pattern), meter_(meter) {}

  // The pattern tried at subject position `at`: the end of the match, or
  // kNoMatch. The captures of a match stay readable until the next try.
  size_t match_at(size_t at);
  int capture_count() const { return level_; }
  const Capture& capture(int i) const { return captures_[static_cast<size_t>(i)]; }

  // Tells the meter the steps not told yet; call when done with the matcher.
  void settle();
  // Counts `steps` more (a comparison outside the matcher, e.g. a plain search).
  void spend(std::uint64_t steps);

private:
  size_t match(size_t s, size_t p);
  size_t open_capture(size_t s, size_t p, std::ptrdiff_t kind);
  size_t close_capture(size_t s, size_t p);
  size_t balanced(size_t s, size_t p);
  size_t back_reference(size_t s, char digit);
  size_t longest(size_t s, size_t p, size_t item_end);
  size_t shortest(size_t s, size_t p, size_t item_end);
  size_t item_end(size_t p) const;
  bool single(unsigned char c, size_t p, size_t item_end);
  bool in_set(unsigned char c, size_t open, size_t close);
  void step() {
    if (++unsettled_ >= StepMeter::kSlice) settle();
  }

  std::string_view subject_, pattern_;
  StepMeter& meter_;
  std::uint64_t unsettled_ = 0;
  int depth_ = 0;
  int level_ = 0;
  std::array<Capture, kMaxCaptures> captures_{};
};

// Whether `c` belongs to class %<letter> (an upper-case letter: the
// complement); any other character after '%' stands for itself.
bool class_matches(unsigned char c, unsigned char letter);

// True when `pattern` holds none of ^$*+?.([%- : string.find searches it as
// plain text.
bool is_plain(std::string_view pattern);

// The first occurrence of `needle` at or after `from`, counting steps.
std::optional<size_t> find_plain(std::string_view subject, std::string_view needle, size_t from, StepMeter& meter);

} // namespace crm::workflows::patterns
