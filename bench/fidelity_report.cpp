// The fidelity report (issue 14): every published cost formula and measurement of hardware.md that trnsim
// can reproduce (bench/fidelity_cases.cpp), beside what trnsim simulates, as one Markdown table. Each row
// runs the trnsim executable on microbenchmark configs (kernels/microbenchmark.hpp) or a kernel.
//   fidelity_report            (prints the table; the README shows it)
#include <cmath>
#include <cstdio>
#include <string>

#include "bench/bench_runner.hpp"
#include "bench/fidelity_cases.hpp"

using nlohmann::json;

int main() {
  const auto dir = tn::bench::scratch("trnsim_fidelity_report");
  const tn::bench::RunConfig run = [&](const std::string& name, const json& config) {
    return tn::bench::run_trnsim(dir, name, config);
  };
  std::printf("| fact | source | expected | simulated | simulated / expected | roofline |\n");
  std::printf("|---|---|---|---|---|---|\n");
  int outside = 0;
  for (const tn::bench::FidelityCase& c : tn::bench::fidelity_cases()) {
    const double simulated = tn::bench::simulate(c, run);
    const double ratio = simulated / c.expected;
    const bool within = std::fabs(ratio - 1.0) <= c.tolerance;
    outside += within ? 0 : 1;
    char roofline[64] = "-";
    if (c.roofline > 0)
      std::snprintf(roofline, sizeof roofline, "%.*f %s", c.unit == "ms" ? 2 : 1, c.roofline, c.unit.c_str());
    const std::string miss =
        within ? "" : " (outside " + std::to_string(std::lround(c.tolerance * 100)) + " %)";
    std::printf("| %s | %s | %.*f %s | %.*f %s | %.3f%s | %s |\n", c.fact.c_str(), c.source.c_str(),
                c.unit == "ms" ? 2 : 1, c.expected, c.unit.c_str(), c.unit == "ms" ? 2 : 1, simulated,
                c.unit.c_str(), ratio, miss.c_str(), roofline);
    std::fflush(stdout);
  }
  std::printf("\n%d of %zu rows outside their target (2 %% for a formula, 10 %% for the Trn1 matmul)\n",
              outside, tn::bench::fidelity_cases().size());
  return 0;
}
