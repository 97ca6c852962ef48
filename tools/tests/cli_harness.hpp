// Runs the real trnsim executable on configs written to a scratch folder, as a user would.
#pragma once
#include <filesystem>
#include <string>

namespace tn::cli::test {

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// A fresh, empty folder under the system temp dir, unique per test case.
std::filesystem::path scratch_dir(const std::string& name);
void write_text(const std::filesystem::path& path, const std::string& text);
std::string read_text(const std::filesystem::path& path);
// Runs `trnsim <args>` and captures its exit code, stdout and stderr.
CommandResult trnsim(const std::string& args);

}  // namespace tn::cli::test
