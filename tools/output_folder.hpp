// A run owns its output folder: `trnsim run --out DIR` writes DIR/.trnsim-run beside its files, replaces
// what an earlier run wrote there (so no other kernel's inputs or an old trace stay beside the new ones),
// and refuses a non-empty folder that no run wrote rather than mixing its files with a user's.
#pragma once
#include <filesystem>

namespace tn::cli {

// Throws ConfigError unless `dir` is missing, empty, or an earlier run's folder (it holds the marker, or,
// from before the marker, a summary.json with a program hash). Writes nothing.
void check_output_folder(const std::filesystem::path& dir);

// Makes `dir` a fresh run folder: checks it as above, creates it if missing, removes the entries a run
// writes (summary.json, the traces, inputs/, outputs/) and the report of it (report.html), and writes the
// marker. Files a run never writes are left where they are.
void claim_output_folder(const std::filesystem::path& dir);

}  // namespace tn::cli
