// The documentation against the repository it describes: every relative link
// (and its anchor), every repository path in a code span and every document
// named in README.md and docs/*.md exists; every code block docs/plugins.md
// quotes from a file is in that file as it is compiled; the README opens with
// the two commands.
#include "MarkdownReferences.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kRoot = CRM_SOURCE_DIR;

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// README.md and every page in docs/, as repository-relative paths.
std::vector<fs::path> pages() {
  std::vector<fs::path> out{"README.md"};
  for (const auto& entry : fs::directory_iterator(kRoot / "docs"))
    if (entry.path().extension() == ".md") out.push_back(fs::relative(entry.path(), kRoot));
  return out;
}

// Whether `name` (a document's file name) is in the page's folder, at the
// root or in docs/.
bool document_exists(const fs::path& page, const std::string& name) {
  for (const fs::path& dir : {kRoot / page.parent_path(), kRoot, kRoot / "docs"})
    if (fs::exists(dir / name)) return true;
  return false;
}

} // namespace

TEST_CASE("the page scanner finds links, anchors, repository paths, document names and quoted blocks",
          "[docs]") {
  const auto page = docs::scan("# Writing a plugin (in C)\n"
                               "See [ops](operations.md#crmctl), [here](#writing-a-plugin-in-c) and "
                               "[site](https://example.com).\n"
                               "Run `scripts/services start DIR`, edit `plugins/<name>/x.cpp`, read API.md;\n"
                               "`plugins.dir` is a key, not a path.\n"
                               "<!-- from examples/a.c -->\n"
                               "```c\n"
                               "int x;\n"
                               "```\n");
  REQUIRE(page.links.size() == 2);
  CHECK(page.links[0].path == "operations.md");
  CHECK(page.links[0].anchor == "crmctl");
  CHECK(page.links[1].path.empty());
  CHECK(page.anchors.count("writing-a-plugin-in-c") == 1);
  REQUIRE(page.paths.size() == 2);
  CHECK(page.paths[0].text == "scripts/services");
  CHECK(page.paths[1].text == "plugins/");
  REQUIRE(page.documents.size() == 1);
  CHECK(page.documents[0].text == "API.md");
  REQUIRE(page.quotes.size() == 1);
  CHECK(page.quotes[0].file == "examples/a.c");
  CHECK(page.quotes[0].code == "int x;\n");
  CHECK(page.first_block == std::vector<std::string>{"int x;"});
}

TEST_CASE("every file, link and anchor the README and docs/ cite exists in the repository", "[docs]") {
  std::map<fs::path, std::set<std::string>> anchors; // of every page, for links between them
  std::map<fs::path, docs::Page> scanned;
  for (const auto& page : pages()) {
    scanned[page] = docs::scan(read(kRoot / page));
    anchors[page] = scanned[page].anchors;
  }
  REQUIRE(scanned.size() >= 7); // README.md and docs/: at least the six guides and DECISIONS.md

  std::string missing;
  for (const auto& [page, found] : scanned) {
    const std::string where = page.string() + ":";
    for (const auto& link : found.links) {
      const fs::path target = link.path.empty() ? page : (page.parent_path() / link.path).lexically_normal();
      if (!fs::exists(kRoot / target)) {
        missing += where + std::to_string(link.line) + ": link to " + link.path + "\n";
        continue;
      }
      if (link.anchor.empty()) continue;
      if (!anchors.count(target)) anchors[target] = docs::scan(read(kRoot / target)).anchors;
      if (!anchors[target].count(link.anchor))
        missing += where + std::to_string(link.line) + ": no heading #" + link.anchor + " in " + target.string() + "\n";
    }
    for (const auto& path : found.paths)
      if (!fs::exists(kRoot / path.text)) missing += where + std::to_string(path.line) + ": path " + path.text + "\n";
    for (const auto& document : found.documents)
      if (!document_exists(page, document.text))
        missing += where + std::to_string(document.line) + ": document " + document.text + "\n";
  }
  INFO("cited but not in the repository:\n" << missing);
  CHECK(missing.empty());
}

TEST_CASE("every code block docs/plugins.md quotes from a file is in that file", "[docs]") {
  const auto page = docs::scan(read(kRoot / "docs" / "plugins.md"));
  REQUIRE(page.quotes.size() >= 8); // the C and C++ walk-throughs, their CMakeLists and linker script
  for (const auto& quote : page.quotes) {
    INFO("docs/plugins.md:" << quote.line << " quotes " << quote.file);
    REQUIRE(fs::exists(kRoot / quote.file));
    CHECK(read(kRoot / quote.file).find(quote.code) != std::string::npos);
  }
}

TEST_CASE("the README's first two commands are scripts/run and scripts/test", "[docs]") {
  const auto page = docs::scan(read(kRoot / "README.md"));
  std::vector<std::string> commands;
  for (const auto& line : page.first_block)
    if (!line.empty() && line.find_first_not_of(' ') != std::string::npos && line[line.find_first_not_of(' ')] != '#')
      commands.push_back(line.substr(0, line.find(' ')));
  REQUIRE(commands.size() >= 2);
  CHECK(commands[0] == "scripts/run");
  CHECK(commands[1] == "scripts/test");
}
