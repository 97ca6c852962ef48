// The trn2 hardware preset, loaded once per test process (tests of the timing models and timed runs).
#pragma once
#include "sim/timing/hw_config.hpp"

namespace tn::timing::testing {

inline const HwConfig& trn2() {
  static const HwConfig hw = load_hw_config("trn2");
  return hw;
}

}  // namespace tn::timing::testing
