"""The trnsim Python package end to end: arrays in, outputs out, against an independent NumPy float64
reference of causal attention (kernels.md §1.2), plus the pytest helper, errors, raw bits and a pip install."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import trnsim  # noqa: E402

PARAMS = {"seqlen_q": 256, "seqlen_kv": 256, "d": 64, "dtype": "bfloat16", "causal": True, "scale": 0.9}


def bf16(x):
    """Rounds float32 values to bfloat16 (nearest even), as trnsim reads bf16 inputs."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32)


def attention(q, k, v, scale):
    """softmax(scale * Q K^T, causal) V in float64: q (1, S, d), k (1, d, S) (tp_k false), v (1, S, d)."""
    s = scale * np.einsum("bsd,bdt->bst", q.astype(np.float64), k.astype(np.float64))
    n = s.shape[1]
    s = np.where(np.tril(np.ones((n, n), dtype=bool)), s, -np.inf)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return np.einsum("bst,btd->bsd", p / p.sum(axis=-1, keepdims=True), v.astype(np.float64))


def inputs(seed=3):
    rng = np.random.default_rng(seed)
    q = bf16(rng.standard_normal((1, 256, 64)).astype(np.float32))  # tp_q: (bs, seqlen_q, d)
    k = bf16(rng.standard_normal((1, 64, 256)).astype(np.float32))  # (bs_kv, d, seqlen_kv)
    v = bf16(rng.standard_normal((1, 256, 64)).astype(np.float32))
    return {"q": q, "k": k, "v": v}


def test_run_returns_outputs_that_match_an_independent_reference(tmp_path):
    x = inputs()
    r = trnsim.run("attention_cte", PARAMS, inputs=x, mode="both", out_dir=tmp_path / "run")
    assert r.numerics_passed is True
    out = r.outputs["out"]
    assert out.shape == (1, 256, 64) and out.dtype == np.float32
    want = attention(x["q"], x["k"], x["v"], PARAMS["scale"])
    # attention_cte's tolerance (kernels.md): max-mode, rtol 2e-2, atol 1e-5.
    assert np.max(np.abs(out - want)) <= 1e-5 + 2e-2 * np.max(np.abs(want))
    # A wrong mask would show: the first row sees only key 0, so it is v[0] exactly (rounded to bf16).
    assert np.array_equal(out[0, 0], bf16(x["v"][0, 0]))
    np.testing.assert_array_equal(r.inputs["q"], x["q"])
    assert r.summary["schema_version"] == 3 and r.summary["total_ns"] > 0
    assert r.trace is not None and r.trace.stat().st_size > 0


def test_check_asserts_that_numbers_were_compared():
    trnsim.check("attention_cte", PARAMS, inputs=inputs(), mode="functional")
    with pytest.raises(AssertionError, match="nothing was compared"):
        trnsim.check("attention_cte", PARAMS, mode="timing_only")


def test_a_refused_config_raises_with_the_json_path():
    with pytest.raises(trnsim.TrnsimError, match=r"\$\.params\.d: attention_cte: d: head dimension must be in 1\.\.128"):
        trnsim.run("attention_cte", dict(PARAMS, d=0))


def test_bits_give_bfloat16_patterns(tmp_path):
    x = inputs()
    values = trnsim.run("attention_cte", PARAMS, inputs=x, mode="functional", out_dir=tmp_path / "v").outputs["out"]
    bits_in = {name: a.view(np.uint32) >> 16 for name, a in x.items()}
    bits_in = {name: b.astype(np.uint16) for name, b in bits_in.items()}
    r = trnsim.run("attention_cte", PARAMS, inputs=bits_in, mode="functional", narrow_floats="bits",
                   out_dir=tmp_path / "b")
    out = r.outputs["out"]
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out, (values.view(np.uint32) >> 16).astype(np.uint16))


def test_pip_installs_from_the_checkout_without_network(tmp_path):
    target = tmp_path / "site"
    # From a copy: setuptools writes build/ and *.egg-info beside the sources, which stay untouched.
    package = tmp_path / "checkout"
    source = Path(__file__).resolve().parents[1]
    shutil.copytree(source / "trnsim", package / "trnsim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(source / "pyproject.toml", package)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-build-isolation",
                    "--no-deps", "--target", str(target), str(package)], check=True,
                   env=dict(os.environ, PIP_NO_CACHE_DIR="1"))
    code = ("import trnsim, numpy as np; r = trnsim.run('floor_nisa_kernel', {'p_size': 4, 'f_size': 8},"
            " mode='functional'); assert r.numerics_passed; print(trnsim.__file__)")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(target)), cwd=tmp_path)
    assert done.stdout.startswith(str(target))
