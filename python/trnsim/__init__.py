"""Run trnsim from Python.

    import numpy as np, trnsim
    r = trnsim.run("attention_cte", {"seqlen_q": 256, "seqlen_kv": 256, "d": 64},
                   inputs={"q": q, "k": k, "v": v}, mode="both")
    r.outputs["out"]       # NumPy array
    r.summary["total_ns"]  # summary.json as a dict
    r.trace                # path of trace.pftrace (timed modes), or None

Each call runs the `trnsim` executable (``$TRNSIM``, else ``build/trnsim`` of this checkout, else ``trnsim``
on PATH) on a run config written to its run folder. bfloat16 and float8 tensors, which NumPy has no dtype
for, go in and come out as float32 values by default, or as raw bits (uint16 / uint8) with
``narrow_floats="bits"`` (then ``ml_dtypes`` views them: ``a.view(ml_dtypes.bfloat16)``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import numpy as np

__all__ = ["run", "check", "RunResult", "TrnsimError", "executable"]


class TrnsimError(RuntimeError):
    """trnsim refused the config or failed to run it; the message is trnsim's own (it names the JSON path)."""


@dataclass
class RunResult:
    outputs: Dict[str, np.ndarray]
    summary: Dict[str, Any]
    out_dir: Path
    trace: Optional[Path]
    inputs: Dict[str, np.ndarray] = field(default_factory=dict)  # what the run used (given or drawn)
    stdout: str = ""

    @property
    def numerics_passed(self) -> Optional[bool]:
        """True or False when the outputs were compared with the float64 reference, None when not."""
        n = self.summary.get("numerics", {})
        return n.get("passed") if n.get("checked") else None


def executable() -> str:
    """The trnsim executable this package runs."""
    env = os.environ.get("TRNSIM")
    if env:
        return env
    checkout = Path(__file__).resolve().parents[2] / "build" / "trnsim"
    if checkout.is_file() and os.access(checkout, os.X_OK):
        return str(checkout)
    found = shutil.which("trnsim")
    if found:
        return found
    raise TrnsimError("no trnsim executable: set $TRNSIM, build this checkout (build/trnsim), or put trnsim on PATH")


def _load_dir(folder: Path) -> Dict[str, np.ndarray]:
    arrays: Dict[str, np.ndarray] = {}
    if folder.is_dir():
        for f in sorted(folder.rglob("*.npy")):
            arrays[str(f.relative_to(folder).with_suffix(""))] = np.load(f)
    return arrays


def run(kernel: str, params: Mapping[str, Any], inputs: Optional[Mapping[str, np.ndarray]] = None, *,
        hardware: Any = "trn2", mode: str = "both", check_numerics: Optional[bool] = None, seed: int = 0,
        narrow_floats: str = "float32", trace: bool = True, launch: Optional[Mapping[str, Any]] = None,
        out_dir: Optional[os.PathLike] = None) -> RunResult:
    """Simulates `kernel` with `params` (the run config's keys, README "Run configs") and returns its outputs.

    `inputs` maps input names to arrays (the rest are drawn from `seed`, as the kernel's tests draw them);
    `out_dir` keeps the run folder (default: a fresh temporary one, left for the caller to inspect).
    Raises TrnsimError with trnsim's message when the config is refused or the run fails; a numerics
    mismatch is not an error: see `RunResult.numerics_passed` and `check`.
    """
    folder = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="trnsim_"))
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="trnsim_inputs_", dir=folder.parent))
    try:
        files = {}
        for name, array in (inputs or {}).items():
            path = staging / f"{name}.npy"
            np.save(path, np.ascontiguousarray(array))
            files[name] = str(path)
        config: Dict[str, Any] = {"kernel": kernel, "params": dict(params), "hardware": hardware, "mode": mode,
                                  "inputs": {"seed": seed, "files": files},
                                  "npy": {"narrow_floats": narrow_floats},
                                  "trace": {"perfetto": trace}}
        if check_numerics is not None:
            config["check_numerics"] = check_numerics
        if launch is not None:
            config["launch"] = dict(launch)
        config_path = staging / "config.json"
        config_path.write_text(json.dumps(config, indent=1))
        run_dir = folder / "run" if out_dir is None else folder
        proc = subprocess.run([executable(), "run", str(config_path), "--out", str(run_dir)],
                              capture_output=True, text=True)
        summary_path = run_dir / "summary.json"
        # Exit 1 with a summary is a numerics failure (reported, not raised); anything else is an error.
        if proc.returncode != 0 and not (proc.returncode == 1 and summary_path.is_file()
                                         and "numerics     FAIL" in proc.stdout):
            raise TrnsimError(proc.stderr.strip() or f"trnsim exited with status {proc.returncode}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary = json.loads(summary_path.read_text())
    trace_path = run_dir / "trace.pftrace"
    return RunResult(outputs=_load_dir(run_dir / "outputs"), summary=summary, out_dir=run_dir,
                     trace=trace_path if trace_path.is_file() else None, inputs=_load_dir(run_dir / "inputs"),
                     stdout=proc.stdout)


def check(kernel: str, params: Mapping[str, Any], **kwargs: Any) -> RunResult:
    """`run`, then assert (for pytest) that the outputs were compared with the reference and matched."""
    r = run(kernel, params, **kwargs)
    numerics = r.summary.get("numerics", {})
    assert numerics.get("checked"), f"{kernel}: nothing was compared (mode {r.summary.get('mode')!r})"
    failing = {k: v["detail"] for k, v in numerics.get("outputs", {}).items() if not v["passed"]}
    assert numerics.get("passed"), f"{kernel}: numerics FAIL: {failing}"
    return r
