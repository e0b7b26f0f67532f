// TestArtifacts: what a test case leaves behind (host logs, temporary folders),
// kept until the test case has ended so a failure can show the logs. The
// listener in main.cpp calls finish() at the end of every test case: on failure
// it prints the tail of every log registered during the case, then removes the
// folders. Only the Catch2 thread touches it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace itest {

// The last `lines` lines of a text file ("" when it cannot be read).
inline std::string tail_of_file(const std::filesystem::path& file, size_t lines) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(std::move(line));
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += all[i] + '\n';
  return out;
}

class TestArtifacts {
public:
  static TestArtifacts& instance() {
    static TestArtifacts artifacts;
    return artifacts;
  }

  // A log whose tail is printed if the current test case fails.
  void add_log(std::string label, std::filesystem::path file) { logs_.emplace_back(std::move(label), std::move(file)); }

  // A folder removed when the current test case ends (after the logs were printed).
  void remove_later(std::filesystem::path dir) { dirs_.push_back(std::move(dir)); }

  void finish(bool failed, const std::string& test_name) {
    if (failed) {
      for (const auto& [label, file] : logs_) {
        std::cout << "\n----- " << label << " (" << file.string() << "), last 80 lines, test \"" << test_name
                  << "\" failed -----\n"
                  << tail_of_file(file, 80) << "----- end of " << label << " -----\n";
      }
      std::cout.flush();
    }
    // CRM_IT_KEEP=1 keeps the folders of failed tests for a closer look,
    // CRM_IT_KEEP=all those of every test.
    const std::string keep = std::getenv("CRM_IT_KEEP") ? std::getenv("CRM_IT_KEEP") : "";
    if (!((failed && keep == "1") || keep == "all")) {
      for (const auto& dir : dirs_) {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    }
    logs_.clear();
    dirs_.clear();
  }

private:
  std::vector<std::pair<std::string, std::filesystem::path>> logs_;
  std::vector<std::filesystem::path> dirs_;
};

} // namespace itest
