"""Data, models and assertions shared by the library's tests (``import helpers``)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kerasguide import SimpleDense

SCRIPTS = Path(__file__).parent / "training" / "_scripts"


def classification_data(
    n: int = 100, *, features: int = 8, classes: int = 3, seed: int = 0, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian inputs; the class is the argmax of the first ``classes`` features, and a
    fraction ``noise`` of the labels is moved to the next class."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = x[:, :classes].argmax(axis=1)
    if noise:
        y = (y + (rng.random(n) < noise)) % classes
    return x, y.astype("int64")


def classifier(
    *,
    features: int = 8,
    classes: int = 3,
    hidden: Sequence[int] = (16,),
    seed: int = 0,
    simple_dense: bool = False,
    dropout: float | None = None,
    **output_kwargs: Any,
) -> keras.Model:
    """An MLP that outputs logits, its weights fixed by ``seed``."""
    keras.utils.set_random_seed(seed)
    dense = SimpleDense if simple_dense else keras.layers.Dense
    layers: list[Any] = [keras.Input((features,))]
    layers += [dense(units, activation="relu") for units in hidden]
    if dropout is not None:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(classes, **output_kwargs))
    return keras.Sequential(layers)


def logits_loss() -> keras.losses.Loss:
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def weights_of(model_or_weights: Any) -> list[np.ndarray]:
    if isinstance(model_or_weights, keras.Model):
        return [np.asarray(w) for w in model_or_weights.get_weights()]
    return [np.asarray(w) for w in model_or_weights]


def assert_same_weights(a: Any, b: Any, *, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Models (or weight lists) with the same weights, within float tolerance."""
    for wa, wb in zip(weights_of(a), weights_of(b), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=rtol, atol=atol)


def assert_same_history(
    a: dict[str, list[float]], b: dict[str, list[float]], *, rtol: float = 1e-5
) -> None:
    """Two ``history.history`` dicts: same keys, same values per epoch."""
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=rtol, atol=1e-6, err_msg=key)


def run_processes(
    commands: Sequence[tuple[Sequence[str], Mapping[str, str]]],
    logs: Path,
    name: str,
    timeout: float,
) -> list[str]:
    """Start every ``(command, environment)`` at once (processes that train together) and run
    them to the end, or kill them all at the deadline. Each writes ``logs/<name><i>.log``.

    Returns the failures: for each process that did not exit 0, its exit code (or that it was
    killed) and the end of its log. No process outlives the call.
    """
    processes: list[subprocess.Popen[bytes]] = []
    files = []
    timed_out = False
    try:
        for index, (command, env) in enumerate(commands):
            log = (logs / f"{name}{index}.log").open("w")
            files.append(log)
            processes.append(
                subprocess.Popen(list(command), env=dict(env), stdout=log, stderr=subprocess.STDOUT)
            )
        deadline = time.monotonic() + timeout
        for process in processes:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in files:
            log.close()
    return [
        f"{name} {i} ({'killed after ' + str(timeout) + ' s' if timed_out else 'exit'} "
        f"{p.returncode}):\n" + (logs / f"{name}{i}.log").read_text(errors="replace")[-3000:]
        for i, p in enumerate(processes)
        if p.returncode != 0
    ]
