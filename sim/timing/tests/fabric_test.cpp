// Placement of ranks on chips and routes over the torus and the switch (hardware.md §2).
#include "sim/timing/fabric.hpp"

#include <doctest/doctest.h>

using namespace tn::timing;

TEST_CASE("placement: packed ranks share chips while they fit; one per chip spreads them") {
  const SystemConfig s = load_system_config("trn2.48xlarge");
  const Placement packed = place_ranks(s, 8, 8, 2, PlacementPolicy::kPacked);
  CHECK(packed.chip_of_rank == std::vector<uint32_t>{0, 0, 0, 0, 1, 1, 1, 1});
  CHECK(packed.cores_of_rank[1] == std::vector<uint32_t>{2, 3});
  CHECK(packed.cores_of_rank[5] == std::vector<uint32_t>{10, 11});
  const Placement spread = place_ranks(s, 8, 3, 2, PlacementPolicy::kOnePerChip);
  CHECK(spread.chip_of_rank == std::vector<uint32_t>{0, 1, 2});
  CHECK(spread.cores_of_rank[2] == std::vector<uint32_t>{16, 17});
  CHECK_THROWS_WITH_AS(
      place_ranks(s, 8, 65, 2, PlacementPolicy::kPacked),
      "65 ranks of 2 NeuronCores do not fit trn2.48xlarge (16 chips of 8 NeuronCores: at most 64 ranks)",
      PlacementError);
  CHECK_THROWS_WITH_AS(
      place_ranks(s, 8, 17, 1, PlacementPolicy::kOnePerChip),
      "17 ranks of 1 NeuronCores do not fit trn2.48xlarge (16 chips of 8 NeuronCores: at most 16 "
      "ranks one per chip)",
      PlacementError);
}

TEST_CASE("torus routes: dimension order, the shorter way round, ties the positive way") {
  const SystemConfig s = load_system_config("trn2.48xlarge");  // 4 x 4: chip = x + 4 y
  const Fabric f(s);
  CHECK(f.route(5, 5).empty());
  const auto names = [&](uint32_t a, uint32_t b) {
    std::vector<std::string> out;
    for (uint32_t l : f.route(a, b))
      out.push_back(f.link_name(l));
    return out;
  };
  CHECK(names(0, 1) == std::vector<std::string>{"chip 0 +x"});
  CHECK(names(0, 3) == std::vector<std::string>{"chip 0 -x"});               // wraps round
  CHECK(names(0, 2) == std::vector<std::string>{"chip 0 +x", "chip 1 +x"});  // a tie: positive
  CHECK(names(3, 4) == std::vector<std::string>{"chip 3 +x", "chip 0 +y"});  // x first, then y
  CHECK(names(15, 0) == std::vector<std::string>{"chip 15 +x", "chip 12 +y"});
  CHECK(f.link_ids().size() == 16 * 4);  // no z links in one instance
  const SystemConfig u = load_system_config("trn2u-ultraserver");
  const Fabric fu(u);
  CHECK(fu.link_ids().size() == 64 * 6);
  CHECK(fu.link(fu.route(0, 16)[0]).bytes_per_ns() == 128);  // a Z link
  CHECK(fu.link(fu.route(0, 1)[0]).bytes_per_ns() == 256);
}

TEST_CASE("switch routes: the sender's up port, then the receiver's down port") {
  const SystemConfig s = load_system_config("trn3-ultraserver");
  const Fabric f(s);
  const auto r = f.route(3, 40);
  REQUIRE(r.size() == 2);
  CHECK(f.link_name(r[0]) == "chip 3 up");
  CHECK(f.link_name(r[1]) == "chip 40 down");
  CHECK(f.link_ids().size() == 128);
}
