#!/usr/bin/env python3
"""Generate configs/ci/ring_attention_spmd_fwd/: the ring attention matrix CI checks.

A dev-time tool, run by hand (CI only runs `trnsim check configs/ci` on its output):

    python3 tools/make_ring_ci_configs.py [--out configs/ci/ring_attention_spmd_fwd]

Deterministic (stdlib only); it deletes the *.json files in --out that it did not write.

The matrix follows the kernel's tests (kernels.md §5.4), scaled to CI (S 256-1024 per rank instead of
512-10240): (bs, heads) in {(2,2), (1,2), (1,1), (3,1), (1,3)}, cp 2, 4 and 8, lnc 1 and 2, causal
contiguous, causal striped and non-causal, training (lse) in all but one case, the fully-masked-rows set
(cp 4, S 256 and 512, d 128 and 16), the multi-group Flux shape (8 ranks as [[0,4],[1,5],[2,6],[3,7]], fp16,
tp_q and tp_k, non-causal) and a bf16 lse. Inputs are randn (seed 42) cast to the dtype, q pre-scaled by
1/sqrt(d) in causal runs as the tests do; tolerances are kernels/ring_attention_reference_params.hpp's.
"""

from ci_config_folder import generate

FLUX_GROUPS = [[0, 4], [1, 5], [2, 6], [3, 7]]

# (b, h, S, d, num_workers, lnc, mask, training, extra params)
CASES = [
    (2, 2, 256, 128, 2, 1, "causal", True, {}),
    (1, 2, 512, 128, 4, 1, "striped", True, {}),
    (1, 1, 512, 128, 2, 2, "none", True, {}),
    (3, 1, 256, 64, 4, 2, "causal", True, {}),
    (1, 3, 256, 128, 8, 1, "causal", True, {}),
    (1, 3, 1024, 32, 2, 2, "striped", True, {}),
    (2, 2, 256, 64, 8, 2, "striped", True, {}),
    (1, 2, 256, 128, 2, 1, "none", False, {}),
    # the fully-masked-rows set: cp 4, S 256 / 512, d 128 / 16 (the kernel's test goes through fp16)
    (1, 1, 256, 128, 4, 1, "causal", True, {"dtype": "float16"}),
    (1, 1, 512, 16, 4, 1, "causal", True, {"dtype": "float16"}),
    (1, 1, 256, 16, 4, 1, "striped", True, {}),
    (1, 1, 512, 128, 4, 1, "striped", True, {}),
    # the multi-group Flux configuration, scaled: 8 ranks in 4 rings of 2
    (1, 2, 384, 64, 2, 1, "none", True,
     {"replica_groups": FLUX_GROUPS, "dtype": "float16", "tp_q": True, "tp_k": True}),
    (1, 1, 256, 64, 4, 1, "causal", True, {"lse_dtype": "bfloat16", "tp_q": True}),
]


def name(case):
    b, h, s, d, n, lnc, mask, training, extra = case
    parts = [f"b{b}", f"h{h}", f"s{s}", f"d{d}", f"cp{n}", f"lnc{lnc}", mask]
    if not training:
        parts.append("inference")
    if "replica_groups" in extra:
        parts.append("groups")
    if extra.get("dtype"):
        parts.append(extra["dtype"])
    if extra.get("lse_dtype"):
        parts.append("lse_" + extra["lse_dtype"])
    if extra.get("tp_q"):
        parts.append("tpq")
    return "_".join(parts)


def config(case):
    b, h, s, d, n, lnc, mask, training, extra = case
    params = {"b": b, "h": h, "seqlen": s, "d": d, "num_workers": n, "lnc": lnc,
              "use_causal_mask": mask != "none", "striped_input": mask == "striped", "training": training}
    params.update(extra)
    rings = extra.get("replica_groups", [list(range(n))])
    what = {"causal": "causal contiguous", "striped": "causal striped", "none": "non-causal"}[mask]
    return {
        "description": f"ring_attention_spmd_fwd, {len(rings)} ring(s) of {n} ranks x {lnc} core(s): b {b}, h {h}, "
                       f"S {s} per rank, d {d}, {what}" + (", training" if training else "")
                       + " (kernels.md §5.4, scaled to CI)",
        "kernel": "ring_attention_spmd_fwd",
        "params": params,
        "inputs": {"seed": 42},
        "mode": "both",
        "trace": {"perfetto": False},
    }


if __name__ == "__main__":
    generate(__doc__, "ring_attention_spmd_fwd", CASES, name, config)
