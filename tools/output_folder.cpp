#include "tools/output_folder.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tools/json_reader.hpp"

namespace tn::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMarker = ".trnsim-run";
// Everything a run writes into its folder (tools/run_pipeline.cpp), and the report.html `trnsim report`
// writes there by default (it describes the run whose files it sits beside, so a new run must not leave
// it showing the old one), the marker last.
constexpr const char* kRunEntries[] = {"summary.json", "trace.pftrace", "trace.json", "report.html",
                                       "inputs",       "outputs",       kMarker};

bool has_program_hash(const fs::path& summary) {
  std::ifstream in(summary);
  const nlohmann::json s = nlohmann::json::parse(in, nullptr, false);
  return s.is_object() && s.contains("program_hash");
}

}  // namespace

void check_output_folder(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec))
    return;
  if (!fs::is_directory(dir, ec))
    throw ConfigError("--out " + dir.string() + ": exists and is not a folder");
  if (fs::exists(dir / kMarker, ec) || has_program_hash(dir / "summary.json"))
    return;
  fs::directory_iterator it(dir, ec);
  if (ec)
    throw ConfigError("--out " + dir.string() + ": cannot read the folder: " + ec.message());
  size_t count = 0;
  std::string first;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (count++ == 0)
      first = it->path().filename().string();
  }
  if (count > 0) {
    throw ConfigError("--out " + dir.string() + ": the folder holds '" + first + "'" +
                      (count > 1 ? " and " + std::to_string(count - 1) + " more" : "") +
                      " and no trnsim run wrote it (no " + kMarker +
                      " in it): give a new or empty folder, so that a run's files never mix with others");
  }
}

void claim_output_folder(const fs::path& dir) {
  check_output_folder(dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw ConfigError("--out " + dir.string() + ": cannot create the folder: " + ec.message());
  for (const char* entry : kRunEntries) {
    fs::remove_all(dir / entry, ec);
    if (ec)
      throw ConfigError("--out " + dir.string() + ": cannot remove the earlier run's " + entry + ": " +
                        ec.message());
  }
  std::ofstream(dir / kMarker)
      << "This folder is a trnsim run's output: the next run into it replaces its files.\n";
}

}  // namespace tn::cli
