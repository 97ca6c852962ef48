// One struct per row of isa/instructions.def, and `Operation`, the variant over all of them.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>

#include "isa/access_pattern.hpp"
#include "isa/engine.hpp"
#include "isa/operators.hpp"
#include "isa/preprocessor.hpp"

namespace tn::isa {

// Per-free-dimension multipliers of iota / affine_select, outermost first (matches AccessPattern::dims).
using Steps = std::array<int64_t, kMaxFreeDims>;

// nc_stream_shuffle's per-quadrant source partitions: 0..31, or kShuffleKeep to leave a partition as it is.
inline constexpr int32_t kQuadrantPartitions = 32;
using ShuffleMask = std::array<uint8_t, kQuadrantPartitions>;
inline constexpr uint8_t kShuffleKeep = 255;

#define TN_DECLARE_FIELD(f) TN_DECLARE_FIELD_ f
#define TN_DECLARE_FIELD_(type, name) type name{};
#define TN_VISIT_FIELD(f) TN_VISIT_FIELD_ f
#define TN_VISIT_FIELD_(type, name) visit(#name, self.name);
#define TN_FIELD_NAME(f) TN_FIELD_NAME_ f
#define TN_FIELD_NAME_(type, name) std::string_view(#name),

#define TN_INSTR(Name, mnemonic, engines, ...)                                                   \
  struct Name {                                                                                  \
    static constexpr std::string_view kMnemonic = mnemonic;                                      \
    static constexpr EngineMask kEngines = engines;                                              \
    /* The field names in table order, for compile-time checks. */                               \
    static constexpr std::string_view kFieldNames[] = {TN_FOR_EACH(TN_FIELD_NAME, __VA_ARGS__)}; \
    TN_FOR_EACH(TN_DECLARE_FIELD, __VA_ARGS__)                                                   \
    /* Calls visit(name, field) for every field, in table order. */                              \
    template <class Self, class Visitor>                                                         \
    static void for_each_field(Self& self, Visitor&& visit) {                                    \
      TN_FOR_EACH(TN_VISIT_FIELD, __VA_ARGS__)                                                   \
    }                                                                                            \
    bool operator==(const Name&) const = default;                                                \
  };
#include "isa/instructions.def"
#undef TN_INSTR

namespace detail {
struct EndOfTable {};
#define TN_INSTR(Name, ...) Name,
using AllOperations = std::tuple<
#include "isa/instructions.def"
    EndOfTable>;
#undef TN_INSTR
template <class Tuple, size_t... I>
std::variant<std::tuple_element_t<I, Tuple>...> variant_of(std::index_sequence<I...>);
}  // namespace detail

using Operation = decltype(detail::variant_of<detail::AllOperations>(
    std::make_index_sequence<std::tuple_size_v<detail::AllOperations> - 1>{}));
inline constexpr size_t kNumOpcodes = std::variant_size_v<Operation>;

std::string_view mnemonic(const Operation& op);
EngineMask engines_of(const Operation& op);

}  // namespace tn::isa
