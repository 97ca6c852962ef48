#!/usr/bin/env python3
"""Generate configs/ci/: attention_cte run configs drawn from shared/reference/attention_cte_cases.json.

A dev-time tool, run by hand (CI only runs `trnsim check configs/ci` on its output):

    python3 tools/make_ci_configs.py [--cases PATH] [--out configs/ci]

It is deterministic (stdlib only, no randomness): the same cases file gives the same files, byte for byte.
It deletes the *.json files in --out that it did not write, so the folder is exactly the generated matrix.

Selection. Cases are grouped by test family (`test`); within a family, one case per feature signature
(causal, sliding window none / <=128 / >128, prefix caching with its used-length edge, sink, CP none /
contiguous / strided, cache_softmax, packing, tp flags, dtype, lnc, GQA, odd shapes, multi-section,
expect_failure) is kept, first in file order, so every family and every feature is covered without the
near-duplicates of the file.

Scaling (so numerics mode fits CI: the whole folder in a few minutes on 2 cores). For every kept case that is
not an expected failure:
  * batch: bs_kv -> 1 or 2 (keeping the parity of bs, which decides LNC2's remainder split); gqa_group kept
    up to 4 (larger ones -> 4 if even, 3 if odd);
  * sequence lengths shrink by one factor f <= 1 until bs * seqlen_q * (seqlen_kv + prior_len) <= 2^22,
    keeping what the kernel's tiling sees: seqlen_q keeps its remainder mod 128 (partial Q groups),
    seqlen_kv and prior_len keep their remainders mod 512 (partial K tiles, prior pad); LNC2 with an odd batch
    keeps seqlen_q >= 1024 (the Q-sharded remainder batch, kernels.md §1.8);
  * context parallelism keeps seqlen_kv = seqlen_q * cp_degree (the CP tests' relation; every rank's queries
    see real keys) and cp_rank_id; cp_offset is recomputed for the new seqlen_q (kernels.md §2.2);
  * prior_used_len keeps its edge (0, 1, prior_len - 1, prior_len) or its fraction of prior_len;
  * sliding windows <= 256 are kept (<= 128 selects the range_select path, kernels.md §1.4); larger ones
    shrink with the K length but stay >= 256;
  * the derived fields num_kv_sections and kv_len_loaded_incl_prior_pad are recomputed (kernels.md §1.4),
    and `validated` becomes true (the scaled size is checked);
  * every flag (causal, sink, tp_*, cache_softmax, cp_strided_q_slicing, dtype, lnc, d, scale) is kept.
Cases with several flash sections also get a `_sections` variant that keeps seqlen_kv + prior > 10240
(at least two 8K sections) with a small seqlen_q and batch instead.
Expected failures (`expect_failure`) are kept exactly as in the file: they are kernel rejections at build
time and cost nothing to run.
"""

import argparse
import json
import math
import os
import sys

BUDGET = 1 << 22  # bs * seqlen_q * (seqlen_kv + prior_len)
FLASH_THRESHOLD = 10240
SECTION = 8192
SWA_PATH_THRESHOLD = 128

# Field order of attention_cte_cases.json (as pasted in configs/runs/attention_cte_case_nocp_unit_2_scaled.json).
FIELDS = [
    "test", "idx", "lnc", "bs", "bs_kv", "seqlen_q", "seqlen_kv", "d", "dtype", "scale", "causal",
    "sliding_window", "prior_len", "prior_used_len", "sink", "cp_degree", "cp_rank_id",
    "cp_strided_q_slicing", "cp_offset", "tp_q", "tp_k", "tp_out", "cache_softmax", "n_packed_sequences",
    "expect_failure", "gqa_group", "validated", "num_kv_sections", "kv_len_loaded_incl_prior_pad",
]

SHORT = {
    "test_attention_cte_no_cp_unit": "nocp_unit",
    "test_attention_cte_no_cp_vnc_apc_klr_unit": "nocp_apc",
    "test_attention_cte_no_cp_vnc_unit": "nocp_vnc",
    "test_attention_cte_no_cp_vnc_gqa_unit": "nocp_gqa",
    "test_attention_cte_no_cp_vnc_barometer_unit": "nocp_baro",
    "test_attention_cte_cp_apc_klr_unit": "cp_apc",
    "test_attention_cte_cp_bk_klr_unit": "cp_bk",
    "test_attention_cte_cp_gqa_klr_unit": "cp_gqa",
    "test_attention_cte_cp_barometer_klr_unit": "cp_baro",
    "test_ranged_attn_cte_sweep_nocp_manual": "manual_nocp",
    "test_ranged_attn_cte_sweep_cp_manual": "manual_cp",
    "test_attention_cte_seq_pack_unit": "seqpack",
}


def align(x, a):
    return (x + a - 1) // a * a


def has_cp(c):
    return (c["cp_degree"] or 1) > 1


def kv_layout(c):
    """(kv_len_loaded_incl_prior_pad, num_kv_sections) as kernels.md §1.4 derives them."""
    prior = c["prior_len"] or 0
    skv, sq, w = c["seqlen_kv"], c["seqlen_q"], c["sliding_window"] or 0
    active = skv
    if has_cp(c) and not c["cp_strided_q_slicing"] and w > 0:
        active = min(skv, align(min(skv, sq + w - 1), 512))
    total = align(prior, 512) + active
    return total, (total + SECTION - 1) // SECTION if total > FLASH_THRESHOLD else 1


def cost(c):
    return c["bs"] * c["seqlen_q"] * (c["seqlen_kv"] + (c["prior_len"] or 0))


def window_class(w):
    w = w or 0
    return "none" if w == 0 else ("small" if w <= SWA_PATH_THRESHOLD else "large")


def used_class(c):
    if not c["prior_len"]:
        return None
    u, p = c["prior_used_len"], c["prior_len"]
    return {0: "zero", 1: "one", p - 1: "all-1", p: "all"}.get(u, "part")


def signature(c):
    """The features a CI config should cover; one case per signature and family is kept."""
    return (
        c["test"], c["causal"], window_class(c["sliding_window"]), used_class(c), c["sink"],
        "none" if not has_cp(c) else ("strided" if c["cp_strided_q_slicing"] else "contig"),
        c["cache_softmax"], c["n_packed_sequences"] is not None, c["tp_q"], c["tp_k"], c["tp_out"],
        c["dtype"], c["lnc"], c["gqa_group"] > 1, c["seqlen_q"] % 128 != 0, c["num_kv_sections"] > 1,
        c["expect_failure"], c["scale"] != 1.0, c["cp_strided_q_slicing"],
    )


def keep_residue(x, f, mod):
    """x scaled by f, keeping x % mod and at least one whole block if x had one (never more than x)."""
    r = x % mod
    floor_blocks = 1 if x >= mod else 0
    blocks = max(floor_blocks, int(math.floor((x // mod) * f + 0.5)))
    return min(x, blocks * mod + r)


def at_least(x, lower, mod):
    """x raised by whole blocks of mod until it is >= lower."""
    while x < lower:
        x += mod
    return x


def scale_used(u, p, p_new):
    if u == 0:
        return 0
    if u == p:
        return p_new
    if u == p - 1:
        return p_new - 1
    if u == 1:
        return 1
    return min(p_new - 1, max(1, int(round(u * p_new / p))))


def scale_window(w, f):
    if not w or w <= 256:
        return w
    return max(256, int(round(w * f)))


def reduced_batch(c):
    g = c["gqa_group"]
    if g > 4:
        g = 4 if g % 2 == 0 else 3
    bs_kv = c["bs_kv"] if c["bs_kv"] <= 2 else (2 if c["bs_kv"] % 2 == 0 else 1)
    return bs_kv * g, bs_kv, g


def apply_shape(c, sq, f_kv, sections=False):
    """c with seqlen_q = sq and the K lengths scaled by f_kv (CP: seqlen_kv = sq * cp_degree)."""
    n = dict(c)
    n["seqlen_q"] = sq
    if has_cp(c) and not sections:
        n["seqlen_kv"] = sq * c["cp_degree"]
    else:
        n["seqlen_kv"] = keep_residue(c["seqlen_kv"], f_kv, 512)
        if c["seqlen_kv"] >= c["seqlen_q"]:
            # Keep every query's keys (causal row i sees keys <= i; SWA needs Sq < Skv + W).
            n["seqlen_kv"] = min(c["seqlen_kv"], at_least(n["seqlen_kv"], sq, 512))
    if c["prior_len"]:
        n["prior_len"] = keep_residue(c["prior_len"], f_kv, 512)
        n["prior_used_len"] = scale_used(c["prior_used_len"], c["prior_len"], n["prior_len"])
    n["sliding_window"] = scale_window(c["sliding_window"], f_kv)
    if has_cp(c):
        n["cp_offset"] = c["cp_rank_id"] if c["cp_strided_q_slicing"] else c["cp_rank_id"] * sq
    return n


def min_sq(c):
    """The smallest seqlen_q that keeps the case's Q structure."""
    r = c["seqlen_q"] % 128
    m = r if r else 128
    if c["lnc"] == 2 and c["bs"] % 2 == 1 and c["seqlen_q"] >= 1024:
        m = max(m, 1024 + r)  # the odd batch's Q-sharded remainder needs seqlen_q >= 1024
    return min(c["seqlen_q"], m)


def scale_case(c):
    """The main scaled config: one factor on all sequence lengths until the cost fits the budget."""
    bs, bs_kv, g = reduced_batch(c)
    base = dict(c, bs=bs, bs_kv=bs_kv, gqa_group=g)
    plain_floor = min(c["seqlen_q"], c["seqlen_q"] % 128 or 128)
    for lo in dict.fromkeys([min_sq(base), plain_floor]):  # the Q-shard floor first, if it fits at all
        for k in range(0, 20):
            f = 0.5 ** k
            sq = max(lo, keep_residue(c["seqlen_q"], f, 128))
            n = apply_shape(base, sq, f)
            if cost(n) <= BUDGET:
                return n
    sys.exit(f"cannot scale {c['test']} idx {c['idx']} below the budget")


def sections_variant(c):
    """Multi-section structure kept: seqlen_kv + prior > 10240 with a small seqlen_q and batch."""
    g = min(c["gqa_group"], 2 if c["gqa_group"] % 2 == 0 else 1)
    base = dict(c, bs=g, bs_kv=1, gqa_group=g)
    sq = 128 + (0 if c["cache_softmax"] else c["seqlen_q"] % 128)
    best = None
    f = 1.0
    while f > 0.05:
        n = apply_shape(base, sq, f, sections=True)
        if kv_layout(n)[1] < 2:
            break
        best = n  # the smallest K lengths that still give two or more sections
        if cost(n) <= BUDGET // 2:
            break
        f *= 0.85
    return best if best is not None and cost(best) <= BUDGET else None


def finish(n):
    n = dict(n)
    n["kv_len_loaded_incl_prior_pad"], n["num_kv_sections"] = kv_layout(n)
    n["validated"] = True
    return {k: n[k] for k in FIELDS}


def describe(orig, n, variant):
    if orig["expect_failure"]:
        return (f"attention_cte_cases.json {orig['test']} idx {orig['idx']}{variant_text(variant)} pasted as is: "
                "an expected kernel rejection (expect_failure), so it is not scaled (nothing is simulated).")
    changes = []
    for key in ["bs", "bs_kv", "gqa_group", "seqlen_q", "seqlen_kv", "prior_len", "prior_used_len",
                "sliding_window", "cp_offset", "num_kv_sections", "kv_len_loaded_incl_prior_pad", "validated"]:
        if orig[key] != n[key]:
            changes.append(f"{key} {json.dumps(orig[key])} -> {json.dumps(n[key])}")
    what = ", ".join(changes) if changes else "nothing changed (already small)"
    why = ("keeping seqlen_kv + prior > 10240 (multi-section flash attention) with a small seqlen_q and batch"
           if variant.endswith("sections") else "so numerics fit a CI run")
    return (f"attention_cte_cases.json {orig['test']} idx {orig['idx']}{variant_text(variant)}, scaled by "
            f"tools/make_ci_configs.py {why}: {what}; every flag kept.")


def variant_text(variant):
    return f" ({variant.replace('_', ' ').strip()})" if variant else ""


def variant_suffix(c, siblings):
    """Distinguishes rows sharing (test, idx): CP expansions over strided, manual_cp over lnc and cache_softmax."""
    parts = []
    if len({s["lnc"] for s in siblings}) > 1:
        parts.append(f"lnc{c['lnc']}")
    if len({s["cp_strided_q_slicing"] for s in siblings}) > 1:
        parts.append("strided" if c["cp_strided_q_slicing"] else "contig")
    if len({s["cache_softmax"] for s in siblings}) > 1:
        parts.append("cs" if c["cache_softmax"] else "nocs")
    return "".join("_" + p for p in parts)


def dump(config):
    """JSON in the layout of configs/runs/attention_cte_case_nocp_unit_2_scaled.json: params wrapped."""
    params = json.dumps(config["params"], separators=(", ", ": "))[1:-1]
    lines, line = [], "   "
    for item in params.split(", "):
        piece = " " + item + ","
        if len(line) + len(piece) > 110:
            lines.append(line)
            line = "   "
        line += piece
    lines.append(line.rstrip(","))
    return ("{\n"
            f'  "description": {json.dumps(config["description"], ensure_ascii=False)},\n'
            f'  "kernel": "attention_cte",\n'
            '  "params": {\n' + "\n".join(lines) + "\n  },\n"
            f'  "mode": {json.dumps(config["mode"])}\n'
            "}\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default=os.path.join(root, "..", "shared", "reference", "attention_cte_cases.json"))
    ap.add_argument("--out", default=os.path.join(root, "configs", "ci"))
    args = ap.parse_args()
    if not os.path.exists(args.cases):
        alt = "/work/shared/reference/attention_cte_cases.json"
        if os.path.exists(alt):
            args.cases = alt
    with open(args.cases) as fh:
        cases = json.load(fh)

    for c in cases:  # the derivation here must agree with the file's before scaling means anything
        if kv_layout(c) != (c["kv_len_loaded_incl_prior_pad"], c["num_kv_sections"]):
            sys.exit(f"kv layout derivation disagrees with {c['test']} idx {c['idx']}")

    seen, chosen = set(), []
    for c in cases:
        sig = signature(c)
        if sig not in seen:
            seen.add(sig)
            chosen.append(c)

    os.makedirs(args.out, exist_ok=True)
    written, family_of = {}, {}
    sections_per_family = {}
    for c in chosen:
        siblings = [s for s in cases if s["test"] == c["test"] and s["idx"] == c["idx"]]
        base_name = f"{c['test']}_{c['idx']}{variant_suffix(c, siblings)}"
        outputs = []
        if c["expect_failure"]:
            outputs.append(("", dict(c)))
        else:
            outputs.append(("", finish(scale_case(c))))
            # Multi-section variants: up to two per family, from cases that had several sections.
            if c["num_kv_sections"] > 1 and sections_per_family.get(c["test"], 0) < 2:
                v = sections_variant(c)
                if v is not None:
                    sections_per_family[c["test"]] = sections_per_family.get(c["test"], 0) + 1
                    outputs.append(("_sections", finish(v)))
        for suffix, n in outputs:
            name = base_name + suffix + ".json"
            variant = (base_name[len(f"{c['test']}_{c['idx']}"):] + suffix).lstrip("_")
            config = {"description": describe(c, n, variant), "params": n, "mode": "both"}
            if name in written:
                sys.exit(f"duplicate config name {name}")
            written[name] = dump(config)
            family_of[name] = c["test"]

    for name in sorted(os.listdir(args.out)):
        if name.endswith(".json") and name not in written:
            os.remove(os.path.join(args.out, name))
    for name, text in sorted(written.items()):
        with open(os.path.join(args.out, name), "w") as fh:
            fh.write(text)

    families = {}
    for name in written:
        families[family_of[name]] = families.get(family_of[name], 0) + 1
    for fam in sorted(families):
        print(f"{SHORT[fam]:12s} {families[fam]:3d}  {fam}")
    print(f"{len(written)} configs in {args.out}")


if __name__ == "__main__":
    main()
