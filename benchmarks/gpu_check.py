"""One prepared check of kerasguide on a GPU machine with JAX (CUDA) and without TensorFlow.

Run it from the repository root; it needs Keras, JAX with its CUDA plugin and NumPy (the
repository's ``kerasguide`` is put on ``PYTHONPATH``, so it need not be installed, and
TensorFlow need not be there: nothing on Keras's JAX backend imports it)::

    python benchmarks/gpu_check.py docs/_data/gpu_check.json          # about 3 minutes
    python benchmarks/gpu_check.py /tmp/gpu.json --quick              # a small smoke run

Every part runs in its own Python process under ``KERAS_BACKEND=jax`` (JAX takes most of a
GPU's memory when it starts, and a part that crashes must not take the others with it), with a
time limit; what it reports, or its error, goes into one JSON file with the date:

- ``environment``: versions, JAX's devices, whether TensorFlow is installed, ``nvidia-smi``;
- ``env_report``: ``kerasguide env`` (the table) and ``kerasguide env --json``;
- ``memory``: how much GPU memory JAX holds after a small computation, by default
  (preallocation), with ``XLA_PYTHON_CLIENT_PREALLOCATE=false`` (grow as needed, JAX's
  counterpart of TensorFlow's memory growth) and what ``kerasguide.env.enable_memory_growth``
  does on JAX;
- ``mixed_precision``: ``kerasguide.env.enable_mixed_precision()``, then ``kerasguide.fit`` of a
  larger MLP in ``mixed_float16`` and in ``float32`` (dtypes, loss-scale optimizer, seconds per
  epoch);
- ``bench``: ``benchmarks/bench_fit.py --backend jax`` at batch sizes a GPU wants (256 and
  1024), three interleaved rounds each.

The script itself imports neither JAX nor Keras; it exits 0 when it wrote the file, whatever
the parts found (their ``ok`` and ``error`` fields say it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 230.0  # under four minutes in all; later parts are skipped past it

ENVIRONMENT = """
import importlib.metadata as m, importlib.util, json, platform, shutil, subprocess
def version(name):
    try:
        return m.version(name)
    except m.PackageNotFoundError:
        return None
import jax
out = {
    "python": platform.python_version(),
    "platform": platform.platform(),
    "versions": {n: version(n) for n in ["jax", "jaxlib", "jax-cuda12-plugin",
                 "jax-cuda13-plugin", "keras", "numpy", "tensorflow", "ml-dtypes"]},
    "tensorflow_importable": importlib.util.find_spec("tensorflow") is not None,
    "default_backend": jax.default_backend(),
    "devices": [f"{d.platform}:{d.id} {d.device_kind}" for d in jax.devices()],
}
smi = shutil.which("nvidia-smi")
if smi:
    out["nvidia_smi"] = subprocess.run(
        [smi, "--query-gpu=name,driver_version,memory.total,compute_cap",
         "--format=csv,noheader"], capture_output=True, text=True, timeout=20).stdout.strip()
print(json.dumps(out))
"""

MEMORY = """
import json, os, sys
import jax, jax.numpy as jnp
x = jnp.ones((1024, 1024), jnp.float32)  # 4 MiB
(x @ x).block_until_ready()
device = jax.devices()[0]
stats = device.memory_stats() or {}
keep = ["bytes_limit", "bytes_in_use", "peak_bytes_in_use", "bytes_reserved",
        "largest_free_block_bytes", "pool_bytes"]
out = {
    "device": f"{device.platform}:{device.id} {device.device_kind}",
    "env": {k: os.environ.get(k) for k in ["XLA_PYTHON_CLIENT_PREALLOCATE",
            "XLA_PYTHON_CLIENT_MEM_FRACTION", "XLA_PYTHON_CLIENT_ALLOCATOR"]},
    "memory_stats": {k: stats.get(k) for k in keep if k in stats},
}
if "--growth" in sys.argv:
    from kerasguide import env
    out["enable_memory_growth"] = env.enable_memory_growth()  # TensorFlow's GPUs only
print(json.dumps(out))
"""

MIXED = """
import json, sys, time
import keras, numpy as np
import kerasguide
from kerasguide import env
quick = "--quick" in sys.argv
samples, batch = (2048, 512) if quick else (65536, 1024)
rng = np.random.default_rng(0)
x = rng.random((samples, 784), dtype=np.float32)
y = rng.integers(0, 10, samples)
out = {"samples": samples, "batch_size": batch, "model": "MLP 784-2048-2048-10"}
def run(label):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(2048, activation="relu"),
                              keras.layers.Dense(2048, activation="relu"),
                              keras.layers.Dense(10, dtype="float32")])
    history = kerasguide.fit(model, x, y,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer="adam", metrics=["accuracy"], epochs=4, batch_size=batch, verbose=0)
    out[label] = {
        "policy": keras.config.dtype_policy().name,
        "compute_dtype": model.layers[0].compute_dtype,
        "variable_dtype": model.layers[0].variable_dtype,
        "optimizer": type(model.optimizer).__name__,
        "loss": history.history["loss"],
        "epoch_seconds": history.epoch_seconds,
        "traces": history.traces,
    }
run("float32")
try:
    out["enable_mixed_precision"] = env.enable_mixed_precision()
except Exception as error:  # no GPU: kerasguide refuses, and says why
    out["enable_mixed_precision_error"] = f"{type(error).__name__}: {error}"
else:
    run("mixed_float16")
    keras.config.set_dtype_policy("float32")
print(json.dumps(out))
sys.exit(0 if "mixed_float16" in out else 3)
"""


def run_python(
    code_or_args: str | list[str], *, timeout: float, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run Python under KERAS_BACKEND=jax; its last stdout line as JSON, or what went wrong."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra_env or {})
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    start = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        tail = (error.stderr or b"")[-2000:]
        return {
            "ok": False,
            "seconds": round(time.monotonic() - start, 2),
            "error": f"timed out after {timeout:.0f} s",
            "stderr_tail": tail.decode(errors="replace") if isinstance(tail, bytes) else tail,
        }
    result: dict[str, Any] = {
        "ok": done.returncode == 0,
        "seconds": round(time.monotonic() - start, 2),
        "returncode": done.returncode,
    }
    if done.returncode != 0:
        result["error"] = (done.stderr or done.stdout)[-3000:]
    result["stdout"] = done.stdout
    return result


def parsed(result: dict[str, Any]) -> dict[str, Any]:
    """The part's JSON (its whole stdout, else its last line) merged into its result."""
    stdout = result.pop("stdout", "")
    lines = [line for line in stdout.splitlines() if line.strip()]
    if lines:
        try:
            try:
                result["report"] = json.loads(stdout)
            except json.JSONDecodeError:
                result["report"] = json.loads(lines[-1])
        except json.JSONDecodeError as error:
            if result.get("ok"):
                result["ok"] = False
                result["error"] = f"last line is not JSON ({error}): {lines[-1][:500]}"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="the JSON file to write")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    report: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "benchmarks/gpu_check.py", *(argv or sys.argv[1:])]),
        "quick": args.quick,
        "parts": {},
    }
    parts = report["parts"]

    def left() -> float:
        return BUDGET_SECONDS - (time.monotonic() - started)

    def part(name: str, run: Any) -> None:
        if left() < 10:
            parts[name] = {"ok": False, "error": "skipped: the time budget was spent"}
        else:
            try:
                parts[name] = run()
            except Exception as error:
                parts[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        status = "ok" if parts[name].get("ok") else f"FAILED: {parts[name].get('error', '')}"
        print(f"{name}: {status[:300]} ({time.monotonic() - started:.0f} s)", flush=True)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")

    part("environment", lambda: parsed(run_python(ENVIRONMENT, timeout=min(60, left()))))

    def env_report() -> dict[str, Any]:
        table = run_python(["-m", "kerasguide", "env"], timeout=min(60, left()))
        result = parsed(run_python(["-m", "kerasguide", "env", "--json"], timeout=min(60, left())))
        result["table"] = table.get("stdout", "")
        result["table_ok"] = table["ok"]
        result["ok"] = result["ok"] and table["ok"]
        return result

    part("env_report", env_report)

    def memory() -> dict[str, Any]:
        cases = {
            "default": ({}, []),
            "preallocate_false": ({"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}, ["--growth"]),
        }
        results = {}
        for label, (extra, flags) in cases.items():
            code = ["-c", MEMORY, *flags]
            results[label] = parsed(run_python(code, timeout=min(60, left()), extra_env=extra))
        return {"ok": all(r["ok"] for r in results.values()), "cases": results}

    part("memory", memory)
    flags = ["--quick"] if args.quick else []
    part(
        "mixed_precision",
        lambda: parsed(run_python(["-c", MIXED, *flags], timeout=min(90, left()))),
    )

    def bench() -> dict[str, Any]:
        results = {}
        for batch in (256, 1024):
            with tempfile.TemporaryDirectory() as folder:
                out = Path(folder) / "bench.json"
                size = ["--samples", "8192", "--epochs", "3", "--rounds", "1"]
                if not args.quick:
                    size = ["--samples", "61440", "--epochs", "5", "--rounds", "3"]
                command = [
                    "benchmarks/bench_fit.py", "--backend", "jax", "--batch-size", str(batch),
                    *size, "--json", str(out),
                ]  # fmt: skip
                result = run_python(command, timeout=min(150, left()))
                result["stdout_tail"] = result.pop("stdout", "")[-3000:]
                if out.is_file():
                    result["report"] = json.loads(out.read_text())
                results[str(batch)] = result
        return {"ok": all(r["ok"] for r in results.values()), "batch_sizes": results}

    part("bench", bench)
    report["seconds"] = round(time.monotonic() - started, 1)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.output} in {report['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
