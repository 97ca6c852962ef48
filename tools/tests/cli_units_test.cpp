// Pieces of the CLI tested in-process: the progress line, the JUnit report's escaping and the run estimate's
// arithmetic, sizes and messages.
#include <doctest/doctest.h>

#include <thread>

#include "tools/json_reader.hpp"
#include "tools/junit_report.hpp"
#include "tools/run_estimate.hpp"
#include "tools/run_progress.hpp"

namespace tn::cli {
namespace {

TEST_CASE("progress: the phase, each started pass's share and an ETA once it means something") {
  RunProgress p(true);
  p.phase("simulating");
  CHECK(p.line(3) == "  [3 s] simulating");
  p.report(RunProgress::Pass::kTimed, 0.01);
  p.report(RunProgress::Pass::kReference, 0.999);
  // Started just now: too soon (and, for timed, too little done) for an estimate; 99.9 % is not shown done.
  CHECK(p.line(0.5) == "  [0 s] simulating | timed 1% | reference 99%");
  p.report(RunProgress::Pass::kTimed, 0.25);
  const std::string later = p.line(12);  // ~12 s after both started: 25 % took 12 s, 36 s to go
  CHECK(later.find("timed 25% ETA 36 s") != std::string::npos);
  CHECK(later.find("reference 99% ETA 0 s") != std::string::npos);
  p.report(RunProgress::Pass::kFunctional, 1.0);
  CHECK(p.line(200).find("functional 100% |") != std::string::npos);  // done: no ETA
  CHECK(p.line(200).find("[3 min 20 s]") != std::string::npos);
}

TEST_CASE("progress: a disabled reporter starts no thread and ignores reports") {
  RunProgress p(false);
  p.report(RunProgress::Pass::kTimed, 0.5);
  CHECK(p.line(1) == "  [1 s] starting");
}

TEST_CASE("junit: markup, control characters and invalid UTF-8 are escaped or replaced") {
  CHECK(xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
  CHECK(xml_escape("tab\tnew\nline") == "tab\tnew\nline");
  CHECK(xml_escape(std::string("nul\0x", 5)) == "nul\xEF\xBF\xBDx");
  CHECK(xml_escape("cr\r") == "cr\xEF\xBF\xBD");
  CHECK(xml_escape("\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(xml_escape("\xFF") == "\xEF\xBF\xBD");
  CHECK(xml_escape("\xC3") == "\xEF\xBF\xBD");                                  // truncated
  CHECK(xml_escape("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  CHECK(xml_escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  const std::string x = junit_xml({{"dir/a.json", CheckVerdict::kSkip, "line", "why", 0.5}}, 1.25);
  CHECK(x.find(R"(tests="1" failures="0" errors="0" skipped="1" time="1.250")") != std::string::npos);
  CHECK(x.find(R"(<testcase name="a.json" classname="dir" file="dir/a.json" time="0.500">)") !=
        std::string::npos);
  CHECK(x.find(R"(<skipped message="why"/>)") != std::string::npos);
}

TEST_CASE("estimate: bytes by mode, counting HBM images, host copies and the reference") {
  RunEstimate e;
  e.kernel = "k";
  e.instructions = 1000;
  e.inputs = {{DType::kBFloat16, 100, false}, {DType::kInt32, 1, true}};
  e.outputs = {{DType::kFloat32, 10, false}};
  const double program = 1000 * kBytesPerInstruction;
  // both + reference: two HBM images, the drawn float64 copy; outputs read back and the reference's.
  CHECK(estimated_bytes(e, {true, true, true}) ==
        program + 100 * (2 * 2 + 8) + 1 * (2 * 4 + 8) + 10 * (2 * 4 + 16));
  CHECK(estimated_bytes(e, {true, false, false}) == program + 100 * (2 + 8) + 1 * (4 + 8) + 10 * (4 + 8));
  // timing_only: only the runtime values are drawn, no outputs are read.
  CHECK(estimated_bytes(e, {false, false, false}) == program + 1 * (4 + 8));
  e.ranks = 4;
  CHECK(estimated_bytes(e, {false, false, false}) == program + 4 * (4 + 8));
}

TEST_CASE("estimate: a run over the limit is refused naming the drivers, instructions and sizes") {
  RunEstimate e;
  e.kernel = "attention_cte";
  e.drivers = product_text({{"bs", 64}, {"seqlen_q", 131072}});
  CHECK(e.drivers == "bs * seqlen_q = 64 * 131072 = 8.4 M");
  e.instructions = 1.5e8;
  e.inputs = {{DType::kBFloat16, 3.0 * (1 << 30), false}};
  const EstimateMode mode{true, true, false};
  CHECK_NOTHROW(check_fits("c.json", e, mode, 1e15, "available"));
  try {
    check_fits("c.json", e, mode, 21.0 * (1 << 30), "available");
    FAIL("not refused");
  } catch (const ConfigError& err) {
    const std::string m = err.what();
    INFO(m);
    CHECK(m.find("c.json: $.params: attention_cte: bs * seqlen_q = 64 * 131072 = 8.4 M: the program would "
                 "have ~150.0 M instructions (~22.4 GiB)") == 0);
    CHECK(m.find("the tensors and reference ~30.0 GiB") != std::string::npos);
    CHECK(m.find("more than the 21.0 GiB available (--max-memory to change)") != std::string::npos);
  }
}

TEST_CASE("estimate: a long run's notice states the instructions, the time and the rate") {
  RunEstimate e;
  e.kernel = "matmul";
  e.drivers = "m * k * n = ...";
  e.instructions = kTimingOnlyInstructionsPerS * kLongRunS / 2;
  CHECK(long_run_notice(e, {false, false, false}).empty());
  e.instructions = kTimingOnlyInstructionsPerS * 30;
  const std::string n = long_run_notice(e, {false, false, false});
  INFO(n);
  CHECK(n.find("trnsim: matmul: m * k * n = ...: ~45.0 M instructions, about 30.0 s at ~1.5 M "
               "instructions/s (timing_only") == 0);
  // With numerics the rate is the emulated engines': the same program is a long run.
  CHECK(long_run_notice(e, {true, true, false}).find("about 4500.0 s at ~10.0 K") != std::string::npos);
}

TEST_CASE("estimate: memory sizes and /proc/meminfo") {
  CHECK(parse_memory_size("--max-memory", "1048576") == 1048576);
  CHECK(parse_memory_size("--max-memory", "512M") == 512.0 * (1 << 20));
  CHECK(parse_memory_size("--max-memory", "21G") == 21.0 * (1 << 30));
  CHECK(parse_memory_size("--max-memory", "1.5GiB") == 1.5 * (1 << 30));
  CHECK(parse_memory_size("--max-memory", "2 TB") == 2.0 * 1024 * 1024 * 1024 * 1024);
  CHECK(parse_memory_size("--max-memory", "64k") == 65536);
  for (const char* bad : {"", "G", "12Q", "-1G", "0", "nan", "inf", "3GG", "1e999"}) {
    INFO(bad);
    CHECK_THROWS_WITH_AS(parse_memory_size("--max-memory", bad),
                         doctest::Contains("--max-memory: expected a size"), ConfigError);
  }
  const auto avail = available_memory_bytes();
  REQUIRE(avail.has_value());  // Linux
  CHECK(*avail > 0);
  CHECK(format_bytes(23622320128.0) == "22.0 GiB");
  CHECK(format_count(812) == "812");
  CHECK(format_count(12345) == "12.3 K");
}

}  // namespace
}  // namespace tn::cli
