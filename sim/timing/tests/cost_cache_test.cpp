// CostCache: the same costs as cost(), per (operation, engine), and the same errors every time.
#include "sim/timing/cost_cache.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

#include "sim/timing/tests/trn2_preset.hpp"

using namespace tn;
using isa::ApDim;
using isa::Engine;
using timing::testing::trn2;

namespace {

isa::AccessPattern sbuf(DType t, int32_t partitions, int64_t n) {
  return isa::sbuf_ap(t, 0, 0, partitions, {ApDim{1, n}});
}

}  // namespace

TEST_CASE("cost cache: each (operation, engine) pair costs what cost() says, distinct pairs apart") {
  timing::CostCache cache(trn2());
  const isa::OpRef copy_64 =
      isa::TensorCopy{sbuf(DType::kBFloat16, 128, 64), sbuf(DType::kBFloat16, 128, 64)};
  const isa::OpRef copy_2048 =
      isa::TensorCopy{sbuf(DType::kBFloat16, 128, 2048), sbuf(DType::kBFloat16, 128, 2048)};
  for (int pass = 0; pass < 2; ++pass) {  // the second pass reads what the first stored
    for (const isa::OpRef& op : {copy_64, copy_2048}) {
      for (const Engine e : {Engine::kDve, Engine::kAct, Engine::kPool}) {
        const timing::InstructionCost& cached = cache.get(op, e);
        const timing::InstructionCost direct = timing::cost(op.get(), e, trn2());
        CHECK(cached.cycles == direct.cycles);
        CHECK(cached.duration_ps == direct.duration_ps);
        CHECK(cached.read.sbuf == direct.read.sbuf);
        CHECK(cached.written.sbuf == direct.written.sbuf);
      }
    }
  }
  // The DVE and ACT costs of one copy differ (their clocks and rates differ), so the engine is part of the
  // key.
  CHECK(cache.get(copy_2048, Engine::kDve).duration_ps != cache.get(copy_2048, Engine::kAct).duration_ps);
  CHECK(cache.get(copy_64, Engine::kDve).duration_ps < cache.get(copy_2048, Engine::kDve).duration_ps);
}

TEST_CASE("cost cache: an engine that cannot run the operation throws on every ask") {
  timing::CostCache cache(trn2());
  const isa::OpRef load = isa::LoadStationary{};
  CHECK_THROWS_WITH_AS(cache.get(load, Engine::kAct), "load_stationary cannot run on the Scalar engine",
                       std::invalid_argument);
  CHECK_THROWS_AS(cache.get(load, Engine::kAct), std::invalid_argument);
  CHECK(cache.get(load, Engine::kPe).duration_ps ==
        timing::cost(load.get(), Engine::kPe, trn2()).duration_ps);
}
