#include "isa/transpose_shape.hpp"

namespace tn::isa {

std::optional<TransposeShape> transpose_shape(const AccessPattern& dst, const AccessPattern& src) {
  const int64_t p = src.num_partitions, free = src.free_size();
  if (dst.num_partitions == free && dst.free_size() == p)
    return TransposeShape{p, 1, free};
  const int64_t inner = src.ndim == 0 ? 1 : src.dims[src.ndim - 1].count;
  if (inner <= 0 || free % inner != 0)
    return std::nullopt;
  const int64_t blocks = free / inner;
  if (dst.num_partitions == inner && dst.free_size() == blocks * p)
    return TransposeShape{p, blocks, inner};
  return std::nullopt;
}

}  // namespace tn::isa
