#include "isa/engine.hpp"

namespace tn::isa {

namespace {
struct EngineNames {
  Engine engine;
  std::string_view name;       // the profiler's
  std::string_view isa_alias;  // accepted on input only
};
constexpr EngineNames kEngineNames[] = {
    {Engine::kPe, "Tensor", "pe"},     {Engine::kAct, "Scalar", "act"}, {Engine::kDve, "Vector", "dve"},
    {Engine::kPool, "GpSimd", "pool"}, {Engine::kSp, "Sync", "sp"},     {Engine::kDma, "DMA", "dma"},
    {Engine::kCc, "CC-core", "cc"},
};
}  // namespace

std::string_view engine_name(Engine e) { return kEngineNames[static_cast<int>(e)].name; }

std::optional<Engine> engine_from_name(std::string_view s) {
  for (const auto& n : kEngineNames) {
    if (n.name == s || n.isa_alias == s)
      return n.engine;
  }
  return std::nullopt;
}

}  // namespace tn::isa
