// Runs the real trnsim executable on configs written to a scratch folder, as a user would.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace tn::cli::test {

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// A fresh, empty folder under the system temp dir, unique per test case.
std::filesystem::path scratch_dir(const std::string& name);
// Where scratch_dir(name) is, without emptying it.
std::filesystem::path scratch_path(const std::string& name);
void write_text(const std::filesystem::path& path, const std::string& text);
std::string read_text(const std::filesystem::path& path);
// `text` split at newlines.
std::vector<std::string> lines_of(const std::string& text);
// Whether `text` holds a report of AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer.
bool holds_sanitizer_report(const std::string& text);
// Runs a shell command and captures its exit code, stdout and stderr. A sanitizer report in its stderr
// fails the test whatever exit code the test expects (tools/sanitizer_tests.sh).
CommandResult run_command(const std::string& command);
// Runs `trnsim <args>` and captures its exit code, stdout and stderr.
CommandResult trnsim(const std::string& args);
// Writes `config` to scratch_dir(name)/c.json and runs it with --out scratch_dir(name)/out.
CommandResult run_text(const std::string& name, const std::string& config);
// run_text must fail (non-zero exit) with `message` somewhere in stderr.
void expect_error(const std::string& name, const std::string& config, const std::string& message);

}  // namespace tn::cli::test
