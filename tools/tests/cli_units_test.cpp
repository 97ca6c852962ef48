// Pieces of the CLI tested in-process: the progress line and the JUnit report's escaping.
#include <doctest/doctest.h>

#include <thread>

#include "tools/junit_report.hpp"
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

}  // namespace
}  // namespace tn::cli
