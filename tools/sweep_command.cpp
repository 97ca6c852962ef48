#include "tools/sweep_command.hpp"

#include <iostream>

#include "tools/child_runs.hpp"
#include "tools/sweep_plan.hpp"
#include "tools/sweep_table.hpp"

namespace tn::cli {

int run_sweep(const SweepOptions& options) {
  const SweepPlan plan = plan_sweep(options.spec, options.out);
  SweepTable table(plan, options.out, std::cout);
  run_in_children(
      plan.to_run.size(), options.jobs, options.timeout_s,
      [&](size_t j) {
        const std::filesystem::path dir = point_dir(options.out, plan.to_run[j]);
        return ChildJob{(dir / "config.json").string(), (dir / "run").string()};
      },
      [&](size_t j, CheckResult r) {
        write_point_result(options.out, plan.to_run[j], r);
        table.add(plan.to_run[j], std::move(r));
      });
  return table.finish();
}

}  // namespace tn::cli
