"""Two JAX processes on 127.0.0.1 train as one: ``keras.distribution`` across processes.

Each process (``_scripts/jax_process.py``) gives its own rows of every global batch; the
test checks that both end with the weights of one process training on the whole data set, that
only process 0 writes checkpoints, and that both resume from them. JAX's CPU collectives go
through gloo; a jax without gloo skips these tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import helpers
import kerasguide

pytestmark = [pytest.mark.backend("jax"), pytest.mark.slow]

SCRIPT = Path(__file__).parent / "_scripts" / "jax_process.py"
PROCESSES = 2


def _has_gloo() -> bool:
    import jax

    if "jax_cpu_collectives_implementation" not in jax.config.values:
        return False
    try:
        from jax._src.lib import _jax
    except ImportError:  # private module moved: the option alone says gloo is there
        return True
    return hasattr(_jax, "make_gloo_tcp_collectives")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _attempt(out: Path, checkpoint_dir: Path, epochs: int, timeout: float) -> list[str]:
    """Run the processes to the end (or kill them at the deadline); their failures."""
    port = _free_port()
    commands = [
        (
            [
                sys.executable, str(SCRIPT), str(out), str(checkpoint_dir),
                *(str(n) for n in (port, index, PROCESSES, epochs)),
            ],
            {**os.environ, "KERAS_BACKEND": "jax"},
        )
        for index in range(PROCESSES)
    ]  # fmt: skip
    return helpers.run_processes(commands, out, "process", timeout)


def _run(out: Path, checkpoint_dir: Path, epochs: int, timeout: float = 300) -> list[Any]:
    failures = _attempt(out, checkpoint_dir, epochs, timeout)
    if failures and any("in use" in failure for failure in failures):
        # The free port found above was taken by another process before the coordinator bound it.
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
        failures = _attempt(out, checkpoint_dir, epochs, timeout)
    assert not failures, "\n\n".join(failures)
    return [np.load(out / f"process{i}.npz") for i in range(PROCESSES)]


def _one_process(initial: list[np.ndarray], epochs: int) -> tuple[list[np.ndarray], list[float]]:
    """The same global batches, in order, in this one process: the whole data set."""
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import jax_process
    finally:
        sys.path.remove(str(SCRIPT.parent))
    x, y = jax_process.data()
    model = keras.Sequential(
        [
            keras.Input((jax_process.FEATURES,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(jax_process.CLASSES),
        ]
    )
    model.set_weights(initial)
    history = kerasguide.fit(
        model,
        x,
        y,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer="adam",
        metrics=["accuracy"],
        epochs=epochs,
        batch_size=jax_process.BATCH,
        shuffle=False,
        verbose=0,
    )
    return model.get_weights(), history.history["loss"]


def _finals(result: Any) -> list[np.ndarray]:
    return [result[f"final{i}"] for i in range(4)]


@pytest.fixture(scope="module")
def gloo() -> None:
    if not _has_gloo():
        pytest.skip("this jax has no gloo CPU collectives (jax_cpu_collectives_implementation)")


def test_two_processes_train_as_one_and_resume_from_one_writer(gloo: None, tmp_path: Path) -> None:
    checkpoint_dir = tmp_path / "checkpoints"
    first = tmp_path / "first"
    first.mkdir()
    chief, other = _run(first, checkpoint_dir, epochs=2)
    # Both processes see both devices, the weights are laid out over both, and they end equal.
    assert int(chief["devices"]) == PROCESSES and int(chief["kernel_devices"]) == PROCESSES
    for name in chief.files:
        if name != "writes":
            np.testing.assert_array_equal(chief[name], other[name], err_msg=name)
    initial = [chief[f"initial{i}"] for i in range(4)]
    weights, losses = _one_process(initial, epochs=2)
    for ours, single in zip(_finals(chief), weights, strict=True):
        np.testing.assert_allclose(ours, single, rtol=0, atol=1e-5)
    np.testing.assert_allclose(chief["loss"], losses, rtol=1e-5)

    # Only process 0 wrote: a checkpoint and the index per epoch.
    assert (int(chief["writes"]), int(other["writes"])) == (4, 0)
    assert sorted(p.name for p in checkpoint_dir.iterdir()) == [
        "checkpoint.json",
        "ckpt-1.npz",
        "ckpt-2.npz",
    ]

    # Both resume from process 0's checkpoint and end as one uninterrupted run.
    second = tmp_path / "second"
    second.mkdir()
    chief, other = _run(second, checkpoint_dir, epochs=3)
    assert int(chief["initial_epoch"]) == int(other["initial_epoch"]) == 2
    assert (int(chief["writes"]), int(other["writes"])) == (2, 0)
    weights, losses = _one_process(initial, epochs=3)
    for ours, theirs, single in zip(_finals(chief), _finals(other), weights, strict=True):
        np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_allclose(ours, single, rtol=0, atol=1e-5)
    np.testing.assert_allclose(chief["loss"], losses, rtol=1e-5)


def test_a_global_batch_that_does_not_split_over_the_processes_is_refused() -> None:
    from kerasguide.training._jax_distribution import local_batch_size

    assert local_batch_size("batch_size", 16, 2) == 8
    with pytest.raises(ValueError, match=r"batch_size.*프로세스 2개.*15"):
        local_batch_size("batch_size", 15, 2)
