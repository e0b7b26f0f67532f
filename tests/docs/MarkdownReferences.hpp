// MarkdownReferences: what a Markdown page cites of the repository, read from
// its text: relative links with their anchors, code spans that name a
// repository path (`scripts/run`, `host/include/crm/plugin_abi.h`), document
// names in the prose (DESIGN.md), and the code blocks it quotes from a file
// (a fenced block right after a "<!-- from PATH -->" line). Also the anchors
// its own headings make, as GitHub spells them. Pure text work.
#pragma once

#include <cctype>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace docs {

struct Link {
  std::string path;   // relative to the page; empty: the page itself
  std::string anchor; // after '#', or empty
  int line;
};

struct Citation {
  std::string text; // a repository path or a document name
  int line;
};

struct Quote {
  std::string file; // repository path named by the marker
  std::string code; // the block's lines, each ending in '\n'
  int line;
};

struct Page {
  std::vector<Link> links;
  std::vector<Citation> paths;     // from code spans
  std::vector<Citation> documents; // FOO.md names in the prose
  std::vector<Quote> quotes;
  std::vector<std::string> first_block; // the lines of the first fenced block
  std::set<std::string> anchors;
};

// The folders a code span must start with to count as a repository path.
inline const std::vector<std::string>& path_roots() {
  static const std::vector<std::string> roots{"scripts/", "host/",    "plugins/", "workflows/", "config/", "docs/",
                                              "examples/", "tests/", "cli/",     ".ci/"};
  return roots;
}

// A heading's anchor as GitHub makes it: lower case, punctuation dropped,
// spaces as hyphens ("Platform (the host)" -> "platform-the-host").
inline std::string slug(const std::string& heading) {
  std::string out;
  for (unsigned char c : heading) {
    if (std::isalnum(c) || c == '-' || c == '_') out.push_back(static_cast<char>(std::tolower(c)));
    else if (c == ' ') out.push_back('-');
  }
  return out;
}

// The repository path a code span names, or "" when it names none. Only the
// span's first word counts (`scripts/services start DIR`); a template or a
// glob is cut where it starts (`plugins/<name>/` -> `plugins/`).
inline std::string repository_path(const std::string& span) {
  std::string word = span.substr(0, span.find_first_of(" \t"));
  bool rooted = false;
  for (const auto& root : path_roots())
    if (word.rfind(root, 0) == 0) rooted = true;
  if (!rooted) return {};
  word = word.substr(0, word.find_first_of("<{*|["));
  while (!word.empty() && std::string(",;:)").find(word.back()) != std::string::npos) word.pop_back();
  return word;
}

inline Page scan(const std::string& text) {
  static const std::regex link(R"(\]\(([^)\s]+)\))");
  static const std::regex span("`([^`]+)`");
  static const std::regex document(R"(\b([A-Z][A-Z0-9_-]*\.md)\b)");
  static const std::regex quote_marker(R"(^<!-- from (\S+) -->\s*$)");
  Page page;
  std::istringstream in(text);
  std::string line;
  bool in_fence = false, capturing = false;
  int blocks = 0;
  std::string pending_quote;
  int pending_line = 0;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.rfind("```", 0) == 0) {
      if (!in_fence) {
        ++blocks;
        if (!pending_quote.empty()) page.quotes.push_back(Quote{pending_quote, {}, pending_line});
        capturing = !pending_quote.empty();
        pending_quote.clear();
      }
      in_fence = !in_fence;
      continue;
    }
    if (in_fence) {
      if (capturing) page.quotes.back().code += line + '\n';
      if (blocks == 1) page.first_block.push_back(line);
      continue;
    }
    std::smatch m;
    if (std::regex_match(line, m, quote_marker)) {
      pending_quote = m[1];
      pending_line = number;
      continue;
    }
    if (line.rfind('#', 0) == 0) {
      const auto text_start = line.find_first_not_of('#');
      if (text_start != std::string::npos && line[text_start] == ' ') page.anchors.insert(slug(line.substr(text_start + 1)));
    }
    for (auto it = std::sregex_iterator(line.begin(), line.end(), link); it != std::sregex_iterator(); ++it) {
      const std::string target = (*it)[1];
      if (target.find("://") != std::string::npos || target.rfind("mailto:", 0) == 0) continue;
      const auto hash = target.find('#');
      page.links.push_back(Link{target.substr(0, hash), hash == std::string::npos ? "" : target.substr(hash + 1), number});
    }
    for (auto it = std::sregex_iterator(line.begin(), line.end(), span); it != std::sregex_iterator(); ++it) {
      const std::string path = repository_path((*it)[1]);
      if (!path.empty()) page.paths.push_back(Citation{path, number});
    }
    for (auto it = std::sregex_iterator(line.begin(), line.end(), document); it != std::sregex_iterator(); ++it)
      page.documents.push_back(Citation{(*it)[1], number});
  }
  return page;
}

} // namespace docs
