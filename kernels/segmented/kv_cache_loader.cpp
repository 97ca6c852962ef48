#include "kernels/segmented/kv_cache_loader.hpp"

#include <algorithm>
#include <cstdint>

namespace tn::kernels {

using namespace isa;

namespace {

constexpr int64_t kKTile = 512;
constexpr int64_t kVTile = 128;
// Indices at or above 2^31 (negative as int32: the -1 padding) are skipped; smaller ones past the cache
// address outside the tensor, which the gather reports as an error naming the index.
constexpr int64_t kSkipFrom = int64_t{1} << 31;

// The PSUM bank the K transposes go through (the attention passes use banks 0-5).
constexpr int32_t kTransposeBank = 7;

}  // namespace

void load_kv_cache(ProgramBuilder& b, const KvCacheLayout& L, const KvCacheTiles& tiles,
                   const KvCacheQueues& queues, int64_t row, int64_t head, const AccessPattern& offset,
                   int64_t num_blocks, Loc loc) {
  const int64_t bs = L.block_size, d = L.d, n_kv = L.num_kv_heads;
  const int32_t di = static_cast<int32_t>(d);
  // 1. The table entries, from the runtime offset within the row.
  const AccessPattern index = columns(tiles.index.ap, 0, num_blocks);
  b.dma_gather(queues.index, index,
               hbm_ap(L.block_table, DType::kInt32, row * L.table_width, {0, 1}, {{1, num_blocks}}), offset,
               1, kSkipFrom, loc);

  size_t next_k = 0, next_v = 0;
  auto k_queue = [&] { return queues.k[next_k++ % queues.k.size()]; };
  auto v_queue = [&] { return queues.v[next_v++ % queues.v.size()]; };
  const int64_t block_elems = bs * d;  // one head's block in either layout
  const int64_t piece = std::min(bs, kVTile);
  const int64_t keys = num_blocks * bs;

  // 2. Per block: V (and K in the normal layout) in pieces of at most 128 rows.
  for (int64_t blk = 0; blk < num_blocks; ++blk) {
    const AccessPattern entry = columns(index, blk, 1);
    for (int64_t r0 = 0; r0 < bs; r0 += piece) {
      const int64_t key = blk * bs + r0;
      const int32_t p0 = static_cast<int32_t>(key % kVTile);
      const AccessPattern src =
          hbm_ap(L.v_cache, L.kv_dtype, head * block_elems + r0 * d, {d, piece}, {{1, d}});
      b.dma_gather(v_queue(), partitions(tiles.v[key / kVTile].ap, p0, static_cast<int32_t>(piece)), src,
                   entry, n_kv * block_elems, kSkipFrom, loc);
      if (!L.k_pre_transposed) {
        // Chunks of 128 keys rotate over the staging tiles, so that one chunk's gathers need not wait for the
        // previous chunk's transpose.
        const AccessPattern staging = tiles.k_staging[(key / kVTile) % tiles.k_staging.size()].ap;
        const AccessPattern k_src =
            hbm_ap(L.k_cache, L.kv_dtype, head * block_elems + r0 * d, {d, piece}, {{1, d}});
        b.dma_gather(k_queue(), partitions(staging, p0, static_cast<int32_t>(piece)), k_src, entry,
                     n_kv * block_elems, kSkipFrom, loc);
        // A full (or the last) 128 keys staged: transpose them into the K tile.
        const int64_t staged_end = key + piece;
        if (staged_end % kVTile == 0 || staged_end == keys) {
          const int64_t first = (staged_end - 1) / kVTile * kVTile;
          const int32_t rows = static_cast<int32_t>(staged_end - first);
          Buffer tp = b.psum_at_bank("k_transpose_psum", kTransposeBank, L.kv_dtype, di, {kVTile}, loc);
          const AccessPattern tp_ap = columns(tp.ap, 0, rows);
          b.pe_transpose(tp_ap, partitions(staging, 0, rows), loc);
          b.tensor_copy(columns(partitions(tiles.k[first / kKTile].ap, 0, di), first % kKTile, rows), tp_ap,
                        Engine::kAct, loc);
        }
      }
    }
    if (L.k_pre_transposed) {
      // Block b of head h is row-block b * n_kv + h of (num_blocks * n_kv, d, bs): [d, bs] per block.
      const int64_t key = blk * bs;
      const AccessPattern src = hbm_ap(L.k_cache, L.kv_dtype, head * block_elems, {bs, d}, {{1, bs}});
      b.dma_gather(k_queue(), columns(partitions(tiles.k[key / kKTile].ap, 0, di), key % kKTile, bs), src,
                   entry, n_kv * block_elems, kSkipFrom, loc);
    }
  }
}

}  // namespace tn::kernels
