#include "tools/sweep_table.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "isa/engine.hpp"
#include "tools/child_pool.hpp"

namespace tn::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos)
    return text;
  std::string q = "\"";
  for (char c : text)
    q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string number(const json& v, int digits = 6) {
  if (!v.is_number())
    return "";
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", digits, v.get<double>());
  return text;
}

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// The busiest core's busy % of each compute engine, and of the busiest DMA queue: a column each, in this
// order, named after the engine (isa::engine_name).
constexpr isa::Engine kEngines[] = {isa::Engine::kPe, isa::Engine::kAct, isa::Engine::kDve,
                                    isa::Engine::kPool, isa::Engine::kSp};

// j[key], or null when j is not an object or has no such key.
json field(const json& j, const char* key) { return j.is_object() && j.contains(key) ? j[key] : json(); }

}  // namespace

std::vector<std::string> summary_columns(const fs::path& summary_file) {
  std::vector<std::string> cells(6 + std::size(kEngines), "");
  std::ifstream in(summary_file);
  const json s = json::parse(in, nullptr, false);
  if (!s.is_object())
    return cells;
  cells[0] = number(field(s, "total_ns"));
  const json t = field(s, "timing");
  cells[1] = number(field(t, "mfu_estimated_percent"), 4);
  cells[2] = number(field(t, "hfu_estimated_percent"), 4);
  cells[3] = number(field(t, "mbu_estimated_percent"), 4);
  std::vector<double> busy(std::size(kEngines) + 1, -1);
  json cores = field(t, "cores");
  if (!cores.is_array())
    cores = json::array();
  for (const json& core : cores) {
    json engines = field(core, "engines");
    if (!engines.is_object())
      engines = json::object();
    for (const auto& [stream, e] : engines.items()) {
      // By the stream's engine, not its name: a program of one's own may name its streams as it likes.
      const json engine_field = field(e, "engine");
      const auto engine =
          engine_field.is_string() ? isa::engine_from_name(engine_field.get<std::string>()) : std::nullopt;
      if (!engine)
        continue;
      const double b = field(e, "busy_percent").is_number() ? e["busy_percent"].get<double>() : 0.0;
      const auto k = std::find(std::begin(kEngines), std::end(kEngines), *engine);
      const size_t slot = k != std::end(kEngines)        ? size_t(k - std::begin(kEngines))
                          : *engine == isa::Engine::kDma ? std::size(kEngines)
                                                         : SIZE_MAX;
      if (slot != SIZE_MAX)
        busy[slot] = std::max(busy[slot], b);
    }
  }
  for (size_t i = 0; i < busy.size(); ++i)
    cells[4 + i] = busy[i] >= 0 ? number(busy[i], 4) : "";
  const json n = field(s, "numerics");
  cells.back() = field(n, "checked") != true ? "not compared" : field(n, "passed") == true ? "pass" : "fail";
  return cells;
}

SweepTable::SweepTable(const SweepPlan& plan, fs::path out, std::ostream& log)
    : m_plan(plan),
      m_out(std::move(out)),
      m_log(log),
      m_results(plan.results),
      m_notes(plan.results.size()),
      m_cells(plan.results.size()) {
  for (size_t i = 0; i < m_results.size(); ++i) {
    if (m_results[i])
      m_notes[i] = ", done before";
  }
  print_ready();
}

// Lines in point order, whatever order the points end in.
void SweepTable::print_ready() {
  for (; m_printed < m_results.size() && m_results[m_printed]; ++m_printed)
    m_log << result_line(point_label(m_plan.sweep, m_printed), *m_results[m_printed], m_notes[m_printed])
          << std::endl;
}

void SweepTable::add(size_t i, CheckResult r, const std::string& note,
                     std::optional<std::vector<std::string>> cells) {
  m_results.at(i) = std::move(r);
  m_notes[i] = note;
  m_cells[i] = std::move(cells);
  print_ready();
}

int SweepTable::finish() {
  const Sweep& sweep = m_plan.sweep;
  // A report of the sweep (trnsim report DIR) tables the old results: it goes, as a run's folder loses its
  // report when the run writes it again.
  std::filesystem::remove(m_out / "report.html");
  std::ofstream csv(m_out / "results.csv", std::ios::trunc);
  csv << "point";
  for (const std::string& k : sweep.keys)
    csv << "," << csv_field(k);
  csv << ",verdict,total_ns,mfu_estimated_percent,hfu_estimated_percent,mbu_estimated_percent";
  for (isa::Engine e : kEngines)
    csv << ",busy_" << isa::engine_name(e) << "_percent";
  csv << ",busy_DMA_max_percent,numerics,wall_s,message\n";
  VerdictCounts counts;
  for (size_t i = 0; i < m_results.size(); ++i) {
    if (!m_results[i])
      throw std::logic_error("sweep: point " + point_name(i) + " has no result");
    const CheckResult& r = *m_results[i];
    counts.add(r.verdict);
    csv << point_name(i);
    for (const json& v : sweep.points[i].values)
      csv << "," << csv_field(value_text(v));
    csv << "," << verdict_name(r.verdict);
    const std::vector<std::string> cells =
        m_cells[i] ? *m_cells[i] : summary_columns(point_dir(m_out, i) / "run" / "summary.json");
    for (const std::string& cell : cells)
      csv << "," << csv_field(cell);
    csv << "," << number(r.seconds, 4) << "," << csv_field(r.message) << "\n";
  }
  csv.close();
  if (!csv)
    throw std::runtime_error("sweep: cannot write " + (m_out / "results.csv").string());
  m_log << sweep.points.size() << " points: " << counts.passed << " passed, " << counts.failed << " failed, "
        << counts.skipped << " skipped (" << m_plan.reused << " done before); "
        << (m_out / "results.csv").string() << std::endl;
  return counts.failed == 0 ? 0 : 1;
}

}  // namespace tn::cli
