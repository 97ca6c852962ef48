// The NeuronCore's instruction-issuing units (hardware.md §1.2): four compute engines, the Sync engine,
// the DMA queues and the CC-cores that sequence collectives (collectives.md §1). Each runs its own in-order
// instruction stream.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace tn::isa {

enum class Engine : uint8_t { kPe, kAct, kDve, kPool, kSp, kDma, kCc };
inline constexpr int kNumEngineKinds = 7;

using EngineMask = uint8_t;
constexpr EngineMask mask_of(Engine e) { return EngineMask(1u << static_cast<unsigned>(e)); }
inline constexpr EngineMask kPe = mask_of(Engine::kPe);
inline constexpr EngineMask kAct = mask_of(Engine::kAct);
inline constexpr EngineMask kDve = mask_of(Engine::kDve);
inline constexpr EngineMask kPool = mask_of(Engine::kPool);
inline constexpr EngineMask kSp = mask_of(Engine::kSp);
inline constexpr EngineMask kDma = mask_of(Engine::kDma);
inline constexpr EngineMask kCc = mask_of(Engine::kCc);
inline constexpr EngineMask kAnyEngine = kPe | kAct | kDve | kPool | kSp | kDma | kCc;
// The engines whose sequencers compute (not the queues that move data).
inline constexpr EngineMask kComputeEngines = kPe | kAct | kDve | kPool | kSp;

// The one name trnsim gives an engine everywhere it writes one (summary, trace, disassembly, program JSON,
// messages): the Neuron profiler's row name (peers-perfetto-profiler.md §3), "Tensor", "Scalar", ...
std::string_view engine_name(Engine e);
// The engine a name means: the profiler's name, or on input the ISA's short name ("pe", "act", "dve",
// "pool", "sp", "dma", "cc") that program JSON written before summary schema 3 used.
std::optional<Engine> engine_from_name(std::string_view s);

}  // namespace tn::isa
