// The shapes a transpose maps between (hardware.md §1.8, §3; nki.isa.dma_transpose): src [P, B, F] ->
// dst [F, B, P], dst[f, b, p] = src[p, b, f], with src's free dims split into B blocks (all but the
// innermost dim) of F elements (the innermost dim). B = 1 is the plain 2-D transpose, dst [F, P], in which
// src's free dims are flattened whatever their number. The blocked form (B > 1) is dma_transpose's
// (3, 1, 2, 0) permutation, with which attention_cte transposes a whole exp tile of 128-key blocks in one
// instruction (kernels.md §1.6); its dst is [F partitions, B x P free] in that order.
#pragma once
#include <cstdint>
#include <optional>

#include "isa/access_pattern.hpp"

namespace tn::isa {

struct TransposeShape {
  int64_t partitions = 0;  // P: src partitions, dst's innermost free extent
  int64_t blocks = 1;      // B
  int64_t inner = 0;       // F: elements per block, dst partitions
};

// The shape `dst` and `src` transpose as: plain when dst is [src free, src partitions], blocked when dst is
// [src innermost count, (src free / innermost) x src partitions]; nullopt otherwise.
std::optional<TransposeShape> transpose_shape(const AccessPattern& dst, const AccessPattern& src);

}  // namespace tn::isa
