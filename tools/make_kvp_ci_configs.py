#!/usr/bin/env python3
"""Generate configs/ci/kv_parallel_segmented_prefill/: the KV-parallel prefill matrix CI checks.

A dev-time tool, run by hand (CI only runs `trnsim check configs/ci` on its output):

    python3 tools/make_kvp_ci_configs.py [--out configs/ci/kv_parallel_segmented_prefill]

Deterministic (stdlib only); it deletes the *.json files in --out that it did not write.

The matrix follows the kernel's tests (kernels.md §4.3), scaled to CI: group_size 8, randn inputs (seed 42,
bf16, one KV head, sequential block tables), tolerance max-mode rtol 5e-2 atol 1e-2, every rank's
kvp_offset -rank * local_kv_len + global_q_offset. The tests' values appear across the cases rather than
as a full product: S 512 and 1024 (of 512..4096), D 64 and 128, block sizes 16, 32, 64 and 128, seg 256
(a scaled-down segment) and 512, global_q_offset 0, 256, 512, 1024, 2048, 3072 and 6144, local_kv_len
= seg x {1, 2, 3, 4, 5, 7}, lnc 1 and 2 (8 ranks of one core, 4 ranks of two), tp_out off and on.
"""

from ci_config_folder import generate

# (S, D, block_size, seg, L / seg, global_q_offset, lnc, tp_out, scale or None for 1/sqrt(D))
CASES = [
    (512, 64, 16, 256, 1, 0, 1, False, None),
    (512, 128, 32, 256, 2, 256, 1, False, None),
    (512, 64, 64, 512, 2, 512, 1, False, None),
    (1024, 64, 128, 512, 1, 1024, 1, False, None),
    (512, 64, 16, 256, 3, 2048, 2, False, None),
    (512, 128, 32, 512, 1, 0, 2, True, None),
    (1024, 64, 64, 256, 5, 3072, 1, True, None),
    (512, 64, 128, 256, 7, 6144, 2, False, None),
    (512, 64, 32, 256, 4, 1024, 1, False, 1.0),
    (1024, 64, 32, 512, 2, 256, 2, True, None),
]


def name(case):
    s, d, bs, seg, mult, off, lnc, tp, scale = case
    parts = [f"s{s}", f"d{d}", f"bs{bs}", f"seg{seg}", f"L{seg * mult}", f"off{off}", f"lnc{lnc}"]
    if tp:
        parts.append("tpout")
    if scale is not None:
        parts.append("prescaled")
    return "_".join(parts)


def config(case):
    s, d, bs, seg, mult, off, lnc, tp, scale = case
    local = seg * mult
    return {
        "description": f"kv_parallel_segmented_prefill, group_size 8 on {8 // lnc} ranks of {lnc} core(s): S {s}, "
                       f"D {d}, block {bs}, seg {seg}, local_kv_len {local}, global_q_offset {off}"
                       + (", tp_out" if tp else "") + (", scale 1 (pre-scaled Q)" if scale else "")
                       + " (kernels.md §4.3, scaled to CI)",
        "kernel": "kv_parallel_segmented_prefill",
        "params": {"group_size": 8, "lnc": lnc, "seqlen": s, "d": d, "block_size": bs, "seg_size": seg,
                   "num_blocks": local // bs, "global_q_offset": off, "tp_out": tp,
                   "scale": scale if scale is not None else 1 / d ** 0.5},
        "inputs": {"seed": 42},
        "mode": "both",
        "trace": {"perfetto": False},
    }


if __name__ == "__main__":
    generate(__doc__, "kv_parallel_segmented_prefill", CASES, name, config)
