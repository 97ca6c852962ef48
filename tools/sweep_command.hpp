// `trnsim sweep SPEC.json --out DIR`: runs a grid of variations of one run config, each point in its own
// process (several at once), and tabulates them in DIR/results.csv. A rerun reuses the points already done;
// a failing point is recorded and the others still run.
//
// SPEC: {"description": "...", "base": "run_config.json" | {a run config},
//        "product": {"params.seqlen_q": [1024, 2048], "mode": ["timing", "functional"]},
//        "zip": {"params.seqlen_kv": [512, 1024], "params.d": [64, 128]}}
// A key is a dotted path into the run config. The points are every combination of the product's lists (the
// first key, in key order, varying slowest), each with every tuple of the zip's lists (equal lengths).
// Relative paths in a base file (inputs.files, a program's files) resolve from the base file's folder.
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

}  // namespace tn::cli
