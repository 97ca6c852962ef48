#include "isa/operations.hpp"

namespace tn::isa {

std::string_view mnemonic(const Operation& op) {
  return std::visit([](const auto& o) { return std::decay_t<decltype(o)>::kMnemonic; }, op);
}

EngineMask engines_of(const Operation& op) {
  return std::visit([](const auto& o) { return std::decay_t<decltype(o)>::kEngines; }, op);
}

}  // namespace tn::isa
