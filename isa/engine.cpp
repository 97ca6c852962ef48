#include "isa/engine.hpp"

namespace tn::isa {

namespace {
struct EngineNames {
  Engine engine;
  std::string_view short_name;
  std::string_view profiler_name;
};
constexpr EngineNames kEngineNames[] = {
    {Engine::kPe, "pe", "Tensor"},     {Engine::kAct, "act", "Scalar"}, {Engine::kDve, "dve", "Vector"},
    {Engine::kPool, "pool", "GpSimd"}, {Engine::kSp, "sp", "Sync"},     {Engine::kDma, "dma", "DMA"},
    {Engine::kCc, "cc", "CC-core"},
};
}  // namespace

std::string_view engine_name(Engine e) { return kEngineNames[static_cast<int>(e)].short_name; }
std::string_view engine_profiler_name(Engine e) { return kEngineNames[static_cast<int>(e)].profiler_name; }

std::optional<Engine> engine_from_name(std::string_view s) {
  for (const auto& n : kEngineNames) {
    if (n.short_name == s)
      return n.engine;
  }
  return std::nullopt;
}

}  // namespace tn::isa
