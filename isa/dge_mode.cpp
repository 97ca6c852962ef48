#include "isa/dge_mode.hpp"

#include <iterator>

namespace tn::isa {

namespace {
constexpr std::string_view kDgeModeNames[] = {"none", "hwdge", "swdge"};
}  // namespace

std::string_view dge_mode_name(DgeMode mode) { return kDgeModeNames[static_cast<int>(mode)]; }

std::optional<DgeMode> dge_mode_from_name(std::string_view name) {
  for (size_t m = 0; m < std::size(kDgeModeNames); ++m) {
    if (kDgeModeNames[m] == name)
      return static_cast<DgeMode>(m);
  }
  return std::nullopt;
}

}  // namespace tn::isa
