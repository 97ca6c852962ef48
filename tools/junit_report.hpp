// `trnsim check --junit FILE`: the results as JUnit XML, the report format CI systems (GitLab, Jenkins,
// GitHub test reporters) read. One <testcase> per config: its time, and on a failure, error or skip the
// message (for a numerics failure, each failing output's worst element). The shape is the one
// tools/tests/junit.xsd describes, which the tests validate every report against.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace tn::cli {

enum class CheckVerdict { kPass, kFail, kError, kSkip };

struct CheckResult {
  std::string config;  // the config's path as `check` found it
  CheckVerdict verdict = CheckVerdict::kError;
  std::string line;     // the one-line report (headline, or the error)
  std::string message;  // why it failed, erred or was skipped ("" for a pass)
  double seconds = 0;   // wall time of the config's process
};

// The report as text: a <testsuites> of one <testsuite> ("trnsim check") holding the cases in order.
std::string junit_xml(const std::vector<CheckResult>& results, double total_seconds);
void write_junit(const std::filesystem::path& file, const std::vector<CheckResult>& results,
                 double total_seconds);

// `text` as XML character data or attribute text: markup characters escaped, characters XML 1.0 cannot
// hold (control characters other than tab and newline, invalid UTF-8) replaced by U+FFFD.
std::string xml_escape(std::string_view text);

}  // namespace tn::cli
