#!/usr/bin/env python3
"""Generate configs/ci/attention_segmented_cte/: the attention_segmented_cte matrix CI checks.

A dev-time tool, run by hand (CI only runs `trnsim check configs/ci` on its output):

    python3 tools/make_segmented_ci_configs.py [--out configs/ci/attention_segmented_cte]

Deterministic (stdlib only); it deletes the *.json files in --out that it did not write.

The matrix follows the kernel's tests (kernels.md §3.6), scaled to CI: q_active 256, prior_seg_size 512,
uniform [0, 1) inputs (seed 42), tolerance max-mode rtol 1e-2 atol 1e-2 (the CLI's, from §3.6).
  * "llama": d 128, tp_q and tp_out, scale 1/sqrt(d), block sizes 16 and 128, head ratios 8:1 (one sequence,
    8 Q heads on 1 KV head) and 1:1 (two sequences, 2 Q heads on 2 KV heads), and the runtime prior_tokens
    0, 256 (less than a segment), 768 (a full segment plus a partial one), 1024 (two full segments) and 1664
    (three full segments plus a partial one). The block table is sized for the largest P, so the five
    prior_tokens values of one (block size, ratio) share one program;
  * "gptoss": d 64 with sink 2.0 (the gpt-oss sweep without SWA), "gptoss_swa" with SWA W 128;
  * "prescaled": Q taken as pre-scaled, scale 1.0 (sharper softmax);
  * "fp8_e4m3" (k_scale 1.5, v_scale 0.5) and "fp8_e5m2" (1.67, 1.67): FP8 caches;
  * "kpt": the k_pre_transposed cache layout;
  * "shuffled": block ids in a shuffled order, -1 padding past each sequence's blocks;
  * "pad0": tables padded with block 0 (as the kernel's tests) instead of -1;
  * "layouts": tp_q false and tp_out false;
  * "kvp_*": the KV-parallel mode (kernels.md §3.1), checking out, neg_max and sum_recip: kvp_offset = P
    (the plain causal diagonal), P - 384 (the diagonal moved back into the prior segments, as on a later
    KVP rank), P + 1000 (every key visible) and, with sink 2.0, -64 (queries 0..63 see only the sink);
  * "lnc2": two NeuronCores, 4 heads each; "lnc2_odd": 7 heads, core 1 taking the second Q group of the
    seventh with core 0's active keys as an extra pass; "lnc2_odd_swa": the same with the gpt-oss SWA shape.
Each variant runs at both block sizes and two prior_tokens values (768 and 1664).
"""

import argparse
import json
import math
import os

SQ, SEG = 256, 512
PRIORS = (0, 256, 768, 1024, 1664)
VARIANT_PRIORS = (768, 1664)


def table_blocks(block_size):
    """Table width for the largest prior_tokens: one program for every P of a family."""
    return (max(PRIORS) + SQ) // block_size


def base(block_size, ratio, prior):
    heads = {"8:1": (1, 8, 1), "1:1": (2, 2, 2)}[ratio]
    return {
        "batch": heads[0], "num_q_heads": heads[1], "num_kv_heads": heads[2], "seqlen_q": SQ, "d": 128,
        "block_size": block_size, "prior_seg_size": SEG, "max_blocks": table_blocks(block_size),
        "prior_tokens": prior, "scale": 1 / math.sqrt(128), "tp_q": True, "tp_out": True,
    }


VARIANTS = {
    "gptoss": ({"d": 64, "scale": 0.125, "sink": 2.0}, "d 64 with sink 2.0 (gpt-oss)"),
    "gptoss_swa": ({"d": 64, "scale": 0.125, "sink": 2.0, "sliding_window": 128},
                   "d 64 with sink 2.0 and a sliding window of 128 (gpt-oss SWA, kernels.md §3.4)"),
    "prescaled": ({"scale": 1.0}, "Q pre-scaled, scale 1.0"),
    "fp8_e4m3": ({"kv_dtype": "float8_e4m3", "k_scale": 1.5, "v_scale": 0.5}, "FP8 e4m3 caches, k_scale 1.5, v_scale 0.5"),
    "fp8_e5m2": ({"kv_dtype": "float8_e5m2", "k_scale": 1.67, "v_scale": 1.67},
                 "FP8 e5m2 caches, k_scale = v_scale = 1.67"),
    "kpt": ({"k_pre_transposed": True}, "k_cache pre-transposed (num_blocks * n_kv, d, block_size)"),
    "shuffled": ({"block_order": "shuffled", "table_padding": -1}, "shuffled block ids, -1 padding"),
    "pad0": ({"table_padding": 0}, "tables padded with block 0"),
    "layouts": ({"tp_q": False, "tp_out": False}, "q as (bs_q, d, Sq), out as (bs_q, Sq, d)"),
    "kvp_diagonal": (lambda p: {"kvp_offset": p}, "KV-parallel mode, kvp_offset = prior_tokens"),
    "kvp_back": (lambda p: {"kvp_offset": p - 384}, "KV-parallel mode, kvp_offset = prior_tokens - 384"),
    "kvp_ahead": (lambda p: {"kvp_offset": p + 1000}, "KV-parallel mode, kvp_offset = prior_tokens + 1000"),
    "kvp_sink_blind": ({"kvp_offset": -64, "sink": 2.0, "d": 64, "scale": 0.125},
                       "KV-parallel mode, kvp_offset -64 with sink 2.0"),
    "lnc2": ({"lnc": 2}, "LNC2, 8 Q heads split 4 + 4"),
    "lnc2_odd": ({"lnc": 2, "num_q_heads": 7}, "LNC2, 7 Q heads: the seventh split by Q groups"),
    "lnc2_odd_swa": ({"lnc": 2, "num_q_heads": 7, "d": 64, "scale": 0.125, "sink": 2.0, "sliding_window": 128},
                     "LNC2, 7 Q heads, d 64, sink 2.0, sliding window 128"),
}


def describe(params, what):
    p = params["prior_tokens"]
    full, partial = divmod(p, SEG)
    return (f"attention_segmented_cte {what}: block_size {params['block_size']}, "
            f"{params['num_q_heads']}:{params['num_kv_heads']} heads x {params['batch']} sequences, "
            f"prior_tokens {p} = {full} full segment(s) + {partial} partial tokens. "
            "Generated by tools/make_segmented_ci_configs.py.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "configs", "ci",
                                                  "attention_segmented_cte"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    written = {}

    def add(name, params, what):
        config = {"description": describe(params, what), "kernel": "attention_segmented_cte",
                  "params": params, "inputs": {"seed": 42}, "mode": "both"}
        written[name + ".json"] = json.dumps(config, indent=1, sort_keys=True) + "\n"

    for bs in (16, 128):
        for ratio in ("8:1", "1:1"):
            for prior in PRIORS:
                tag = ratio.replace(":", "to")
                add(f"llama_bs{bs}_{tag}_p{prior}", base(bs, ratio, prior), "Llama-like (d 128, tp_q, tp_out)")
        for variant, (extra, what) in VARIANTS.items():
            for prior in VARIANT_PRIORS:
                params = base(bs, "8:1", prior)
                params.update(extra(prior) if callable(extra) else extra)
                add(f"{variant}_bs{bs}_p{prior}", params, what)

    for name in sorted(os.listdir(args.out)):
        if name.endswith(".json") and name not in written:
            os.remove(os.path.join(args.out, name))
    for name, text in sorted(written.items()):
        with open(os.path.join(args.out, name), "w") as fh:
            fh.write(text)
    print(f"wrote {len(written)} configs to {args.out}")


if __name__ == "__main__":
    main()
