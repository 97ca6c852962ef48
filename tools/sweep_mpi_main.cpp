// trnsim-sweep-mpi SPEC --out DIR --jobs N --timeout S: `trnsim sweep` under an MPI launcher
// (`mpirun -np N trnsim sweep SPEC --out DIR`: every rank's trnsim execs this, kMpiSweepHelper). The ranks
// take the sweep's points dynamically, a point per request:
// - rank 0 plans (spec -> points, the ones DIR already holds: tools/sweep_plan.hpp), hands out the points
//   left one at a time to whichever rank asks, runs points itself too, and alone writes each point's
//   result.json and DIR/results.csv (tools/sweep_table.hpp), from the results the ranks send back;
// - every rank runs its points in fresh `trnsim _point` children (tools/child_pool.hpp: posix_spawn, so
//   no work is done in a fork of an MPI process), up to --jobs at once, each killed after --timeout; each
//   child writes the point's run folder DIR/points/NNNN/run on the rank's machine (DIR is shared).
// Waiting is poll() on the children's pipes with short timeouts between MPI_Iprobe/MPI_Test calls: Open
// MPI's blocking receives spin, which would steal a core from the points. A fatal error in a rank aborts
// the whole job (MPI_Abort), so no rank waits forever for one that gave up.
#include <unistd.h>

#include <algorithm>
#include <boost/mpi.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tools/child_pool.hpp"
#include "tools/sweep_command.hpp"
#include "tools/sweep_plan.hpp"
#include "tools/sweep_table.hpp"

namespace {

namespace fs = std::filesystem;
namespace mpi = boost::mpi;
namespace po = boost::program_options;
using nlohmann::json;
using namespace tn::cli;

// Messages: a rank asks for a point (no payload); rank 0 answers with a point's number, or -1 when none
// is left (the rank then stops asking); a rank sends each result as JSON text.
constexpr int kTagWant = 1, kTagWork = 2, kTagResult = 3;
constexpr int kNoMorePoints = -1;
// How long rank 0 sleeps between looks for messages while its children run, and how long a rank waiting
// for rank 0's answer sleeps between tests: short next to a point (seconds), long for a CPU.
constexpr int kCoordinatorPollMs = 20, kAnswerPollMs = 5;

struct Options {
  std::string spec, out;
  int jobs = 1;
  double timeout_s = 0;
};

// The options trnsim passes, already checked by it (tools/trnsim_main.cpp exec_mpi_sweep).
Options parse_options(int argc, char** argv) {
  po::options_description opts;
  opts.add_options()("spec", po::value<std::string>()->required())(
      "out", po::value<std::string>()->required())("jobs", po::value<int>()->required())(
      "timeout", po::value<double>()->required());
  po::positional_options_description pos;
  pos.add("spec", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
  po::notify(vm);
  return {vm["spec"].as<std::string>(), vm["out"].as<std::string>(), vm["jobs"].as<int>(),
          vm["timeout"].as<double>()};
}

// The trnsim beside this executable, which runs the points.
std::string trnsim_beside_me() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    throw std::runtime_error("cannot read /proc/self/exe: " + ec.message());
  const fs::path trnsim = self.parent_path() / "trnsim";
  if (access(trnsim.c_str(), X_OK) != 0)
    throw std::runtime_error("the points run in " + trnsim.string() + ", which is missing or not executable");
  return trnsim.string();
}

ChildJob job_of(const fs::path& out, size_t i) {
  const fs::path dir = point_dir(out, i);
  return ChildJob{(dir / "config.json").string(), (dir / "run").string()};
}

json result_json(size_t i, const CheckResult& r, const std::vector<std::string>& cells) {
  return {{"point", i},           {"verdict", verdict_name(r.verdict)},
          {"line", r.line},       {"message", r.message},
          {"seconds", r.seconds}, {"cells", cells}};
}

// A rank other than 0: asks for a point whenever it has room for one, runs it, sends the result back.
void work(const mpi::communicator& world, const Options& o, const std::string& trnsim) {
  ChildPool pool = ChildPool::spawning(o.jobs, o.timeout_s, trnsim);
  bool asking = false, no_more = false;
  int answer = kNoMorePoints;
  std::optional<mpi::request> request;
  for (;;) {
    if (!asking && !no_more && pool.has_room()) {
      world.send(0, kTagWant);
      request = world.irecv(0, kTagWork, answer);
      asking = true;
    }
    if (asking && request->test()) {
      asking = false;
      if (answer == kNoMorePoints)
        no_more = true;
      else
        pool.start(size_t(answer), job_of(o.out, size_t(answer)));
      continue;  // room for another point: ask again at once
    }
    if (no_more && pool.empty())
      return;
    // Waiting for an answer: look again soon. Otherwise only a child's end can change anything, so sleep
    // in poll() until one does.
    for (auto& [i, r] : pool.wait(asking ? kAnswerPollMs : -1)) {
      const auto cells = summary_columns(point_dir(o.out, i) / "run" / "summary.json");
      world.send(0, kTagResult, result_json(i, r, cells).dump());
    }
  }
}

// Rank 0: plans, hands out points, runs points, tabulates. Returns the exit status.
int coordinate(const mpi::communicator& world, const Options& o, const std::string& trnsim,
               const std::vector<std::string>& hosts) {
  std::optional<SweepPlan> plan;
  try {
    plan.emplace(plan_sweep(o.spec, o.out));
  } catch (const std::exception& e) {
    // Not fatal to the job: the other ranks are told there is nothing to run, and all exit cleanly.
    std::cerr << "trnsim sweep: error: " << e.what() << std::endl;
  }
  std::optional<SweepTable> table;
  if (plan)
    table.emplace(*plan, o.out, std::cout);
  const std::vector<size_t> to_run = plan ? plan->to_run : std::vector<size_t>();
  std::vector<int> given_to(plan ? plan->sweep.points.size() : 0, -1);  // the rank running each point
  std::vector<size_t> ran(size_t(world.size()), 0);
  const auto record = [&](size_t i, CheckResult r, int rank, std::optional<std::vector<std::string>> cells) {
    write_point_result(o.out, i, r, {{"rank", rank}, {"host", hosts[size_t(rank)]}});
    table->add(i, std::move(r), ", rank " + std::to_string(rank), std::move(cells));
    ++ran[size_t(rank)];
  };
  // A result from `rank`, checked against what it was given.
  const auto record_sent = [&](int rank, const std::string& text) {
    const json j = json::parse(text, nullptr, false);
    const auto fail = [&](const std::string& why) {
      throw std::runtime_error("rank " + std::to_string(rank) + " (" + hosts[size_t(rank)] + ") sent " + why);
    };
    if (!j.is_object() || !j.contains("point") || !j["point"].is_number_unsigned() || !j.contains("cells") ||
        !j["cells"].is_array() || !j.contains("verdict") || !j["verdict"].is_string())
      fail("an unreadable result: " + text.substr(0, 200));
    const size_t i = j["point"].get<size_t>();
    if (i >= given_to.size() || given_to[i] != rank)
      fail("a result for point " + std::to_string(i) + ", which it was not given");
    const auto verdict = verdict_named(j["verdict"].get<std::string>());
    if (!verdict)
      fail("a result with an unknown verdict: " + text.substr(0, 200));
    given_to[i] = -1;
    record(i,
           CheckResult{job_of(o.out, i).config, *verdict, j.value("line", ""), j.value("message", ""),
                       j.value("seconds", 0.0)},
           rank, j["cells"].get<std::vector<std::string>>());
  };

  size_t next = 0, elsewhere = 0;  // points handed out and not yet back
  int stopped = 0;                 // ranks told there is no point left
  const auto serve = [&](const mpi::status& s) {
    const int rank = s.source();
    if (s.tag() == kTagWant) {
      world.recv(rank, kTagWant);
      int point = kNoMorePoints;
      if (next < to_run.size()) {
        point = int(to_run[next++]);
        given_to[size_t(point)] = rank;
        ++elsewhere;
      } else {
        ++stopped;
      }
      world.send(rank, kTagWork, point);
    } else if (s.tag() == kTagResult) {
      std::string text;
      world.recv(rank, kTagResult, text);
      record_sent(rank, text);
      --elsewhere;
    } else {
      throw std::runtime_error("rank " + std::to_string(rank) + " sent a message with unknown tag " +
                               std::to_string(s.tag()));
    }
  };
  // Every other rank asks at once (it is past the gather); answering all of them before taking a point
  // here starts every rank together, rather than rank 0 taking the first points of a short sweep alone.
  std::vector<bool> heard(size_t(world.size()), false);
  for (int waiting = world.size() - 1; waiting > 0;) {
    if (const boost::optional<mpi::status> s = world.iprobe(mpi::any_source, kTagWant)) {
      waiting -= heard[size_t(s->source())] ? 0 : 1;
      heard[size_t(s->source())] = true;
      serve(*s);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(kAnswerPollMs));
    }
  }

  ChildPool pool = ChildPool::spawning(o.jobs, o.timeout_s, trnsim);
  for (;;) {
    for (; pool.has_room() && next < to_run.size(); ++next) {
      given_to[to_run[next]] = 0;
      pool.start(to_run[next], job_of(o.out, to_run[next]));
    }
    while (const boost::optional<mpi::status> s = world.iprobe(mpi::any_source, mpi::any_tag))
      serve(*s);
    if (next == to_run.size() && pool.empty() && elsewhere == 0 && stopped == world.size() - 1)
      break;
    for (auto& [i, r] : pool.wait(kCoordinatorPollMs))
      record(i, std::move(r), 0, summary_columns(point_dir(o.out, i) / "run" / "summary.json"));
  }
  if (!plan)
    return 1;
  const int status = table->finish();
  std::vector<std::string> distinct = hosts;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::cout << world.size() << (world.size() == 1 ? " rank" : " ranks") << " on " << distinct.size()
            << (distinct.size() == 1 ? " host" : " hosts") << ":";
  for (int r = 0; r < world.size(); ++r)
    std::cout << (r ? "," : "") << " rank " << r << " ran " << ran[size_t(r)] << (r ? "" : " points");
  std::cout << std::endl;
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // Open MPI warns when an MPI process forks, because a child could touch the parent's MPI state or
  // registered memory. Ours cannot: posix_spawn runs no fork handlers, and each child at once execs
  // trnsim, which has no MPI. (A user's own setting wins.)
  setenv("OMPI_MCA_mpi_warn_on_fork", "0", 0);
  // Ranks on one machine exchange messages through shared memory; past 4 KiB Open MPI's vader copies
  // them with process_vm_readv, which containers without CAP_SYS_PTRACE refuse, failing the job (a long
  // error message is enough). The messages are small and few: plain copies cost nothing.
  setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
  mpi::environment env(argc, argv);
  mpi::communicator world;
  const std::string host = mpi::environment::processor_name();
  try {
    const Options o = parse_options(argc, argv);
    const std::string trnsim = trnsim_beside_me();
    // Every rank's host, for rank 0's error messages and closing line (a collective: all ranks are here).
    std::vector<std::string> hosts;
    mpi::gather(world, host, hosts, 0);
    if (world.rank() != 0) {
      work(world, o, trnsim);
      return 0;
    }
    return coordinate(world, o, trnsim, hosts);
  } catch (const std::exception& e) {
    // Unwinding has killed this rank's children (~ChildPool); the launcher ends the other ranks.
    // One write, so the lines of ranks failing together do not interleave.
    std::cerr << "trnsim sweep: MPI rank " + std::to_string(world.rank()) + " of " +
                     std::to_string(world.size()) + " (" + host + "): error: " + e.what() + "\n"
              << std::flush;
    env.abort(1);
  }
  return 1;
}
