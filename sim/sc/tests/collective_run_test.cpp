// Timed runs over several ranks (one process per case): collectives equal the functional runner's bytes,
// take the closed-form times of the collective model, show on CC-core tracks with the profiler's CcOp
// fields, and a member that never arrives is a deadlock naming every rank.
#include <doctest/doctest.h>

#include <deque>

#include "sim/func/functional_runner.hpp"
#include "sim/sc/tests/recording_sink.hpp"
#include "sim/sc/tests/test_program.hpp"
#include "sim/sc/timed_run.hpp"
#include "sim/timing/tests/trn2_preset.hpp"

using namespace tn;
using sc::testing::RecordingSink;
using sc::testing::TestProgram;
using timing::testing::trn2;

namespace {

const timing::SystemConfig& trn2_48xl() {
  static const timing::SystemConfig s = timing::load_system_config("trn2.48xlarge");
  return s;
}

isa::AccessPattern flat(int32_t t, int64_t n) { return isa::hbm_ap(t, DType::kFloat32, 0, {n, 1}, {{1, n}}); }

// `ranks` memories with input "src" of `n` floats, rank r's values r * 1000 + i.
std::deque<sim::Hbm> memories(const isa::Program& p, size_t ranks) {
  std::deque<sim::Hbm> hbm(ranks);
  for (size_t r = 0; r < ranks; ++r) {
    for (const isa::TensorDecl& t : p.tensors) {
      if (t.kind != isa::TensorKind::kInput)
        continue;
      hbm[r].declare(t);
      std::vector<float> v(size_t(t.num_elements()));
      for (size_t i = 0; i < v.size(); ++i)
        v[i] = float(r * 1000 + i % 997);
      hbm[r].fill(t.name, v);
    }
  }
  return hbm;
}

sc::TimedLaunch launch_of(std::deque<sim::Hbm>& hbm, uint32_t lnc, timing::PlacementPolicy policy) {
  sc::TimedLaunch l;
  for (sim::Hbm& h : hbm)
    l.rank_hbm.push_back(&h);
  l.system = &trn2_48xl();
  l.placement = timing::place_ranks(trn2_48xl(), 8, uint32_t(hbm.size()), lnc, policy);
  return l;
}

}  // namespace

TEST_CASE(
    "timed collectives: a permute around 4 chips ends at its closed-form time, bit for bit as functional") {
  TestProgram t;
  constexpr int64_t n = 1 << 20;  // 4 MiB of fp32 per rank
  const int32_t src = t.tensor("src", DType::kFloat32, {n}, isa::TensorKind::kInput);
  const int32_t dst = t.tensor("dst", DType::kFloat32, {n}, isa::TensorKind::kOutput);
  t.p.replica_groups = {{{0, 1, 2, 3}}};
  const int32_t cc = t.stream("cc0", isa::Engine::kCc);
  t.emit(cc, isa::CollectivePermute{flat(dst, n), flat(src, n), 0, 0});
  auto timed = memories(t.p, 4), functional = memories(t.p, 4);
  std::vector<sim::Hbm*> fptr;
  for (sim::Hbm& h : functional)
    fptr.push_back(&h);
  sim::run_functional_ranks({&t.p}, fptr, trn2().memory_limits());
  RecordingSink sink;
  const sc::TimedRunResult r =
      sc::run_timed({&t.p}, launch_of(timed, 1, timing::PlacementPolicy::kOnePerChip), trn2(), sink, {});
  // Chips 0-3 form the torus's x ring. trigger 1300 ns + 4 MiB over one 256 B/ns link (16384 ns) + one hop
  // (1000 ns) = 18684 ns: the engines (11397.6 ns) and the stacks (2 x 5785.2 ns) are faster.
  CHECK(r.total_ps == 18'684'000);
  for (size_t rank = 0; rank < 4; ++rank)
    CHECK(timed[rank].at("dst").bytes == functional[rank].at("dst").bytes);
  CHECK(timed[1].read("dst")[5] == 5.0f);  // rank 1 holds rank 0's src
  REQUIRE(r.collectives.size() == 1);
  CHECK(r.collectives[0].kind == "collective_permute_implicit");
  CHECK(r.collectives[0].algorithm == "Ring");
  CHECK(r.collectives[0].busbw_bytes_per_ns == doctest::Approx(4.0 * n / 18684.0));
  CHECK(r.links.size() == 4);  // chip 0 +x .. chip 3 +x
  CHECK(r.cores.size() == 4);
  CHECK(r.cores[2].rank == 2);
  CHECK(r.cores[2].chip == 2);
  // One process per rank and core, named by rank, core and chip, with a CC-core track carrying CcOp fields.
  CHECK(sink.find_track("process", "rank 2 NC0 (chip 2)") != 0);
  const auto slices = sink.slices_on_all("cc0");
  REQUIRE(slices.size() == 4);
  CHECK(slices[0]->arg_string("algorithm") == "Ring");
  CHECK(slices[0]->arg_string("replica_group") == "0,1,2,3");
  CHECK(slices[0]->arg_int("cc_bytes") == 4 * n);
  CHECK(slices[0]->end_ns == 18'684);
  CHECK(sink.find_track("counter", "link chip 0 +x (GB/s)") != 0);
}

TEST_CASE("timed collectives: LNC2 ranks all_gather and all_to_all, equal to the functional run") {
  TestProgram core0;
  const int32_t src = core0.tensor("src", DType::kFloat32, {256}, isa::TensorKind::kInput);
  const int32_t gathered = core0.tensor("gathered", DType::kFloat32, {4 * 256}, isa::TensorKind::kOutput);
  const int32_t exchanged = core0.tensor("exchanged", DType::kFloat32, {256}, isa::TensorKind::kOutput);
  core0.p.replica_groups = {{{0, 1, 2, 3}}};
  const int32_t cc = core0.stream("cc0", isa::Engine::kCc);
  core0.emit(cc, isa::AllGather{flat(gathered, 1024), flat(src, 256), 0});
  core0.emit(cc, isa::AllToAll{flat(exchanged, 256), flat(src, 256), 0});
  TestProgram core1 = core0;
  core1.p.core_id = 1;
  auto timed = memories(core0.p, 4), functional = memories(core0.p, 4);
  std::vector<sim::Hbm*> fptr;
  for (sim::Hbm& h : functional)
    fptr.push_back(&h);
  sim::run_functional_ranks({&core0.p, &core1.p}, fptr, trn2().memory_limits());
  RecordingSink sink;
  const sc::TimedRunResult r = sc::run_timed(
      {&core0.p, &core1.p}, launch_of(timed, 2, timing::PlacementPolicy::kPacked), trn2(), sink, {});
  for (size_t rank = 0; rank < 4; ++rank) {
    CHECK(timed[rank].at("gathered").bytes == functional[rank].at("gathered").bytes);
    CHECK(timed[rank].at("exchanged").bytes == functional[rank].at("exchanged").bytes);
  }
  REQUIRE(r.collectives.size() == 2);
  CHECK(r.collectives[0].algorithm == "Mesh");                  // 4 KiB of output per rank: below 1 MiB
  CHECK(r.collectives[1].start_ps >= r.collectives[0].end_ps);  // in order on one CC-core
  CHECK(r.links.empty());                                       // four LNC2 ranks fill one chip
  CHECK(r.cores.size() == 8);
}

TEST_CASE("timed collectives: a rank that skips a collective is a deadlock naming every rank") {
  TestProgram t;
  const int32_t src = t.tensor("src", DType::kFloat32, {4}, isa::TensorKind::kInput);
  const int32_t dst = t.tensor("dst", DType::kFloat32, {8}, isa::TensorKind::kOutput);
  t.p.replica_groups = {{{0, 1}}};
  const int32_t cc = t.stream("cc0", isa::Engine::kCc);
  t.emit(cc, isa::RankId{1});
  t.emit(cc, isa::Branch{3, isa::BranchCond::kEq, 1, 1});
  t.emit(cc, isa::AllGather{flat(dst, 8), flat(src, 4), 0});
  auto hbm = memories(t.p, 2);
  RecordingSink sink;
  std::string message;
  try {
    sc::run_timed({&t.p}, launch_of(hbm, 1, timing::PlacementPolicy::kPacked), trn2(), sink, {});
  } catch (const sc::DeadlockError& e) {
    message = e.what();
  }
  INFO(message);
  CHECK(message.find("rank 0: cc0[2] all_gather (test.cpp:3): waits at collective #0 of cc0 on replica group "
                     "0 row [0, 1] "
                     "for rank 1 (arrived: rank 0)") != std::string::npos);
  CHECK(message.find("finished: rank 1") != std::string::npos);
}

TEST_CASE("timed collectives: only the traced ranks get trace processes") {
  TestProgram t;
  const int32_t src = t.tensor("src", DType::kFloat32, {4}, isa::TensorKind::kInput);
  const int32_t dst = t.tensor("dst", DType::kFloat32, {16}, isa::TensorKind::kOutput);
  t.p.replica_groups = {{{0, 1, 2, 3}}};
  const int32_t cc = t.stream("cc0", isa::Engine::kCc);
  t.emit(cc, isa::AllGather{flat(dst, 16), flat(src, 4), 0});
  auto hbm = memories(t.p, 4);
  RecordingSink sink;
  sc::TimedLaunch launch = launch_of(hbm, 1, timing::PlacementPolicy::kPacked);
  launch.traced_ranks = {1};
  const sc::TimedRunResult r = sc::run_timed({&t.p}, launch, trn2(), sink, {});
  CHECK(sink.find_track("process", "rank 1 NC0 (chip 0)") != 0);
  CHECK(sink.find_track("process", "rank 0 NC0 (chip 0)") == 0);
  CHECK(sink.slices_on_all("cc0").size() == 1);
  CHECK(r.cores.size() == 4);  // statistics for every rank
  CHECK(r.cores[3].streams[0].instructions == 1);
}

TEST_CASE(
    "timed collectives: a compute DMA issued during a permute takes its turn between the permute's rounds") {
  // Two ranks on neighbouring chips permute 8 MiB (8 link-bound rounds of 1 MiB, 4096 ns each: 32.8 us).
  // Queue q0 copies 1 MiB inside each rank after two small copies that follow the permute's source copy,
  // so it issues ~2.6 us into the permute. The engines are busy 2849 ns of each 4096 ns round, so the copy
  // fits between rounds: it ends
  // within a few rounds, not after the permute's 8 (as it would if the permute had booked the engines for
  // its whole length when it started).
  TestProgram t;
  constexpr int64_t n = 2 << 20, m = 256 << 10;  // 8 MiB and 1 MiB of fp32
  const int32_t src = t.tensor("src", DType::kFloat32, {n}, isa::TensorKind::kInput);
  const int32_t send = t.tensor("send", DType::kFloat32, {n}, isa::TensorKind::kInternal);
  const int32_t recv = t.tensor("recv", DType::kFloat32, {n}, isa::TensorKind::kInternal);
  const int32_t a = t.tensor("a", DType::kFloat32, {m}, isa::TensorKind::kInput);
  const int32_t b = t.tensor("b", DType::kFloat32, {m}, isa::TensorKind::kOutput);
  t.p.replica_groups = {{{0, 1}}};
  const int32_t cc = t.stream("cc0", isa::Engine::kCc);
  const int32_t q1 = t.stream("q1", isa::Engine::kDma);
  const int32_t q0 = t.stream("q0", isa::Engine::kDma);
  const auto rows = [](int32_t tensor, int64_t elems) {
    return isa::hbm_ap(tensor, DType::kFloat32, 0, {elems / 128, 128}, {{1, elems / 128}});
  };
  t.emit(q1, isa::DmaCopy{rows(send, n), rows(src, n)});
  t.emit(cc, isa::CollectivePermute{flat(recv, n), flat(send, n), 0, 0}, {t.after(q1, 1)});
  t.emit(q0, isa::DmaCopy{flat(b, 1), flat(a, 1)}, {t.after(q1, 1)});
  t.emit(q0, isa::DmaCopy{flat(b, 1), flat(a, 1)}, {t.after(q0, 1)});
  t.emit(q0, isa::DmaCopy{rows(b, m), rows(a, m)}, {t.after(q0, 2)});
  auto hbm = memories(t.p, 2);
  RecordingSink sink;
  const sc::TimedRunResult r =
      sc::run_timed({&t.p}, launch_of(hbm, 1, timing::PlacementPolicy::kOnePerChip), trn2(), sink, {});
  REQUIRE(r.collectives.size() == 1);
  const sc::CollectiveRecord& c = r.collectives[0];
  CHECK(c.end_ps - c.start_ps > 8 * 4'096'000);  // at least its 8 link-bound rounds
  uint64_t copy_end_ns = 0;
  for (const auto* s : sink.slices_on_all("q0")) {
    if (s->arg_int("bytes") >= 2 * 4 * m)  // the 1 MiB copy (read and written)
      copy_end_ns = std::max<uint64_t>(copy_end_ns, s->end_ns);
  }
  CHECK(copy_end_ns > 0);
  INFO("copy ends at " << copy_end_ns << " ns, the permute runs " << c.start_ps / 1000 << " to "
                       << c.end_ps / 1000 << " ns");
  CHECK(copy_end_ns * 1000 < c.start_ps + 3 * 4'096'000);
}
