// `trnsim check` as a CI job uses it: verdicts that say whether numbers were compared, a closing count,
// parallel runs, a JUnit report that validates against tools/tests/junit.xsd, kept run folders; and the
// CLI's help and version.
#include <doctest/doctest.h>

#include <cstdlib>
#include <regex>

#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;

const std::string kSmall = R"("seqlen_q": 128, "seqlen_kv": 128, "d": 64)";

std::string config(const std::string& extra_params, const std::string& extra) {
  return R"({"kernel": "attention_cte", "params": {)" + kSmall + extra_params + "}" + extra + "}";
}

// One config of each verdict, in a folder: a PASS, two SKIPs, a FAIL (scores times 1e38 overflow fp32 on
// the engines: every output NaN where the reference is finite) and an ERROR (d = 0).
fs::path verdict_folder(const std::string& name) {
  const fs::path dir = scratch_dir(name) / "cfgs";
  fs::create_directories(dir);
  write_text(dir / "a_pass.json", config("", R"(, "mode": "functional")"));
  write_text(dir / "b_timing_only.json", config("", R"(, "mode": "timing_only")"));
  write_text(dir / "c_unchecked.json", config("", R"(, "mode": "timing", "check_numerics": false)"));
  write_text(dir / "d_fail.json", config(R"(, "scale": 1e38)", R"(, "mode": "functional")"));
  write_text(dir / "e_error.json", config(R"(, "d": 0)", ""));
  return dir;
}

// stdout without the per-config wall times ("  [0.12 s]"), which differ run to run.
std::string without_times(const std::string& out) {
  return std::regex_replace(out, std::regex(R"(  \[[0-9.]+ s\])"), "");
}

TEST_CASE("check: PASS only when numbers were compared; SKIP counted apart; FAIL and ERROR failed") {
  const fs::path dir = verdict_folder("check_verdicts");
  const CommandResult r = trnsim("check " + dir.string());
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("PASS  " + (dir / "a_pass.json").string() + "  attention_cte  out max_abs_err=") !=
        std::string::npos);
  CHECK(r.out.find("SKIP  " + (dir / "b_timing_only.json").string()) != std::string::npos);
  CHECK(r.out.find("nothing compared: timing_only computes no output values") != std::string::npos);
  CHECK(r.out.find("SKIP  " + (dir / "c_unchecked.json").string()) != std::string::npos);
  CHECK(r.out.find(R"(nothing compared: "check_numerics" is false)") != std::string::npos);
  CHECK(r.out.find("FAIL  " + (dir / "d_fail.json").string()) != std::string::npos);
  CHECK(r.out.find("ERROR " + (dir / "e_error.json").string() + "  ") != std::string::npos);
  CHECK(r.out.find("1 passed, 2 failed, 2 skipped\n") != std::string::npos);
  // Every line says how long its config took.
  CHECK(std::regex_search(r.out, std::regex(R"(PASS  .*a_pass\.json  .*  \[[0-9]+\.[0-9]{2} s\]\n)")));

  // Without the failures the job passes, skips and all.
  fs::remove(dir / "d_fail.json");
  fs::remove(dir / "e_error.json");
  const CommandResult ok = trnsim("check " + dir.string());
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("1 passed, 0 failed, 2 skipped\n") != std::string::npos);
}

TEST_CASE("check: a job whose every config was skipped compared nothing and does not pass") {
  const fs::path dir = verdict_folder("check_all_skipped");
  for (const char* f : {"a_pass.json", "d_fail.json", "e_error.json"})
    fs::remove(dir / f);
  const CommandResult r = trnsim("check " + dir.string());
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("0 passed, 0 failed, 2 skipped\nnothing was compared: every config was skipped\n") !=
        std::string::npos);
}

TEST_CASE("check -j 2 reports the same lines in the same order as one config at a time") {
  const fs::path dir = verdict_folder("check_jobs");
  const CommandResult one = trnsim("check " + dir.string());
  const CommandResult two = trnsim("check -j 2 " + dir.string());
  CHECK(two.exit_code == one.exit_code);
  CHECK(without_times(two.out) == without_times(one.out));
  CHECK(trnsim("check -j 0 " + dir.string()).err.find("--jobs must be in 1..256") != std::string::npos);
}

TEST_CASE("check --junit writes a report the JUnit schema accepts, naming a failure's worst element") {
  const fs::path dir = verdict_folder("check_junit");
  // A file name XML must escape, with a byte that is not UTF-8: the report stays well formed.
  write_text(dir / "f_odd_&<'\">\xff.json", config("", R"(, "mode": "functional")"));
  const fs::path report = dir.parent_path() / "report.xml";
  const CommandResult r = trnsim("check -j 2 " + dir.string() + " --junit " + report.string());
  INFO(r.out);
  CHECK(r.exit_code == 1);
  const std::string xml = read_text(report);
  INFO(xml);
  const std::string validate = "xmllint --noout --schema " TRNSIM_SOURCE_DIR "/tools/tests/junit.xsd " +
                               report.string() + " 2>" + (dir.parent_path() / "xmllint.err").string();
  CHECK(std::system(validate.c_str()) == 0);
  INFO(read_text(dir.parent_path() / "xmllint.err"));
  CHECK(xml.find(R"(<testsuites name="trnsim check" tests="6" failures="1" errors="1" skipped="2" time=")") !=
        std::string::npos);
  CHECK(xml.find(R"(<testcase name="a_pass.json" classname=")" + dir.string() + "\"") != std::string::npos);
  CHECK(xml.find(R"(<failure message="out: maxAllClose FAIL: 8192/8192 mismatches)") != std::string::npos);
  CHECK(xml.find("worst at [0, 0, 0] (flat 0): actual=") != std::string::npos);
  CHECK(xml.find(R"(<error message=")") != std::string::npos);
  CHECK(xml.find(R"(<skipped message="nothing compared: timing_only computes no output values"/>)") !=
        std::string::npos);
  CHECK(xml.find("f_odd_&amp;&lt;&apos;&quot;&gt;\xEF\xBF\xBD.json") != std::string::npos);
  CHECK(
      trnsim("check " + dir.string() + " --junit /nonexistent/dir/r.xml").err.find("--junit: cannot write") !=
      std::string::npos);
}

TEST_CASE("check --keep keeps the run folders of the configs that did not pass, and only those") {
  const fs::path dir = verdict_folder("check_keep");
  const fs::path keep = dir.parent_path() / "kept";
  fs::create_directories(keep / fs::path(dir).relative_path() / "a_pass");  // stale: removed for a pass
  const CommandResult r = trnsim("check " + dir.string() + " --keep " + keep.string());
  INFO(r.out);
  CHECK(r.exit_code == 1);
  const fs::path kept = keep / fs::path(dir).relative_path();
  CHECK(fs::exists(kept / "d_fail/summary.json"));
  CHECK(fs::exists(kept / "d_fail/outputs/out.npy"));
  CHECK(fs::exists(kept / "d_fail/inputs/q.npy"));
  CHECK(r.out.find("(run folder kept: " + (kept / "d_fail").string() + ")") != std::string::npos);
  for (const char* gone : {"a_pass", "b_timing_only", "c_unchecked", "e_error"}) {
    CAPTURE(gone);
    CHECK(!fs::exists(kept / gone));  // passed, skipped, or erred before writing anything
  }
}

TEST_CASE("cli: every command has --help, and --version names the commit") {
  for (const std::string command : {"run", "check", "disasm", "sweep"}) {
    CAPTURE(command);
    const CommandResult r = trnsim(command + " --help");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("usage: trnsim " + command) != std::string::npos);
    CHECK(r.out.find(command + " options:") != std::string::npos);
    CHECK(r.out.find("--help") != std::string::npos);
  }
  CHECK(trnsim("check --help").out.find("--junit") != std::string::npos);
  const CommandResult top = trnsim("--help");
  CHECK(top.exit_code == 0);
  for (const char* listed :
       {"run CONFIG.json", "check PATH...", "sweep SPEC.json", "disasm CONFIG.json", "--version"})
    CHECK(top.out.find(listed) != std::string::npos);
  const CommandResult v = trnsim("--version");
  CHECK(v.exit_code == 0);
  CHECK(std::regex_match(
      v.out,
      std::regex(
          R"(trnsim [0-9]+\.[0-9]+\.[0-9]+ \([0-9a-f]+(-dirty)?\)\n|trnsim [0-9]+\.[0-9]+\.[0-9]+ \(unknown\)\n)")));
  const CommandResult bad = trnsim("run --frobnicate x.json");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("(trnsim run --help lists the options)") != std::string::npos);
}

}  // namespace
}  // namespace tn::cli::test
