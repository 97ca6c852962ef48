#include "tools/tests/cli_harness.hpp"

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

namespace tn::cli::test {

namespace fs = std::filesystem;

// Under a folder of this build's own (named by a hash of the executable's path), so the suites of two
// checkouts or build trees running at once never share a scratch folder.
fs::path scratch_path(const std::string& name) {
  static const std::string build = std::to_string(std::hash<std::string>{}(TRNSIM_EXE) % 1000000007);
  return fs::temp_directory_path() / ("trnsim_cli_test_" + build) / name;
}

fs::path scratch_dir(const std::string& name) {
  const fs::path dir = scratch_path(name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool holds_sanitizer_report(const std::string& text) {
  // The first line of each report: "==PID==ERROR: AddressSanitizer: ..." (LeakSanitizer likewise) and
  // UBSan's "FILE:LINE:COL: runtime error: ...".
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: "}) {
    if (text.find(marker) != std::string::npos)
      return true;
  }
  return false;
}

CommandResult run_command(const std::string& command) {
  static int counter = 0;
  const fs::path out = fs::temp_directory_path() /
                       ("trnsim_cli_stdout_" + std::to_string(getpid()) + "_" + std::to_string(counter));
  const fs::path err = fs::temp_directory_path() /
                       ("trnsim_cli_stderr_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
  const std::string cmd = command + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  r.out = read_text(out);
  r.err = read_text(err);
  fs::remove(out);
  fs::remove(err);
  // In a sanitized build, an error path's expected non-zero exit would hide a report that ended the process
  // (GCC's UBSan writes its reports only to stderr: tools/sanitizer_tests.sh).
  CHECK_MESSAGE(!holds_sanitizer_report(r.err), "sanitizer report from `" << command << "`:\n" << r.err);
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  return lines;
}

CommandResult trnsim(const std::string& args) { return run_command(std::string(TRNSIM_EXE) + " " + args); }

CommandResult run_text(const std::string& name, const std::string& config) {
  const fs::path dir = scratch_dir(name);
  write_text(dir / "c.json", config);
  return trnsim("run " + (dir / "c.json").string() + " --out " + (dir / "out").string());
}

void expect_error(const std::string& name, const std::string& config, const std::string& message) {
  const CommandResult r = run_text(name, config);
  INFO(r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find(message) != std::string::npos);
}

}  // namespace tn::cli::test
