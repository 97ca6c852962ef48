// The fidelity report's rows (issue 14): each published cost formula or measurement of hardware.md that a
// trnsim run can reproduce, with its source, the expected value and the run configs that measure it. The
// report (bench/fidelity_report.cpp) prints them beside what trnsim simulates; the CLI test
// (tools/tests/cli_fidelity_test.cpp) pins each row's simulated value with the arithmetic behind it.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tn::bench {

// How a row's value comes out of its runs' summaries.
enum class Measure {
  // (total time of `runs[1]` - that of `runs[0]`) / (count difference): one instruction's share of a
  // stream of them, the load and store around it cancelling.
  kPerInstruction,
  // The same difference as a bandwidth: `bytes` per instruction / the per-instruction time (B/ns = GB/s).
  kBandwidth,
  // The busy time of the load queue (qSyncIO0) in `runs[0]`: one transfer's issue-to-completion time.
  kLoadQueueBusy,
  // Mean time of the instructions of opcode `opcode` in `runs[0]`.
  kOpcodeMean,
  // The total time of `runs[0]`, in ms: a published kernel measurement (hardware.md §5).
  kTotalMs,
};

struct FidelityCase {
  std::string id;       // short name, e.g. "act_raw_chain_trn1"
  std::string fact;     // what the row measures
  std::string source;   // where hardware.md states it
  double expected = 0;  // the published value, in `unit`
  std::string unit;     // "ns" or "GB/s"
  Measure measure = Measure::kPerInstruction;
  std::vector<nlohmann::json> runs;  // run configs (kPerInstruction / kBandwidth: two, counts differing)
  double count_difference = 0;       // kPerInstruction / kBandwidth
  double bytes = 0;                  // kBandwidth: bytes per instruction
  std::string opcode;                // kOpcodeMean
  // The time (or bandwidth) the row's work needs at the hardware's peak rates, in `unit`: no model may do
  // better. 0 when the row measures a fixed cost.
  double roofline = 0;
  // The target: |simulated / expected - 1| at most this (issue 14: 2 % for a formula, 10 % for the Trn1
  // matmul anchor).
  double tolerance = 0.02;
};

// Every row, in the report's order.
const std::vector<FidelityCase>& fidelity_cases();
const FidelityCase& fidelity_case(const std::string& id);

// Runs a config (name unique within the row) and returns its summary.json.
using RunConfig = std::function<nlohmann::json(const std::string& name, const nlohmann::json& config)>;
// The row's simulated value, in its unit.
double simulate(const FidelityCase& c, const RunConfig& run);

}  // namespace tn::bench
