#!/usr/bin/env python3
"""Every shipped run config (configs/runs) run twice, at the same time, into two folders: each run must pass its
own numeric check, and the two folders must hold the same files with the same bytes (outputs, inputs, traces),
the summaries equal but for host figures (wall-clock times, instructions per second, peak memory). A config in
mode `both` runs a third time on a perturbed schedule (--perturb-schedule, a seed per config): same outputs.
No timed run may be faster than its roofline (its matmul work at peak FLOPs, its HBM bytes at peak bandwidth).

Two runs at once share the machine, so their threads (the timed and functional passes, the float64 reference)
interleave differently: anything that depends on that, or on addresses, hash order or uninitialised memory,
shows up as a difference. Usage: determinism_test.py TRNSIM_EXE SOURCE_DIR
"""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy

# Host figures: the only summary fields that may differ between two runs of one config.
HOST_KEYS_SUFFIXES = ("wall_s",)
HOST_KEYS = {"instructions_per_s", "peak_rss_mb"}
RUN_TIMEOUT_S = 600


def without_host_figures(value):
    if isinstance(value, dict):
        return {k: without_host_figures(v) for k, v in value.items()
                if k not in HOST_KEYS and not k.endswith(HOST_KEYS_SUFFIXES)}
    if isinstance(value, list):
        return [without_host_figures(v) for v in value]
    return value


def files_under(folder):
    found = []
    for root, _, names in os.walk(folder):
        for n in names:
            found.append(os.path.relpath(os.path.join(root, n), folder))
    return sorted(found)


def first_difference(a, b):
    """Where two byte strings first differ, for the message."""
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return "first differing byte at offset %d of %d" % (i, len(a))
    return "sizes %d and %d bytes" % (len(a), len(b))


def npy_difference(path_a, path_b):
    a, b = numpy.load(path_a), numpy.load(path_b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return "shapes/dtypes %s %s and %s %s" % (a.shape, a.dtype, b.shape, b.dtype)
    diff = numpy.argwhere(a.view(numpy.uint8).reshape(a.shape + (-1,)) != b.view(numpy.uint8).reshape(b.shape + (-1,)))
    where = tuple(int(i) for i in diff[0][:-1])
    return "%d elements differ, the first at %s: %r and %r" % (len(numpy.unique(diff[:, :-1], axis=0)), where,
                                                               a[where], b[where])


def compare(folder_a, folder_b):
    """The differences between two run folders, as messages (none: identical)."""
    problems = []
    fa, fb = files_under(folder_a), files_under(folder_b)
    if fa != fb:
        problems.append("different files: only in the first %s, only in the second %s" %
                        (sorted(set(fa) - set(fb)), sorted(set(fb) - set(fa))))
    for rel in sorted(set(fa) & set(fb)):
        pa, pb = os.path.join(folder_a, rel), os.path.join(folder_b, rel)
        with open(pa, "rb") as f:
            a = f.read()
        with open(pb, "rb") as f:
            b = f.read()
        if rel == "summary.json":
            sa, sb = without_host_figures(json.loads(a)), without_host_figures(json.loads(b))
            if sa != sb:
                keys = sorted(k for k in set(sa) | set(sb) if sa.get(k) != sb.get(k))
                problems.append("summary.json differs beyond host figures, in %s" % keys)
        elif a != b:
            detail = npy_difference(pa, pb) if rel.endswith(".npy") else first_difference(a, b)
            problems.append("%s differs: %s" % (rel, detail))
    return problems


def comparator_self_test(work):
    """compare() finds what it is meant to find: a changed output element and a changed simulated figure, and
    nothing in host figures alone (a comparator that never fails would make this test pass vacuously)."""
    a, b = os.path.join(work, "self_a"), os.path.join(work, "self_b")
    for folder, element, total, wall in ((a, 1.0, 100.0, 0.5), (b, 2.0, 100.0, 0.7)):
        os.makedirs(os.path.join(folder, "outputs"))
        numpy.save(os.path.join(folder, "outputs", "out.npy"), numpy.array([[0.0, element]], dtype=numpy.float32))
        with open(os.path.join(folder, "summary.json"), "w") as f:
            json.dump({"total_ns": total, "wall_s": wall, "timing": {"reference_wall_s": wall}}, f)
    problems = compare(a, b)
    assert len(problems) == 1 and "outputs/out.npy differs: 1 elements differ, the first at (0, 1)" in problems[0], \
        problems
    with open(os.path.join(b, "summary.json"), "w") as f:
        json.dump({"total_ns": 101.0, "wall_s": 0.5, "timing": {"reference_wall_s": 0.5}}, f)
    assert any("summary.json differs beyond host figures, in ['total_ns']" in p for p in compare(a, b)), compare(a, b)
    # The roofline check: 1e6 FLOP at 1e15 FLOP/s is 1 ns of compute; 100 bytes at 1 GB/s are 100 ns.
    timing = {"total_ns": 99.0, "hardware_flops": 1e6, "peak_flops_per_s": 1e15,
              "hbm": {"read_bytes": 60, "write_bytes": 40, "peak_GBps": 1.0}}
    with open(os.path.join(b, "summary.json"), "w") as f:
        json.dump({"timing": timing}, f)
    assert roofline_problems(b) == ["the run takes 99.0 ns, below its HBM roofline of 100.0 ns"], roofline_problems(b)
    timing["total_ns"] = 100.0
    with open(os.path.join(b, "summary.json"), "w") as f:
        json.dump({"timing": timing}, f)
    assert roofline_problems(b) == [], roofline_problems(b)
    shutil.rmtree(a)
    shutil.rmtree(b)


def perturbed_problems(exe, config, folder, seed):
    """A `both` config once more on a perturbed schedule (run --perturb-schedule): it must pass, and its
    outputs must be the unperturbed run's, byte for byte (only its times may move)."""
    with open(os.path.join(folder, "summary.json")) as f:
        if json.load(f).get("mode") != "both":
            return []
    out = folder + "_perturbed"
    r = subprocess.run([exe, "run", config, "--out", out, "--perturb-schedule", str(seed)], capture_output=True,
                       text=True, timeout=RUN_TIMEOUT_S)
    if r.returncode != 0:
        return ["run --perturb-schedule %d exited %d:\n%s" % (seed, r.returncode, (r.stdout + r.stderr)[-2000:])]
    problems = []
    expected, got = files_under(os.path.join(folder, "outputs")), files_under(os.path.join(out, "outputs"))
    if expected != got:
        return ["--perturb-schedule %d wrote outputs %s, the unperturbed run %s" % (seed, got, expected)]
    for rel in expected:
        with open(os.path.join(folder, "outputs", rel), "rb") as f, open(os.path.join(out, "outputs", rel), "rb") as g:
            if f.read() != g.read():
                problems.append("outputs/%s differs under --perturb-schedule %d" % (rel, seed))
    return problems


def roofline_problems(folder):
    """A timed run may not beat its roofline (issue 14): its matmul work at the peak FLOP rate and its HBM
    traffic at the peak HBM bandwidth of the chips it occupies each take no longer than the run."""
    with open(os.path.join(folder, "summary.json")) as f:
        summary = json.load(f)
    timing = summary.get("timing")
    if timing is None:
        return []
    hbm = timing["hbm"]
    bounds = {"compute": timing["hardware_flops"] / timing["peak_flops_per_s"] * 1e9,
              "HBM": (hbm["read_bytes"] + hbm["write_bytes"]) / hbm["peak_GBps"]}
    return ["the run takes %.1f ns, below its %s roofline of %.1f ns" % (timing["total_ns"], kind, bound)
            for kind, bound in bounds.items() if timing["total_ns"] < bound * (1 - 1e-9)]


def run(exe, config, out):
    r = subprocess.run([exe, "run", config, "--out", out], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    return r.returncode, r.stdout + r.stderr


def main():
    exe, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    folder = os.path.join(source, "configs", "runs")
    configs = sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".json"))
    assert configs, "no run configs in " + folder
    work = tempfile.mkdtemp(prefix="trnsim_determinism_")
    failures = []
    try:
        comparator_self_test(work)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for config in configs:
                name = os.path.splitext(os.path.basename(config))[0]
                outs = [os.path.join(work, name, side) for side in ("a", "b")]
                results = list(pool.map(lambda out: run(exe, config, out), outs))
                problems = ["run %s exited %d:\n%s" % (side, rc, text[-2000:])
                            for side, (rc, text) in zip("ab", results) if rc != 0]
                if not problems:
                    problems = compare(*outs)
                if not problems:
                    problems = roofline_problems(outs[0])
                if not problems:
                    problems = perturbed_problems(exe, config, outs[0], configs.index(config) + 1)
                status = "ok  " if not problems else "FAIL"
                print("%s %s" % (status, name), flush=True)
                for p in problems:
                    print("     " + p, flush=True)
                if problems:
                    failures.append(name)
                shutil.rmtree(os.path.join(work, name), ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        raise SystemExit("%d of %d configs are not deterministic or fail: %s" % (len(failures), len(configs),
                                                                              ", ".join(failures)))
    print("all %d configs in configs/runs pass, stay above their roofline and give identical folders on a rerun"
          % len(configs))


if __name__ == "__main__":
    main()
