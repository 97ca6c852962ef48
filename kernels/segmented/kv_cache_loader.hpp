// load_kv_cache of attention_segmented_cte (kernels.md §3.2, seed API doc 001): gathers a run of a
// sequence's KV-cache blocks, addressed through its block table at a block offset known only at run time,
// into the K tiles [d, 512] and V tiles [128, d] that the attention passes read.
//
// Every address comes from the engines at run time:
//   1. one indirect DMA reads the `num_blocks` table entries starting at the runtime offset (a scalar
//      offset into the table row) into an SBUF index row;
//   2. each block is one indirect DMA per destination piece whose source row is that index entry. Entries
//      that are negative as int32 (the -1 padding; 0xFFFFFFFF as uint32) are out of bounds and skipped:
//      nothing moves and the destination keeps its contents (oob_mode = skip). Any other index past the
//      cache stops the run with an error naming the index.
// K, normal layout: blocks land as [keys, d] rows in a staging tile, 128 keys at a time, and PE
// transposes them into the K tile (the kernel's per-block PE fallback, batched per 128 keys; the
// hardware's transposing gather is not modelled). K, pre-transposed layout: each block [d, block_size]
// lands in its K tile's columns directly. V: blocks land in V tiles at row offset (key % 128).
// The tiles keep the cache dtype (fp8 included: the PE multiplies fp8 directly).
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/builder/program_builder.hpp"

namespace tn::kernels {

struct KvCacheLayout {
  int32_t k_cache = -1, v_cache = -1;  // HBM tensors
  int32_t block_table = -1;            // HBM int32 (rows, table_width): the table the offsets index
  int64_t table_width = 0;
  DType kv_dtype = DType::kBFloat16;
  int64_t num_blocks = 0;  // blocks in the cache
  int64_t num_kv_heads = 1;
  int64_t block_size = 0;
  int64_t d = 0;
  bool k_pre_transposed = false;
};

struct KvCacheTiles {
  std::vector<Buffer> k;  // [d, 512] in the cache dtype: key j at tile j / 512, column j % 512
  std::vector<Buffer> v;  // [128, d] in the cache dtype: key j at tile j / 128, partition j % 128
  std::vector<Buffer>
      k_staging;  // [128, d] cache dtype (normal layout only); 128-key chunks rotate over them
  Buffer index;   // [1, >= num_blocks] int32: the gathered table entries
};

struct KvCacheQueues {
  int32_t index = -1;      // the table read
  std::vector<int32_t> k;  // block gathers, dealt round-robin
  std::vector<int32_t> v;
};

// Loads table entries [offset, offset + num_blocks) of table row `row` (offset: SBUF int32 [1,1]) for KV
// head `head`, i.e. keys [0, num_blocks * block_size) of the tiles.
void load_kv_cache(ProgramBuilder& b, const KvCacheLayout& layout, const KvCacheTiles& tiles,
                   const KvCacheQueues& queues, int64_t row, int64_t head, const AccessPattern& offset,
                   int64_t num_blocks, Loc loc = Loc::current());

}  // namespace tn::kernels
