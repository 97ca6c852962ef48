// A sweep's results as its points end, shared by the local `trnsim sweep` and its MPI helper's
// coordinator: each point's line printed in point order, then DIR/results.csv (a row per point, in point
// order) and the closing count.
#pragma once
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tools/sweep_plan.hpp"

namespace tn::cli {

// results.csv's columns drawn from a point's run/summary.json: total_ns, MFU/HFU/MBU, the busiest core's
// busy % of each engine and of the busiest DMA queue, numerics. Empty cells when the file is missing or
// unreadable (a point that erred).
std::vector<std::string> summary_columns(const std::filesystem::path& summary_file);

class SweepTable {
 public:
  // Prints the lines of the points done before that lead the point order.
  SweepTable(const SweepPlan& plan, std::filesystem::path out, std::ostream& log);

  // Point i's result. `note` goes in its line's brackets (", rank 1"); `cells` are its summary columns
  // when the caller has them (an MPI rank sends them), else finish() reads them from the point's folder.
  void add(size_t i, CheckResult r, const std::string& note = "",
           std::optional<std::vector<std::string>> cells = std::nullopt);
  bool has(size_t i) const { return m_results.at(i).has_value(); }

  // Writes DIR/results.csv and prints the closing count; every point must have its result. Returns the
  // exit status: 0 when no point failed or erred.
  int finish();

 private:
  void print_ready();

  const SweepPlan& m_plan;
  std::filesystem::path m_out;
  std::ostream& m_log;
  std::vector<std::optional<CheckResult>> m_results;
  std::vector<std::string> m_notes;
  std::vector<std::optional<std::vector<std::string>>> m_cells;
  size_t m_printed = 0;
};

}  // namespace tn::cli
