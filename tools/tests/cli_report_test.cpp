// `trnsim report`: the page of a timed, a functional, a multi-rank and a sweep folder holds the data of every
// chart (checked against the run's own summary.json), is self-contained and byte-identical on a rerun; big
// traces are aggregated past the slice budget; bad input is refused naming the file. The browser test
// (report_browser_test.py) checks that Chromium draws it.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kDataOpen = "<script type=\"application/json\" id=\"report-data\">";

// The page's embedded data.
json page_data(const std::string& html) {
  const size_t open = html.find(kDataOpen);
  REQUIRE(open != std::string::npos);
  const size_t begin = open + std::string(kDataOpen).size();
  const size_t end = html.find("</script>", begin);
  REQUIRE(end != std::string::npos);
  return json::parse(html.substr(begin, end - begin));
}

// A small timed attention_cte run (some hundreds of slices at 512 tokens) in scratch_dir(name)/out.
fs::path timed_run(const std::string& name, const std::string& extra = "", int seqlen = 512) {
  const std::string n = std::to_string(seqlen);
  const CommandResult r =
      run_text(name, R"({"kernel": "attention_cte", "params": {"seqlen_q": )" + n + R"(, "seqlen_kv": )" + n +
                         R"(, "d": 64, "causal": true}, "mode": "both")" + extra + "}");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return scratch_path(name) / "out";
}

const json* find_row(const json& timeline, const std::string& name) {
  for (const json& p : timeline["processes"]) {
    for (const json& r : p["rows"]) {
      if (r["name"] == name)
        return &r;
    }
  }
  return nullptr;
}

// Nothing the page would fetch: no script or style from elsewhere, no link, no url() in CSS.
void check_self_contained(const std::string& html) {
  CHECK(html.find("<script src") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("{{") == std::string::npos);  // every placeholder filled
}

TEST_CASE("report: a timed run's page names the file and holds the data of every chart") {
  const fs::path out = timed_run("report_timed");
  const CommandResult r = trnsim("report " + out.string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("wrote        " + (out / "report.html").string()) != std::string::npos);
  CHECK(r.out.find("(exact)") != std::string::npos);
  const std::string html = read_text(out / "report.html");
  check_self_contained(html);
  CHECK(html.find("<title>trnsim report: attention_cte on trn2</title>") != std::string::npos);
  const json d = page_data(html);
  const json s = json::parse(read_text(out / "summary.json"));
  CHECK(d["kind"] == "run");
  CHECK(d["summary"] == s);  // the summary panel, numerics and busy chart read summary.json's own fields
  CHECK(!d.contains("no_timeline"));
  CHECK(d["opcodes_from"] == "trace");

  // Timeline: one process, the engine rows in the profiler's order, every slice of the trace.
  const json& t = d["timeline"];
  CHECK(t["aggregated"] == false);
  REQUIRE(t["processes"].size() == 1);
  CHECK(t["processes"][0]["name"] == "NC0");
  std::vector<std::string> names;
  size_t slices = 0;
  for (const json& row : t["processes"][0]["rows"]) {
    names.push_back(row["name"]);
    slices += row["count"].get<size_t>();
    // Exact rows: one entry per slice in each column, sources and opcodes in range, starts non-decreasing.
    REQUIRE(row.contains("start"));
    for (const char* col : {"dur", "op", "src", "pc", "lane"})
      CHECK(row[col].size() == row["count"].get<size_t>());
    for (const json& delta : row["start"])
      CHECK(delta.get<int64_t>() >= 0);
    for (const json& op : row["op"])
      CHECK(op.get<size_t>() < t["opcodes"].size());
    for (const json& src : row["src"])
      CHECK(src.get<int64_t>() < int64_t(t["sources"].size()));
  }
  CHECK(slices == t["slices"].get<size_t>());
  REQUIRE(names.size() >= 5);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 4) ==
        std::vector<std::string>{"Tensor", "TensorMatrix", "Vector", "Scalar"});
  // Every source line is the kernel's ("file:line"), as the hover shows it.
  REQUIRE(!t["sources"].empty());
  CHECK(t["sources"][0].get<std::string>().find(".cpp:") != std::string::npos);

  // Each DMA queue's row: as many slices as the summary's instructions, busy (covered) time the same.
  const json& engines = s["timing"]["cores"][0]["engines"];
  size_t queues = 0;
  for (const auto& [name, e] : engines.items()) {
    if (name[0] != 'q' || e["instructions"] == 0)
      continue;
    CAPTURE(name);
    const json* row = find_row(t, name);
    REQUIRE(row != nullptr);
    CHECK((*row)["count"] == e["instructions"]);
    CHECK(std::abs((*row)["busy_ns"].get<double>() - e["busy_ns"].get<double>()) <=
          2.0 * e["instructions"].get<double>() + 1.0);  // timestamps are whole ns
    ++queues;
  }
  CHECK(queues >= 2);

  // Time per opcode: counts over all rows (less the regions) are the summary's instruction counts.
  std::map<std::string, uint64_t> counts;
  for (const json& o : t["opcode_time"])
    counts[o["opcode"]] += o["count"].get<uint64_t>();
  std::map<std::string, uint64_t> expected;
  for (const auto& [op, n] : s["timing"]["opcode_counts"].items())
    expected[op] = n.get<uint64_t>();
  CHECK(counts == expected);
  for (size_t i = 1; i < t["opcode_time"].size(); ++i)
    CHECK(t["opcode_time"][i - 1]["time_ns"] >= t["opcode_time"][i]["time_ns"]);

  // Roofline: model FLOPs over HBM bytes against PE peak and HBM bandwidth.
  const json& rf = d["roofline"];
  const json& st = s["timing"];
  const double bytes = st["hbm"]["read_bytes"].get<double>() + st["hbm"]["write_bytes"].get<double>();
  CHECK(rf["flops_kind"] == "model");
  CHECK(rf["intensity"].get<double>() == doctest::Approx(st["model_flops"].get<double>() / bytes));
  CHECK(rf["ridge_intensity"].get<double>() ==
        doctest::Approx(st["peak_flops_per_s"].get<double>() / (st["hbm"]["peak_GBps"].get<double>() * 1e9)));
  CHECK(rf["achieved_flops_per_s"].get<double>() / rf["peak_flops_per_s"].get<double>() * 100 ==
        doctest::Approx(st["mfu_estimated_percent"].get<double>()));
  CHECK(rf["bound"] == (rf["intensity"] < rf["ridge_intensity"] ? "memory" : "compute"));
  CHECK(!d.contains("ranks"));  // one rank: no spread
}

TEST_CASE("report: the same folder gives a byte-identical page, and --out writes it elsewhere") {
  const fs::path out = timed_run("report_rerun");
  REQUIRE(trnsim("report " + out.string()).exit_code == 0);
  const std::string first = read_text(out / "report.html");
  REQUIRE(trnsim("report " + out.string()).exit_code == 0);
  CHECK(read_text(out / "report.html") == first);
  const fs::path other = scratch_path("report_rerun") / "elsewhere.html";
  const CommandResult r = trnsim("report " + out.string() + " --out " + other.string());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("wrote        " + other.string()) != std::string::npos);
  CHECK(read_text(other) == first);
}

TEST_CASE("report: a run into a folder holding a report removes the stale report") {
  const fs::path out = timed_run("report_stale");
  REQUIRE(trnsim("report " + out.string()).exit_code == 0);
  REQUIRE(fs::exists(out / "report.html"));
  const CommandResult again = trnsim("run " + (scratch_path("report_stale") / "c.json").string() + " --out " +
                                     out.string() + " --mode functional");
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(!fs::exists(out / "report.html"));
}

TEST_CASE("report: a functional run's page has its summary and numerics and says why there is no timeline") {
  const CommandResult run = run_text("report_functional", R"({"kernel": "attention_cte", "params":
      {"seqlen_q": 256, "seqlen_kv": 256, "d": 64}, "mode": "functional"})");
  REQUIRE(run.exit_code == 0);
  const fs::path out = scratch_path("report_functional") / "out";
  const CommandResult r = trnsim("report " + out.string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("no timeline") != std::string::npos);
  const json d = page_data(read_text(out / "report.html"));
  CHECK(!d.contains("timeline"));
  CHECK(!d.contains("roofline"));
  CHECK(d["no_timeline"].get<std::string>().find("functional") != std::string::npos);
  CHECK(d["summary"]["numerics"]["passed"] == true);
  CHECK(d["summary"]["numerics"]["outputs"].contains("out"));
}

TEST_CASE("report: a timed run without a trace takes the time per opcode from the summary") {
  const fs::path out = timed_run("report_untraced", R"(, "trace": {"perfetto": false})");
  REQUIRE(!fs::exists(out / "trace.pftrace"));
  const CommandResult r = trnsim("report " + out.string());
  REQUIRE(r.exit_code == 0);
  const json d = page_data(read_text(out / "report.html"));
  CHECK(!d.contains("timeline"));
  CHECK(d["opcodes_from"] == "summary");
  CHECK(d["no_timeline"].get<std::string>().find("no trace.pftrace") != std::string::npos);
  CHECK(d.contains("roofline"));
}

TEST_CASE("report: past the slice budget the busiest rows are time buckets that keep each row's busy time") {
  const fs::path out = timed_run("report_aggregated", "", 2048);
  const CommandResult r = trnsim("report " + out.string() + " --slice-budget 200");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("aggregated into") != std::string::npos);
  const json t = page_data(read_text(out / "report.html"))["timeline"];
  CHECK(t["aggregated"] == true);
  const double bucket = t["bucket_ns"].get<double>();
  const size_t buckets = t["buckets"].get<size_t>();
  CHECK(bucket * double(buckets) >= t["end_ns"].get<double>());
  size_t exact = 0, aggregated = 0;
  for (const json& p : t["processes"]) {
    for (const json& row : p["rows"]) {
      if (row.contains("start")) {
        exact += row["count"].get<size_t>();
        continue;
      }
      ++aggregated;
      CAPTURE(row["name"]);
      REQUIRE(row["busy"].size() == buckets);
      REQUIRE(row["top"].size() == buckets);
      // The buckets' covered time adds up to the row's busy time (each bucket rounded to a permille).
      double covered = 0;
      for (size_t k = 0; k < buckets; ++k) {
        const int64_t b = row["busy"][k], top = row["top"][k];
        CHECK(b >= 0);
        CHECK(b <= 1000);
        if (b > 0)
          CHECK(top >= 0);  // a covered bucket names its dominant opcode
        CHECK(top < int64_t(t["opcodes"].size()));
        covered += double(b) / 1000.0 * bucket;
      }
      CHECK(std::abs(covered - row["busy_ns"].get<double>()) <= 0.0005 * bucket * double(buckets) + 1.0);
    }
  }
  CHECK(aggregated >= 2);
  CHECK(t["aggregated_rows"] == aggregated);
  CHECK(exact <= 50);  // a quarter of the budget stays exact
}

TEST_CASE(
    "report: a multi-rank run's page has each rank's process, the spread over ranks and the collectives") {
  const CommandResult run = run_text("report_ranks", R"({"kernel": "collective",
      "params": {"kind": "all_gather", "bytes": 65536, "ranks": 4}})");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const fs::path out = scratch_path("report_ranks") / "out";
  const CommandResult r = trnsim("report " + out.string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json d = page_data(read_text(out / "report.html"));
  const json& ranks = d["ranks"];
  CHECK(ranks["count"] == 4);
  REQUIRE(ranks["per_rank"].size() == 4);
  REQUIRE(!ranks["engines"].empty());
  for (const json& e : ranks["engines"]) {
    CHECK(e["min"] <= e["median"]);
    CHECK(e["median"] <= e["max"]);
  }
  CHECK(ranks["end_ns"]["max"].get<double>() <= d["summary"]["total_ns"].get<double>() + 1);
  std::vector<int> process_ranks;
  bool cc_row = false;
  for (const json& p : d["timeline"]["processes"]) {
    process_ranks.push_back(p["rank"]);
    for (const json& row : p["rows"])
      cc_row = cc_row || row["name"].get<std::string>().rfind("cc", 0) == 0;
  }
  CHECK(process_ranks == std::vector<int>{0, 1, 2, 3});
  CHECK(cc_row);  // the collective's slices on a CC-core row
  CHECK(d["summary"]["timing"]["collectives"]["by_kind"].contains("all_gather"));
}

TEST_CASE("report: a sweep folder's page charts total_ns and MFU along the key that varies") {
  const fs::path dir = scratch_dir("report_sweep");
  write_text(dir / "spec.json", R"({"base": {"kernel": "attention_cte", "params": {"seqlen_q": 128,
      "seqlen_kv": 128, "d": 64}, "mode": "timing", "trace": {"perfetto": false}},
      "product": {"params.causal": [true, false], "params.seqlen_q": [128, 256, 384], "params.d": [64, 0]}})");
  const CommandResult sweep =
      trnsim("sweep " + (dir / "spec.json").string() + " --out " + (dir / "out").string());
  REQUIRE(sweep.exit_code == 1);  // d = 0 points fail
  const CommandResult r = trnsim("report " + (dir / "out").string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("sweep of 12 points") != std::string::npos);
  CHECK(r.out.find("wrote        " + (dir / "out" / "report.html").string()) != std::string::npos);
  const std::string html = read_text(dir / "out" / "report.html");
  check_self_contained(html);
  const json d = page_data(html);
  CHECK(d["kind"] == "sweep");
  // A rerun of the sweep rewrites results.csv and removes the report of the old one.
  REQUIRE(trnsim("sweep " + (dir / "spec.json").string() + " --out " + (dir / "out").string()).exit_code ==
          1);
  CHECK(!fs::exists(dir / "out" / "report.html"));
  CHECK(d["keys"] ==
        json{"params.causal", "params.d", "params.seqlen_q"});  // the product's keys in key order
  CHECK(d["x_key"] == "params.seqlen_q");                       // the numeric key with the most values
  CHECK(d["series_keys"] == json{"params.causal", "params.d"});
  REQUIRE(d["points"].size() == 12);
  CHECK(d["points"][3][0] == "0003");
  const size_t verdict =
      size_t(std::find(d["columns"].begin(), d["columns"].end(), "verdict") - d["columns"].begin());
  CHECK(d["points"][3][verdict] == "ERROR");  // d = 0
  CHECK(d["points"][0][verdict] == "PASS");
  // The message of an erred point is in its row, commas and all (results.csv quotes it).
  CHECK(d["points"][3].back().get<std::string>().find("head dimension must be in 1..128") !=
        std::string::npos);
}

TEST_CASE("report: bad input is refused naming the file, never a crash") {
  const fs::path dir = scratch_dir("report_errors");
  const auto refused = [&](const std::string& args, const std::string& message) {
    const CommandResult r = trnsim("report " + args);
    CAPTURE(args);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(message) != std::string::npos);
  };
  refused((dir / "missing").string(), (dir / "missing").string() + ": no such folder");
  fs::create_directories(dir / "empty");
  refused((dir / "empty").string(), "empty: holds neither summary.json (a run folder) nor results.csv");
  const CommandResult usage = trnsim("report");
  CHECK(usage.exit_code == 2);
  CHECK(usage.err.find("missing argument: usage: trnsim report DIR") != std::string::npos);

  const fs::path out = timed_run("report_errors_run");
  const std::string summary = read_text(out / "summary.json");
  const std::string trace = read_text(out / "trace.pftrace");
  const auto copy = [&](const std::string& name, const std::string& summary_text,
                        const std::string& trace_text) {
    fs::create_directories(dir / name);
    write_text(dir / name / "summary.json", summary_text);
    if (!trace_text.empty())
      std::ofstream(dir / name / "trace.pftrace", std::ios::binary) << trace_text;
    return (dir / name).string();
  };
  // A summary of another schema_version, a truncated one, one missing what the page needs.
  json old = json::parse(summary);
  old["schema_version"] = 1;
  refused(copy("old", old.dump(), ""),
          "old/summary.json: $.schema_version: is 1, and this trnsim reads schema_version 3");
  refused(copy("cut_summary", summary.substr(0, summary.size() / 2), ""), "cut_summary/summary.json");
  json no_hbm = json::parse(summary);
  no_hbm["timing"].erase("hbm");
  refused(copy("no_hbm", no_hbm.dump(), ""), "no_hbm/summary.json: $.timing.hbm: missing");
  // A trace cut short mid-packet, and one of noise.
  refused(copy("cut_trace", summary, trace.substr(0, trace.size() / 2 + 7)), "cut_trace/trace.pftrace: ");
  refused(copy("noise", summary, std::string(4096, '\xff')),
          "noise/trace.pftrace: corrupt or truncated trace");
  // Cut at a packet boundary, it still decodes: the slices missing against the summary's counts tell.
  std::vector<size_t> boundaries;
  for (size_t at = 0; at < trace.size();) {
    REQUIRE(trace[at] == '\x0a');  // Trace.packet, length-delimited
    size_t length = 0, shift = 0, p = at + 1;
    for (; uint8_t(trace[p]) & 0x80; ++p, shift += 7)
      length |= size_t(uint8_t(trace[p]) & 0x7f) << shift;
    length |= size_t(uint8_t(trace[p])) << shift;
    at = p + 1 + length;
    boundaries.push_back(at);
  }
  REQUIRE(boundaries.back() == trace.size());
  refused(copy("boundary", summary, trace.substr(0, boundaries[boundaries.size() * 3 / 4])),
          "boundary/trace.pftrace: ");
  // Another run's trace beside this summary.
  const fs::path other = timed_run("report_errors_other", "", 256);
  refused(copy("other", summary, read_text(other / "trace.pftrace")), "other/trace.pftrace: 'NC0' holds ");
  // A sweep's results.csv whose row lost fields.
  fs::create_directories(dir / "sweep");
  write_text(dir / "sweep" / "results.csv",
             "point,params.d,verdict,total_ns,mfu_estimated_percent\n0000,64,PASS\n");
  refused((dir / "sweep").string(), "sweep/results.csv:2: 3 fields where the header has 5");
  write_text(dir / "sweep" / "results.csv", "a,b\n");
  refused((dir / "sweep").string(), "sweep/results.csv:1: the header does not start with 'point'");
}

TEST_CASE("report: --help shows the command and its options") {
  const CommandResult r = trnsim("report --help");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("usage: trnsim report DIR [--out FILE]") != std::string::npos);
  CHECK(r.out.find("--slice-budget") != std::string::npos);
  CHECK(trnsim("--help").out.find("report DIR [--out FILE]") != std::string::npos);
}

}  // namespace
}  // namespace tn::cli::test
