// NeuronCore-v2's shared SBUF port in a timed run (hardware.md §1.6; sim/timing/shared_access_ports.hpp):
// a VectorE copy and an independent GpSimdE copy, both SBUF to SBUF, take turns on trn1 and overlap on trn2.
// Timing-only runs of a hand-built program; each case runs in its own process.
#include <doctest/doctest.h>

#include "sim/sc/tests/recording_sink.hpp"
#include "sim/sc/tests/test_program.hpp"
#include "sim/sc/timed_run.hpp"

using namespace tn;
using sc::testing::RecordingSink;
using sc::testing::sbuf2d;
using sc::testing::TestProgram;

namespace {

// Vector copies 1024 fp32 elements of one partition, GpSimd another 1024: no dependency between them.
TestProgram two_copies() {
  TestProgram t;
  const int32_t dve = t.stream("Vector", isa::Engine::kDve);
  const int32_t pool = t.stream("GpSimd", isa::Engine::kPool);
  t.emit(dve, isa::TensorCopy{sbuf2d(DType::kFloat32, 8192, 1, 1024), sbuf2d(DType::kFloat32, 0, 1, 1024)});
  t.emit(pool,
         isa::TensorCopy{sbuf2d(DType::kFloat32, 16384, 1, 1024), sbuf2d(DType::kFloat32, 4096, 1, 1024)});
  return t;
}

uint64_t gpsimd_start_ns(const char* preset, uint64_t& total_ps) {
  const TestProgram t = two_copies();
  RecordingSink sink;
  sim::Hbm hbm;
  sc::TimedRunOptions options;
  options.execute_numerics = false;
  total_ps = sc::run_timed({&t.p}, hbm, timing::load_hw_config(preset), sink, options).total_ps;
  const auto row = sink.slices_on("GpSimd");
  REQUIRE(row.size() == 1);
  return row[0]->start_ns;
}

}  // namespace

TEST_CASE("shared ports: on trn1 the GpSimd copy waits for the Vector copy's SBUF turn") {
  uint64_t total = 0;
  // VectorE (stream 0) starts first: 1024 cycles at 1.12 GHz = 914286 ps. GpSimd then runs 150 + 1024 =
  // 1174 cycles at 1.4 GHz = 838571 ps: the run ends at 914286 + 838571 ps (VectorE's commit, 100 cycles
  // = 89286 ps after its end, is earlier).
  CHECK(gpsimd_start_ns("trn1", total) == 914);
  CHECK(total == 914286 + 838571);
}

TEST_CASE("shared ports: on trn2 the two copies overlap") {
  uint64_t total = 0;
  // Both start at 0. VectorE: 1024 cycles at 0.96 GHz = 1066667 ps, committed 100 cycles (104167 ps) later;
  // GpSimd: 1174 cycles at 1.2 GHz = 978333 ps, inside that.
  CHECK(gpsimd_start_ns("trn2", total) == 0);
  CHECK(total == 1066667 + 104167);
}
