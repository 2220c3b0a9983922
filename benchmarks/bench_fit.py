"""Seconds per epoch: kerasguide.fit against Model.fit and a hand-written loop, on one backend.

One run, one model and one data set for every configuration: an MLP 784-64-64-10 on random
samples (20,000 by default), batch 32, Adam, sparse categorical cross-entropy from logits,
``metrics=["accuracy"]``, shuffled every epoch.

How the figures are made (a busy machine swings single runs 2x):

- every epoch is timed by the same Keras callback (``on_epoch_begin`` to ``on_epoch_end``);
  the first epoch of each run (tracing, compiling) is left out, and a run's figure is the
  median of its other epochs;
- configurations run in turn, ``--rounds`` times (3 by default), each round in another order
  (rotated), so that a machine that gets busier slows them alike;
- the figure of a configuration is the median of its rounds' figures, and its spread is the
  lowest and highest round figure. The speed-ups are taken round by round (both configurations
  of a ratio ran within minutes of each other) and reported as their median and range.

The eager loop, tens of seconds an epoch, runs ``--eager-epochs`` epochs in the first round
only.

``--backend`` picks Keras's backend (set before Keras is imported). On TensorFlow the
hand-written loop is the eager ``GradientTape`` loop; on JAX it is the keras.io guide's loop,
one ``jax.jit`` step per batch (``stateless_call``, ``value_and_grad``, ``stateless_apply``).
On JAX nothing imports TensorFlow (the script runs where TensorFlow is not installed).

Usage::

    python benchmarks/bench_fit.py                     # prints a Markdown table
    python benchmarks/bench_fit.py --json results.json # also writes the figures as JSON
    python benchmarks/bench_fit.py --samples 2000 --epochs 3 --rounds 1   # a quick look
    python benchmarks/bench_fit.py --backend jax --json docs/_data/bench_fit_jax.json
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def _backend_argument(argv: list[str]) -> str:
    """``--backend NAME`` (or ``--backend=NAME``), read before Keras is imported."""
    for index, arg in enumerate(argv):
        if arg == "--backend" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--backend="):
            return arg.split("=", 1)[1]
    return os.environ.get("KERAS_BACKEND", "tensorflow")


os.environ["KERAS_BACKEND"] = _backend_argument(sys.argv[1:])

import keras  # noqa: E402  (the backend is chosen above)
import numpy as np  # noqa: E402

import kerasguide  # noqa: E402

BACKEND = keras.backend.backend()

KERASGUIDE = "kerasguide.fit"
KERASGUIDE_PLAIN = "kerasguide.fit(jit_compile=False)"
KERASGUIDE_EARLY = "kerasguide.fit(callbacks=[EarlyStopping])"
MODEL_FIT = "Model.fit (defaults)"
MODEL_FIT_FAST = "Model.fit(steps_per_execution=32, jit_compile=True)"
EAGER = "eager loop (GradientTape, no tf.function)"
JAX_LOOP = "JAX loop (one jax.jit step per batch)"
RESOLVED_JIT: dict[bool, bool] = {}  # kerasguide.fit's jit_compile after "auto", by run kind
# Speed-ups kerasguide.fit promises (the README and the performance page quote them).
TARGETS = {
    "tensorflow": {MODEL_FIT: 2.5, "fastest Model.fit": 2.0},
    "jax": {MODEL_FIT: 1.2, "fastest Model.fit": 1.2},
}[BACKEND]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=6, help="epochs per run (first is warm-up)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each configuration, interleaved"
    )
    parser.add_argument(
        "--eager-epochs",
        type=int,
        default=1,
        help="timed epochs of the eager loop (first round only)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--backend",
        choices=["tensorflow", "jax"],
        default=os.environ["KERAS_BACKEND"],
        help="Keras backend (set before Keras is imported)",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="PATH")
    return parser.parse_args(argv)


def make_data(samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, samples)
    return x, y


def make_model(seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def make_loss() -> keras.losses.Loss:
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


class EpochTimer(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def run_kerasguide(args: argparse.Namespace, data: Any, **options: Any) -> list[float]:
    x, y = data
    timer = EpochTimer()
    callbacks = [*options.pop("callbacks", []), timer]
    history = kerasguide.fit(
        make_model(args.seed),
        x,
        y,
        loss=make_loss(),
        optimizer=keras.optimizers.Adam(),
        metrics=["accuracy"],
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        verbose=0,
        callbacks=callbacks,
        **options,
    )
    # TensorFlow traces once (unknown batch dimension); JAX compiles once per chunk shape: full
    # chunks, and a short last batch when the samples do not divide into batches.
    allowed = 1 if BACKEND == "tensorflow" else 1 + bool(args.samples % args.batch_size)
    if history.traces["train"] > allowed:
        raise RuntimeError(f"kerasguide.fit traced {history.traces['train']} times")
    RESOLVED_JIT["jit_compile" in options] = history.params["jit_compile"]
    return timer.seconds


def run_model_fit(args: argparse.Namespace, data: Any, **compile_options: Any) -> list[float]:
    x, y = data
    model = make_model(args.seed)
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss=make_loss(),
        metrics=["accuracy"],
        **compile_options,
    )
    timer = EpochTimer()
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0, callbacks=[timer])
    return timer.seconds


def run_jax_loop(args: argparse.Namespace, data: Any) -> list[float]:
    """The keras.io guide's JAX loop: a Python loop over batches, each step one jitted call."""
    import jax

    x, y = data
    model = make_model(args.seed)
    optimizer = keras.optimizers.Adam()
    optimizer.build(model.trainable_variables)
    loss_fn = make_loss()
    accuracy = keras.metrics.SparseCategoricalAccuracy()

    def compute_loss(trainable: Any, non_trainable: Any, xb: Any, yb: Any) -> Any:
        y_pred, non_trainable = model.stateless_call(trainable, non_trainable, xb, training=True)
        return loss_fn(yb, y_pred), (y_pred, non_trainable)

    grad_fn = jax.value_and_grad(compute_loss, has_aux=True)

    @jax.jit
    def train_step(state: Any, xb: Any, yb: Any) -> Any:
        trainable, non_trainable, optimizer_vars, metric_vars = state
        (loss, (y_pred, non_trainable)), grads = grad_fn(trainable, non_trainable, xb, yb)
        trainable, optimizer_vars = optimizer.stateless_apply(optimizer_vars, grads, trainable)
        metric_vars = accuracy.stateless_update_state(metric_vars, yb, y_pred)
        return loss, (trainable, non_trainable, optimizer_vars, metric_vars)

    state = (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        [v.value for v in optimizer.variables],
        [v.value for v in accuracy.variables],
    )
    rng = np.random.default_rng(args.seed)
    seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        order = rng.permutation(len(x))
        for begin in range(0, len(x), args.batch_size):
            batch = order[begin : begin + args.batch_size]
            loss, state = train_step(state, x[batch], y[batch])
        jax.block_until_ready(loss)
        seconds.append(time.perf_counter() - start)
    return seconds


def run_eager(args: argparse.Namespace, data: Any) -> list[float]:
    """The textbook loop: Python for-loop over batches, every op run eagerly."""
    import tensorflow as tf

    x, y = data
    model = make_model(args.seed)
    optimizer = keras.optimizers.Adam()
    loss_fn = make_loss()
    accuracy = keras.metrics.SparseCategoricalAccuracy()
    loss_tracker = keras.metrics.Mean()
    rng = np.random.default_rng(args.seed)

    def step(xb: Any, yb: Any) -> None:
        with tf.GradientTape() as tape:
            predictions = model(xb, training=True)
            loss = loss_fn(yb, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        loss_tracker.update_state(loss)
        accuracy.update_state(yb, predictions)

    step(x[: args.batch_size], y[: args.batch_size])  # warm-up: creates the optimizer state
    seconds = []
    for _ in range(args.eager_epochs):
        start = time.perf_counter()
        loss_tracker.reset_state()
        accuracy.reset_state()
        order = rng.permutation(len(x))
        for begin in range(0, len(x), args.batch_size):
            batch = order[begin : begin + args.batch_size]
            step(x[batch], y[batch])
        seconds.append(time.perf_counter() - start)
    return [float("nan"), *seconds]  # no compile-time first epoch: keep the layout


def environment() -> dict[str, Any]:
    cpu_model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "python": platform.python_version(),
        "backend": BACKEND,
        "tensorflow": _version("tensorflow"),
        "jax": _version("jax"),
        "keras": keras.__version__,
        "numpy": np.__version__,
        "kerasguide": kerasguide.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": cpu_model,
        "gpus": _accelerators(),
    }


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _accelerators() -> int:
    if BACKEND == "jax":
        import jax

        return sum(d.platform != "cpu" for d in jax.devices())
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def load_average() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def run_figure(seconds: list[float]) -> float:
    """One run's seconds per epoch: the median of its epochs after the first (compiling)."""
    steady = [s for s in seconds[1:] if s == s]  # NaN: the eager loop's placeholder
    return statistics.median(steady)


def summarize(runs: dict[str, list[list[float]]]) -> dict[str, dict[str, Any]]:
    """Per configuration: the median of its rounds' figures, and how far the rounds spread."""
    summary = {}
    for name, name_runs in runs.items():
        figures = [run_figure(run) for run in name_runs]
        middle = statistics.median(figures)
        summary[name] = {
            "seconds_per_epoch_median": middle,
            "round_seconds": figures,
            "round_min": min(figures),
            "round_max": max(figures),
            # (highest - lowest) / median: 0.2 means the rounds lay within ±10 % of the figure.
            "spread": (max(figures) - min(figures)) / middle,
        }
    return summary


def round_ratios(theirs: list[list[float]], ours: list[list[float]]) -> list[float]:
    """Speed-up of kerasguide.fit over another configuration, round by round."""
    return [run_figure(a) / run_figure(b) for a, b in zip(theirs, ours, strict=True)]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.epochs < 2 or args.rounds < 1:
        raise SystemExit("--epochs must be at least 2 (the first is left out), --rounds at least 1")
    date = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    command = shlex.join(["python", *(sys.argv if argv is None else [__file__, *argv])])
    env = environment()
    print(f"command: {command}")
    print(
        f"backend {BACKEND}; TensorFlow {env['tensorflow']}, JAX {env['jax']}, "
        f"Keras {env['keras']}, NumPy {env['numpy']}, Python {env['python']}, "
        f"kerasguide {env['kerasguide']}"
    )
    print(
        f"CPU: {env['cpu_count']} logical CPUs ({env['cpus_usable']} usable), "
        f"{env['cpu_model'] or 'unknown model'}; accelerators visible: {env['gpus']}"
    )
    print(
        f"workload: MLP 784-64-64-10, {args.samples} samples, batch {args.batch_size}, Adam, "
        f"accuracy metric; {args.epochs} epochs per run (first left out), {args.rounds} rounds"
    )
    load_before = load_average()
    print(f"load average before: {load_before}", flush=True)

    data = make_data(args.samples, args.seed)
    configurations: dict[str, Callable[[], list[float]]] = {
        KERASGUIDE: lambda: run_kerasguide(args, data),
    }
    if BACKEND == "tensorflow":  # on JAX everything is compiled with XLA
        configurations[KERASGUIDE_PLAIN] = lambda: run_kerasguide(args, data, jit_compile=False)
    configurations |= {
        # An epoch-hook callback (patience longer than the run, so it never stops early):
        # it must not add a host round trip per step.
        KERASGUIDE_EARLY: lambda: run_kerasguide(
            args,
            data,
            callbacks=[keras.callbacks.EarlyStopping(monitor="loss", patience=args.epochs)],
        ),
        MODEL_FIT: lambda: run_model_fit(args, data),
        MODEL_FIT_FAST: lambda: run_model_fit(args, data, steps_per_execution=32, jit_compile=True),
    }
    if BACKEND == "tensorflow":
        configurations[EAGER] = lambda: run_eager(args, data)
    else:
        configurations[JAX_LOOP] = lambda: run_jax_loop(args, data)
    names = list(configurations)
    runs: dict[str, list[list[float]]] = {name: [] for name in names}
    for round_index in range(args.rounds):
        # Each round starts one configuration later: no configuration is always first.
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            if name == EAGER and round_index > 0:
                continue  # tens of seconds an epoch: one round is enough to show the gap
            seconds = configurations[name]()
            runs[name].append(seconds)
            shown = " ".join(f"{s:.3f}" for s in seconds)
            print(f"  round {round_index + 1} {name}: {shown}", flush=True)

    summary = summarize(runs)
    figure = {name: summary[name]["seconds_per_epoch_median"] for name in names}
    fastest_model_fit = min((MODEL_FIT, MODEL_FIT_FAST), key=figure.__getitem__)
    speedups = {
        f"kerasguide.fit vs {MODEL_FIT}": (
            round_ratios(runs[MODEL_FIT], runs[KERASGUIDE]),
            TARGETS[MODEL_FIT],
        ),
        f"kerasguide.fit vs fastest Model.fit ({fastest_model_fit})": (
            round_ratios(runs[fastest_model_fit], runs[KERASGUIDE]),
            TARGETS["fastest Model.fit"],
        ),
    }

    print()
    print(
        "| configuration | s/epoch (median of rounds) | lowest–highest round | spread "
        "| time ÷ kerasguide.fit |"
    )
    print("|---|---:|---:|---:|---:|")
    for name in names:
        row = summary[name]
        print(
            f"| {name} | {row['seconds_per_epoch_median']:.3f} "
            f"| {row['round_min']:.3f}–{row['round_max']:.3f} | ±{row['spread'] / 2:.0%} "
            f"| {figure[name] / figure[KERASGUIDE]:.2f}x |"
        )
    print()
    for label, (ratios, target) in speedups.items():
        middle = statistics.median(ratios)
        verdict = "met" if middle >= target else "NOT met"
        print(
            f"{label}: {middle:.2f}x faster (rounds: {min(ratios):.2f}x–{max(ratios):.2f}x; "
            f"target {target}x: {verdict})"
        )
    print(f'kerasguide.fit defaults: jit_compile="auto" resolved to {RESOLVED_JIT.get(False)}')
    load_after = load_average()
    print(f"load average after: {load_after}")

    if args.json is not None:
        report = {
            "command": command,
            "date": date,
            "environment": env,
            "backend": BACKEND,
            "workload": {
                "model": "MLP 784-64-64-10",
                "samples": args.samples,
                "batch_size": args.batch_size,
                "optimizer": "Adam",
                "metrics": ["accuracy"],
                "epochs_per_run": args.epochs,
                "rounds": args.rounds,
                "eager_epochs": args.eager_epochs,
            },
            "load_average": {"before": load_before, "after": load_after},
            "kerasguide_default_jit_compile": RESOLVED_JIT.get(False),
            "results": {
                name: {
                    **summary[name],
                    "runs": [[None if s != s else s for s in run] for run in runs[name]],
                    "time_relative_to_kerasguide": figure[name] / figure[KERASGUIDE],
                }
                for name in names
            },
            "targets": {
                label: {
                    "speedup": statistics.median(ratios),
                    "speedup_rounds": ratios,
                    "target": target,
                    "met": statistics.median(ratios) >= target,
                }
                for label, (ratios, target) in speedups.items()
            },
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
