// Router: maps (HTTP method, path) to the target a plugin registered for a
// path template such as /api/customers/{id}/investment-profile.
//
// Built once, then only read: the host builds a new Router (a copy plus the new
// plugin's routes) and swaps it in, so a Router is a plain copyable value and
// match() is const and safe from any number of threads.
//
// Routes live in a segment trie (literal children, plus at most one parameter
// child per node). Matching prefers literal segments and backtracks into the
// parameter branch when a literal branch dead-ends or lacks the method, so
// /api/customers/stats and /api/customers/{id} coexist. Each trie node is
// reached by exactly one choice sequence, so a match visits every node at most
// once whatever the routes. It allocates nothing beyond the parameter values
// longer than std::string's inline buffer (and a decode buffer for segments
// that hold percent escapes); a 405 builds its Allow text.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crm::core {

// The outcome of Router::match(), the same type for every Router<Target>.
enum class RouteMatchKind { Found, MethodNotAllowed, NotFound };

template <typename Target>
class Router {
public:
  // Parameters per template; Match holds them inline, without a heap vector.
  static constexpr std::size_t kMaxParams = 8;

  struct Route {
    std::string method;                   // "GET", ...
    std::string path_template;            // as given to add()
    Target target;
    std::vector<std::string> param_names; // in path order
  };

  struct PathParam {
    std::string_view name; // points into the Router's route table
    std::string value;     // percent-decoded
  };

  // Fixed-capacity list of the matched path parameters, in path order.
  class PathParams {
  public:
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const PathParam* begin() const { return items_.data(); }
    const PathParam* end() const { return items_.data() + size_; }
    const PathParam& operator[](std::size_t i) const { return items_[i]; }
    // The decoded value of parameter `name`, or nullptr.
    const std::string* find(std::string_view name) const {
      for (std::size_t i = 0; i < size_; ++i)
        if (items_[i].name == name) return &items_[i].value;
      return nullptr;
    }

  private:
    friend class Router;
    std::array<PathParam, kMaxParams> items_{};
    std::size_t size_ = 0;
  };

  struct Match {
    using Kind = RouteMatchKind;
    Kind kind = Kind::NotFound;
    // Found: the route and its target. Both point into the Router that produced
    // the match, valid as long as that Router lives (keep its shared_ptr).
    const Target* target = nullptr;
    const Route* route = nullptr;
    PathParams params;
    // MethodNotAllowed: the methods the path does have, "GET, PATCH, DELETE".
    std::string allow;

    // The decoded value of parameter `name`, or "" when there is none.
    std::string_view param(std::string_view name) const {
      const std::string* v = params.find(name);
      return v ? std::string_view(*v) : std::string_view();
    }
  };

  using const_iterator = typename std::vector<Route>::const_iterator;

  Router() { nodes_.emplace_back(); } // the root, path "/"

  // Registers `target` for `method` and `path_template`. Returns false and says
  // why in *error (when error is not null), leaving the Router unchanged, if the
  // template is malformed, the method unknown, or the same method already has a
  // route of the same shape (/x/{id} and /x/{key} are the same shape).
  bool add(std::string_view method, std::string_view path_template, Target target, std::string* error) {
    auto fail = [&](std::string why) {
      if (error) *error = std::move(why);
      return false;
    };
    const int m = method_index(method);
    if (m < 0) return fail("unsupported HTTP method '" + std::string(method) + "'");

    std::vector<Segment> segments;
    std::vector<std::string> names;
    if (std::string why; !parse_template(path_template, segments, names, why))
      return fail("malformed path template '" + std::string(path_template) + "': " + why);

    // Find the node first, creating nothing, so a refused route leaves no trace.
    std::uint32_t node = 0;
    std::size_t depth = 0;
    for (; depth < segments.size(); ++depth) {
      const std::uint32_t next = child_of(node, segments[depth]);
      if (next == kNone) break;
      node = next;
    }
    if (depth == segments.size() && nodes_[node].routes[m] != kNone) {
      const Route& other = routes_[nodes_[node].routes[m]];
      return fail(std::string(method) + " " + std::string(path_template) + " clashes with " + other.method +
                  " " + other.path_template + " (same method and path shape)");
    }
    for (; depth < segments.size(); ++depth) {
      const auto created = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back(); // may reallocate: index, never hold references across
      if (segments[depth].is_param)
        nodes_[node].param_child = created;
      else
        nodes_[node].literals.emplace_back(std::string(segments[depth].text), created);
      node = created;
    }
    nodes_[node].routes[m] = static_cast<std::uint32_t>(routes_.size());
    routes_.push_back(Route{std::string(method), std::string(path_template), std::move(target), std::move(names)});
    return true;
  }

  // Finds the route for `method` and `path`. `path` is the raw (still
  // percent-encoded) path without the query string; a trailing slash is
  // ignored. Invalid percent escapes, an encoded NUL and empty segments
  // ("/a//b") match nothing.
  Match match(std::string_view method, std::string_view path) const {
    Match result;
    if (path.empty() || path.front() != '/') return result;
    path.remove_prefix(1);
    if (!path.empty() && path.back() == '/') path.remove_suffix(1);

    Walk walk{method_index(method), path, result.params};
    const bool found = descend(0, path.empty() ? kConsumed : 0, walk) && !walk.invalid;
    if (found) {
      const Route& route = routes_[walk.found];
      result.kind = Match::Kind::Found;
      result.route = &route;
      result.target = &route.target;
      result.params.size_ = walk.depth;
      for (std::size_t i = 0; i < walk.depth; ++i) result.params.items_[i].name = route.param_names[i];
      return result;
    }
    result.params.size_ = 0;
    if (walk.invalid || walk.allow_mask == 0) return result;
    result.kind = Match::Kind::MethodNotAllowed;
    for (int i = 0; i < kMethodCount; ++i) {
      if (!(walk.allow_mask & (1u << i))) continue;
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += kMethods[i];
    }
    return result;
  }

  // Every route, in the order added: for listings and the OpenAPI document.
  std::size_t size() const { return routes_.size(); }
  bool empty() const { return routes_.empty(); }
  const_iterator begin() const { return routes_.begin(); }
  const_iterator end() const { return routes_.end(); }

private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  static constexpr std::size_t kConsumed = std::string_view::npos;
  static constexpr int kMethodCount = 7;
  // Also the order of the Allow header.
  static constexpr std::array<const char*, kMethodCount> kMethods{"GET",   "HEAD",   "POST",   "PUT",
                                                                   "PATCH", "DELETE", "OPTIONS"};

  struct Node {
    std::vector<std::pair<std::string, std::uint32_t>> literals; // segment -> node index
    std::uint32_t param_child = kNone;
    std::array<std::uint32_t, kMethodCount> routes = filled_with_none(); // method -> route index
  };

  struct Segment {
    std::string_view text; // literal text, or the parameter name
    bool is_param = false;
  };

  // State of one match() while it descends the trie.
  struct Walk {
    int method;
    std::string_view path;
    PathParams& params; // values are written in place, overwritten on backtrack
    std::size_t depth = 0;
    std::uint32_t found = kNone;
    unsigned allow_mask = 0; // methods of every node the path reached
    bool invalid = false;
  };

  static std::array<std::uint32_t, kMethodCount> filled_with_none() {
    std::array<std::uint32_t, kMethodCount> a;
    a.fill(kNone);
    return a;
  }

  static int method_index(std::string_view method) {
    for (int i = 0; i < kMethodCount; ++i)
      if (method == kMethods[i]) return i;
    return -1;
  }

  std::uint32_t child_of(std::uint32_t node, const Segment& s) const {
    const Node& n = nodes_[node];
    if (s.is_param) return n.param_child;
    for (const auto& [text, index] : n.literals)
      if (text == s.text) return index;
    return kNone;
  }

  static bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
  static bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
  // RFC 3986 pchar without '%': a literal is compared with the decoded segment,
  // so it holds the characters themselves, never escapes.
  static bool is_literal_char(char c) {
    if (is_name_char(c)) return true;
    switch (c) {
    case '-': case '.': case '~': case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=': case ':': case '@': return true;
    default: return false;
    }
  }

  static bool parse_template(std::string_view t, std::vector<Segment>& out, std::vector<std::string>& names,
                             std::string& why) {
    if (t.empty() || t.front() != '/') return why = "it must start with '/'", false;
    t.remove_prefix(1);
    if (!t.empty() && t.back() == '/') t.remove_suffix(1);
    if (t.empty()) return true; // "/"
    std::size_t pos = 0;
    while (pos != std::string_view::npos) {
      const std::size_t slash = t.find('/', pos);
      const std::string_view seg = t.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
      pos = slash == std::string_view::npos ? slash : slash + 1;
      if (seg.empty()) return why = "empty segment", false;
      if (seg.front() == '{') {
        if (seg.size() < 3 || seg.back() != '}')
          return why = "parameter segment '" + std::string(seg) + "' must be {name}", false;
        const std::string_view name = seg.substr(1, seg.size() - 2);
        if (!is_name_start(name.front())) return why = "bad parameter name '" + std::string(name) + "'", false;
        for (char c : name)
          if (!is_name_char(c)) return why = "bad parameter name '" + std::string(name) + "'", false;
        for (const auto& n : names)
          if (n == name) return why = "parameter '" + std::string(name) + "' appears twice", false;
        if (names.size() == kMaxParams) return why = "more than " + std::to_string(kMaxParams) + " parameters", false;
        names.emplace_back(name);
        out.push_back({name, true});
      } else {
        for (char c : seg)
          if (!is_literal_char(c))
            return why = "character '" + std::string(1, c) + "' not allowed in segment '" + std::string(seg) + "'",
                   false;
        out.push_back({seg, false});
      }
    }
    return true;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Decodes %XX escapes; false for a malformed escape or an encoded NUL.
  static bool percent_decode(std::string_view in, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] != '%') {
        out.push_back(in[i]);
        continue;
      }
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
    return true;
  }

  // Tries the segment at `pos` (kConsumed: the whole path is consumed) below
  // `node`: literal child first, then the parameter child. True once a route
  // for the method is found; otherwise records the methods of every node the
  // full path reaches, for the Allow header.
  bool descend(std::uint32_t node_index, std::size_t pos, Walk& w) const {
    const Node& node = nodes_[node_index];
    if (pos == kConsumed) {
      if (w.method >= 0 && node.routes[w.method] != kNone) {
        w.found = node.routes[w.method];
        return true;
      }
      for (int i = 0; i < kMethodCount; ++i)
        if (node.routes[i] != kNone) w.allow_mask |= 1u << i;
      return false;
    }
    if (node.literals.empty() && node.param_child == kNone) return false;

    const std::size_t slash = w.path.find('/', pos);
    const std::string_view raw = w.path.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
    const std::size_t next = slash == std::string_view::npos ? kConsumed : slash + 1;
    if (raw.empty()) return false; // "//"

    std::string decoded; // stays empty (no allocation) unless the segment has escapes
    std::string_view segment = raw;
    if (raw.find('%') != std::string_view::npos) {
      if (!percent_decode(raw, decoded)) {
        w.invalid = true; // the same segment fails on every branch: stop here
        return true;
      }
      segment = decoded;
    }

    for (const auto& [text, child] : node.literals) {
      if (text != segment) continue;
      if (descend(child, next, w)) return true;
      break;
    }
    if (node.param_child != kNone) {
      w.params.items_[w.depth].value.assign(segment.data(), segment.size());
      ++w.depth;
      if (descend(node.param_child, next, w)) return true;
      --w.depth;
    }
    return false;
  }

  // Route invariants: nodes_[0] is the root; a node's param_child and literal
  // children index into nodes_; routes[m] indexes into routes_.
  std::vector<Node> nodes_;
  std::vector<Route> routes_;
};

} // namespace crm::core
