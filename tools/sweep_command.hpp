// `trnsim sweep SPEC.json --out DIR`: runs a grid of variations of one run config, each point in its own
// process (several at once), and tabulates them in DIR/results.csv. A rerun reuses the points already done;
// a failing point is recorded and the others still run.
//
// The spec's format and the points' files: tools/sweep_plan.hpp. Under an MPI launcher, trnsim runs the
// sweep in its MPI helper instead (tools/sweep_mpi_main.cpp).
#pragma once
#include <string>

namespace tn::cli {

struct SweepOptions {
  std::string spec;
  std::string out;
  int jobs = 1;          // points run at once
  double timeout_s = 0;  // per point; 0: none
};

// Prints a line per point and a closing count; returns 0 when no point failed or erred.
int run_sweep(const SweepOptions& options);

// The MPI sweep's executable, beside trnsim (build/ and bin/): `trnsim sweep` execs it when an MPI
// launcher started it, with the options it read, `trnsim-sweep-mpi SPEC --out DIR --jobs N --timeout S`.
// Only it links libmpi, so trnsim's own start-up (every run, every point's child) does not pay for it.
inline constexpr const char* kMpiSweepHelper = "trnsim-sweep-mpi";

}  // namespace tn::cli
