// LuaPatterns: see the header. Written from the manual's description of
// patterns; where the manual is silent (a ']' first in a set, '%' before a
// character that names no class), Lua 5.4's observable behaviour is followed,
// and LuaPatternsTest compares the two on a large table of calls.
#include "workflows/LuaPatterns.hpp"

#include <cstring>
#include <string>

namespace crm::workflows::patterns {

namespace {

// The C locale's character classes, spelled out so the host's locale never
// changes what a pattern means.
bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
bool is_alpha(unsigned char c) { return is_upper(c) || is_lower(c); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_control(unsigned char c) { return c < 32 || c == 127; }
bool is_graph(unsigned char c) { return c > 32 && c < 127; }
bool is_punct(unsigned char c) { return is_graph(c) && !is_alnum(c); }
bool is_hex(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Lifts the match depth for the life of one nested item.
class Nesting {
public:
  explicit Nesting(int& depth) : depth_(depth) {
    if (++depth_ > kMaxDepth) {
      --depth_;
      throw PatternError("pattern too complex");
    }
  }
  ~Nesting() { --depth_; }
  Nesting(const Nesting&) = delete;
  Nesting& operator=(const Nesting&) = delete;

private:
  int& depth_;
};

} // namespace

bool class_matches(unsigned char c, unsigned char letter) {
  const unsigned char lower = is_upper(letter) ? static_cast<unsigned char>(letter + ('a' - 'A')) : letter;
  bool in = false;
  switch (lower) {
  case 'a': in = is_alpha(c); break;
  case 'c': in = is_control(c); break;
  case 'd': in = is_digit(c); break;
  case 'g': in = is_graph(c); break;
  case 'l': in = is_lower(c); break;
  case 'p': in = is_punct(c); break;
  case 's': in = is_space(c); break;
  case 'u': in = is_upper(c); break;
  case 'w': in = is_alnum(c); break;
  case 'x': in = is_hex(c); break;
  default: return letter == c; // %. %% %] ...: the character itself
  }
  return is_upper(letter) ? !in : in;
}

bool is_plain(std::string_view pattern) { return pattern.find_first_of("^$*+?.([%-") == std::string_view::npos; }

std::optional<size_t> find_plain(std::string_view subject, std::string_view needle, size_t from, StepMeter& meter) {
  if (needle.empty()) return from;
  if (from > subject.size() || needle.size() > subject.size() - from) return std::nullopt;
  // Each position tried and each byte compared is a step: a needle of a
  // million a's in a subject of two million costs what it costs, and is stopped.
  std::uint64_t steps = 0;
  const size_t last = subject.size() - needle.size();
  std::optional<size_t> found;
  for (size_t at = from; at <= last; ++at) {
    size_t same = 0;
    while (same < needle.size() && subject[at + same] == needle[same]) ++same;
    steps += 1 + same;
    if (steps >= StepMeter::kSlice) {
      meter.spend(steps);
      steps = 0;
    }
    if (same == needle.size()) {
      found = at;
      break;
    }
  }
  if (steps) meter.spend(steps);
  return found;
}

void Matcher::settle() {
  if (!unsettled_) return;
  const std::uint64_t steps = unsettled_;
  unsettled_ = 0;
  meter_.spend(steps);
}

void Matcher::spend(std::uint64_t steps) {
  unsettled_ += steps;
  if (unsettled_ >= StepMeter::kSlice) settle();
}

size_t Matcher::match_at(size_t at) {
  level_ = 0;
  depth_ = 0;
  return match(at, 0);
}

// One past the single-character class at p: x, ., %x or [set].
size_t Matcher::item_end(size_t p) const {
  const size_t n = pattern_.size();
  const char first = pattern_[p++];
  if (first == '%') {
    if (p >= n) throw PatternError("malformed pattern (ends with '%')");
    return p + 1;
  }
  if (first == '[') {
    if (p < n && pattern_[p] == '^') ++p;
    // The first character of a set is a member even when it is ']'.
    do {
      if (p >= n) throw PatternError("malformed pattern (missing ']')");
      const char c = pattern_[p++];
      if (c == '%' && p < n) ++p; // %] and the like
    } while (p >= n || pattern_[p] != ']');
    return p + 1;
  }
  return p;
}

// Whether c belongs to the set between '[' at `open` and ']' at `close`.
bool Matcher::in_set(unsigned char c, size_t open, size_t close) {
  size_t i = open + 1;
  bool member = true;
  if (pattern_[i] == '^') {
    member = false;
    ++i;
  }
  for (; i < close; ++i) {
    step();
    const auto here = static_cast<unsigned char>(pattern_[i]);
    if (here == '%') {
      ++i;
      if (class_matches(c, static_cast<unsigned char>(pattern_[i]))) return member;
    } else if (i + 2 < close && pattern_[i + 1] == '-') {
      if (here <= c && c <= static_cast<unsigned char>(pattern_[i + 2])) return member;
      i += 2;
    } else if (here == c) {
      return member;
    }
  }
  return !member;
}

bool Matcher::single(unsigned char c, size_t p, size_t end) {
  step();
  switch (pattern_[p]) {
  case '.': return true;
  case '%': return class_matches(c, static_cast<unsigned char>(pattern_[p + 1]));
  case '[': return in_set(c, p, end - 1);
  default: return static_cast<unsigned char>(pattern_[p]) == c;
  }
}

size_t Matcher::match(size_t s, size_t p) {
  Nesting nesting(depth_);
  const size_t n = subject_.size();
  while (true) {
    step();
    if (p == pattern_.size()) return s;
    const char c = pattern_[p];
    if (c == '(') {
      if (p + 1 < pattern_.size() && pattern_[p + 1] == ')') return open_capture(s, p + 2, Capture::kPosition);
      return open_capture(s, p + 1, Capture::kUnfinished);
    }
    if (c == ')') return close_capture(s, p + 1);
    if (c == '$' && p + 1 == pattern_.size()) return s == n ? s : kNoMatch;
    if (c == '%' && p + 1 < pattern_.size()) {
      const char kind = pattern_[p + 1];
      if (kind == 'b') {
        s = balanced(s, p + 2);
        if (s == kNoMatch) return kNoMatch;
        p += 4;
        continue;
      }
      if (kind == 'f') {
        p += 2;
        if (p >= pattern_.size() || pattern_[p] != '[') throw PatternError("missing '[' after '%f' in pattern");
        const size_t end = item_end(p);
        // The subject's edges count as '\0'.
        const auto before = static_cast<unsigned char>(s == 0 ? '\0' : subject_[s - 1]);
        const auto after = static_cast<unsigned char>(s < n ? subject_[s] : '\0');
        if (in_set(before, p, end - 1) || !in_set(after, p, end - 1)) return kNoMatch;
        p = end;
        continue;
      }
      if (kind >= '0' && kind <= '9') {
        s = back_reference(s, kind);
        if (s == kNoMatch) return kNoMatch;
        p += 2;
        continue;
      }
    }
    // A single-character class, perhaps followed by a quantifier.
    const size_t end = item_end(p);
    const bool here = s < n && single(static_cast<unsigned char>(subject_[s]), p, end);
    const char quantifier = end < pattern_.size() ? pattern_[end] : '\0';
    if (end < pattern_.size() && quantifier == '?') {
      if (here) {
        const size_t r = match(s + 1, end + 1);
        if (r != kNoMatch) return r;
      }
      p = end + 1;
      continue;
    }
    if (end < pattern_.size() && quantifier == '+') return here ? longest(s + 1, p, end) : kNoMatch;
    if (end < pattern_.size() && quantifier == '*') return longest(s, p, end);
    if (end < pattern_.size() && quantifier == '-') return shortest(s, p, end);
    if (!here) return kNoMatch;
    ++s;
    p = end;
  }
}

// As many as possible, then fewer until the rest matches.
size_t Matcher::longest(size_t s, size_t p, size_t end) {
  size_t count = 0;
  while (s + count < subject_.size() && single(static_cast<unsigned char>(subject_[s + count]), p, end)) ++count;
  while (true) {
    const size_t r = match(s + count, end + 1);
    if (r != kNoMatch) return r;
    if (count == 0) return kNoMatch;
    --count;
  }
}

// As few as possible, then more until the rest matches.
size_t Matcher::shortest(size_t s, size_t p, size_t end) {
  while (true) {
    const size_t r = match(s, end + 1);
    if (r != kNoMatch) return r;
    if (s < subject_.size() && single(static_cast<unsigned char>(subject_[s]), p, end)) ++s;
    else return kNoMatch;
  }
}

size_t Matcher::open_capture(size_t s, size_t p, std::ptrdiff_t kind) {
  if (level_ >= kMaxCaptures) throw PatternError("too many captures");
  captures_[static_cast<size_t>(level_)] = Capture{s, kind};
  ++level_;
  const size_t r = match(s, p);
  if (r == kNoMatch) --level_;
  return r;
}

size_t Matcher::close_capture(size_t s, size_t p) {
  int open = level_ - 1;
  while (open >= 0 && captures_[static_cast<size_t>(open)].length != Capture::kUnfinished) --open;
  if (open < 0) throw PatternError("invalid pattern capture");
  Capture& cap = captures_[static_cast<size_t>(open)];
  cap.length = static_cast<std::ptrdiff_t>(s - cap.start);
  const size_t r = match(s, p);
  if (r == kNoMatch) cap.length = Capture::kUnfinished;
  return r;
}

// %bxy at s: x, then text where x and y balance, then the y that closes it.
size_t Matcher::balanced(size_t s, size_t p) {
  if (p + 1 >= pattern_.size()) throw PatternError("malformed pattern (missing arguments to '%b')");
  const char open = pattern_[p], close = pattern_[p + 1];
  if (s >= subject_.size() || subject_[s] != open) return kNoMatch;
  int depth = 1;
  while (++s < subject_.size()) {
    step();
    const char c = subject_[s];
    if (c == close) {
      if (--depth == 0) return s + 1;
    } else if (c == open) {
      ++depth;
    }
  }
  return kNoMatch;
}

// %1..%9: the text of a closed capture again. A position capture has no text
// and matches nothing.
size_t Matcher::back_reference(size_t s, char digit) {
  const int index = digit - '1';
  if (index < 0 || index >= level_ || captures_[static_cast<size_t>(index)].length == Capture::kUnfinished)
    throw PatternError(std::string("invalid capture index %") + std::to_string(index + 1) + " in pattern");
  const Capture& cap = captures_[static_cast<size_t>(index)];
  if (cap.length == Capture::kPosition) return kNoMatch;
  const auto length = static_cast<size_t>(cap.length);
  spend(length);
  if (subject_.size() - s < length || std::memcmp(subject_.data() + cap.start, subject_.data() + s, length) != 0)
    return kNoMatch;
  return s + length;
}

} // namespace crm::workflows::patterns
