"""kerasguide.fit on tf.distribute: one device, two logical CPUs, two worker processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import helpers
from kerasguide import env, fit

# The tf.train.Checkpoint files and tf.distribute (tests/training/test_jax.py: JAX's own).
pytestmark = pytest.mark.backend("tensorflow")
SCRIPTS = helpers.SCRIPTS
N_FEATURES = 6


def _data(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    return helpers.classification_data(n, features=N_FEATURES, classes=3)


def _model(seed: int = 0) -> keras.Model:
    return helpers.classifier(features=N_FEATURES, classes=3, hidden=[8], seed=seed)


_loss = helpers.logits_loss


def _assert_close(a: list[Any], b: list[Any], rtol: float = 1e-5) -> None:
    assert len(a) == len(b)
    for wa, wb in zip(a, b, strict=True):
        np.testing.assert_allclose(np.asarray(wa), np.asarray(wb), rtol=rtol, atol=1e-6)


# --- in this process: one device ------------------------------------------------------------


def test_select_strategy_gives_a_strategy_that_fit_uses_like_one_device() -> None:
    strategy = env.select_strategy()  # here: OneDeviceStrategy('/cpu:0')
    assert isinstance(strategy, tf.distribute.Strategy)
    x, y = _data()
    with strategy.scope():
        distributed = _model()
    single = _model()
    single.set_weights(distributed.get_weights())
    common: dict[str, Any] = {"loss": _loss(), "optimizer": "adam", "epochs": 2, "verbose": 0}
    common["seed"] = 3  # the same shuffled order (seed=None draws it from the global seed)
    h_dist = fit(distributed, x, y, strategy=strategy, batch_size=24, **common)
    h_single = fit(single, x, y, batch_size=24, jit_compile=False, **common)
    _assert_close(distributed.get_weights(), single.get_weights())
    np.testing.assert_allclose(h_dist.history["loss"], h_single.history["loss"], rtol=1e-5)
    assert h_dist.params["jit_compile"] is False  # "auto" means no XLA with tf.distribute


def test_fit_inside_a_scope_uses_that_strategy() -> None:
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    outside = _model()
    x, y = _data()
    # Called inside the scope without strategy=: the scope's strategy is used, so a model
    # built outside it is refused.
    with strategy.scope(), pytest.raises(ValueError, match=r"scope\(\) 밖에서 만들어졌다"):
        fit(outside, x, y, loss=_loss(), optimizer="sgd", verbose=0)


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("model", r"모델 'sequential\w*' 의 변수 'sequential\w*/dense\w*/kernel'"),
        ("optimizer", r"옵티마이저 Adam 의 변수 'adam\w*/iteration'"),
        ("metric", r"지표 'my_accuracy' 의 변수"),
    ],
)
def test_objects_made_outside_the_scope_are_refused(what: str, pattern: str) -> None:
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    x, y = _data()
    optimizer: Any = "adam"
    metrics: list[Any] = ["accuracy"]
    if what == "model":
        model = _model()
    else:
        with strategy.scope():
            model = _model()
    if what == "optimizer":
        optimizer = keras.optimizers.Adam()
    if what == "metric":
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="my_accuracy")]
    with pytest.raises(ValueError, match=pattern):
        fit(
            model,
            x,
            y,
            loss=_loss(),
            optimizer=optimizer,
            metrics=metrics,
            strategy=strategy,
            verbose=0,
        )


def test_strategy_must_be_a_tf_distribute_strategy() -> None:
    x, y = _data()
    with pytest.raises(
        TypeError, match=r"strategy 는 tf.distribute.Strategy.*받은 값: strategy='mirrored'"
    ):
        fit(_model(), x, y, loss=_loss(), optimizer="sgd", strategy="mirrored", verbose=0)


def test_strategy_other_than_the_open_scope_is_refused() -> None:
    first = tf.distribute.OneDeviceStrategy("/cpu:0")
    second = tf.distribute.OneDeviceStrategy("/cpu:0")
    x, y = _data()
    with first.scope():
        model = _model()
        with pytest.raises(ValueError, match=r"다른 전략\(OneDeviceStrategy\)의 scope\(\) 안에서"):
            fit(model, x, y, loss=_loss(), optimizer="sgd", strategy=second, verbose=0)


# --- MirroredStrategy over two logical CPU devices (own process) ---------------------------


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("mirrored") / "results.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "mirrored.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert result.returncode == 0, f"mirrored.py failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    results: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return results


@pytest.mark.slow
def test_mirrored_two_cpus_gives_the_weights_of_one_device(mirrored: dict[str, Any]) -> None:
    case = mirrored["arrays"]
    assert case["replicas"] == 2
    _assert_close(case["distributed"], case["single"])
    assert set(case["history_distributed"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key, values in case["history_single"].items():
        np.testing.assert_allclose(case["history_distributed"][key], values, rtol=1e-5)
    assert case["traces"] == {"train": 1, "validation": 1}  # no retracing over 3 epochs
    assert case["jit_compile"] is False


@pytest.mark.slow
def test_mirrored_dataset_inside_the_scope_without_strategy_argument(
    mirrored: dict[str, Any],
) -> None:
    case = mirrored["dataset_in_scope"]
    _assert_close(case["distributed"], case["single"])
    np.testing.assert_allclose(
        case["history_distributed"]["loss"], case["history_single"]["loss"], rtol=1e-5
    )


@pytest.mark.slow
def test_mirrored_refuses_a_model_built_outside_the_scope(mirrored: dict[str, Any]) -> None:
    error = mirrored["outside_scope"]["error"]
    assert error is not None and "MirroredStrategy 의 scope() 밖에서 만들어졌다" in error


@pytest.mark.slow
def test_mirrored_resume_from_checkpoint(mirrored: dict[str, Any]) -> None:
    case = mirrored["checkpoint"]
    assert case["initial_epoch"] == 1
    _assert_close(case["resumed"], case["straight"], rtol=1e-6)


@pytest.mark.slow
def test_mirrored_nan_names_epoch_and_step(mirrored: dict[str, Any]) -> None:
    case = mirrored["nan"]
    assert (case["epoch"], case["step"]) == (1, 5)
    assert "에포크 1/1 의 스텝 5/8" in case["message"]


# --- MultiWorkerMirroredStrategy: two worker processes on 127.0.0.1 ------------------------


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _attempt_workers(out: Path, checkpoint_dir: Path, timeout: float) -> list[str]:
    """Run both workers to the end (or kill them at the deadline); their failures."""
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    command = [sys.executable, str(SCRIPTS / "multi_worker.py"), str(out), str(checkpoint_dir)]
    commands = [
        (
            command,
            {**os.environ, "TF_CONFIG": json.dumps(
                {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            )},
        )
        for index in range(2)
    ]  # fmt: skip
    return helpers.run_processes(commands, out, "worker", timeout)


def _run_workers(out: Path, checkpoint_dir: Path, timeout: float = 300) -> None:
    failures = _attempt_workers(out, checkpoint_dir, timeout)
    if failures and any("already in use" in failure for failure in failures):
        # A free port found above was taken by another process before the worker bound it.
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
        failures = _attempt_workers(out, checkpoint_dir, timeout)
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
def test_multi_worker_two_processes_end_with_identical_weights(tmp_path: Path) -> None:
    checkpoint_dir = tmp_path / "checkpoints"
    _run_workers(tmp_path, checkpoint_dir)
    chief, other = np.load(tmp_path / "worker0.npz"), np.load(tmp_path / "worker1.npz")
    assert int(chief["replicas"]) == 2
    finals = sorted(name for name in chief.files if name.startswith("final"))
    assert len(finals) == 4
    for name in chief.files:
        np.testing.assert_array_equal(chief[name], other[name], err_msg=name)

    # The same global batches on one device, from the same initial weights, end the same.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(150, N_FEATURES)).astype("float32")
    y = x[:, :3].argmax(axis=1).astype("int64")
    single = keras.Sequential(
        [
            keras.Input((N_FEATURES,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(3),
        ]
    )
    single.set_weights([chief[f"initial{i}"] for i in range(4)])
    history = fit(
        single,
        x,
        y,
        loss=_loss(),
        optimizer="adam",
        metrics=["accuracy"],
        epochs=3,
        batch_size=32,
        seed=1,
        verbose=0,
        jit_compile=False,
    )
    _assert_close([chief[name] for name in finals], single.get_weights())
    np.testing.assert_allclose(chief["loss"], history.history["loss"], rtol=1e-5)

    # Only the chief keeps checkpoints; the other worker's temporary copy is gone.
    assert sorted(p.name for p in checkpoint_dir.glob("*.index")) == [
        "ckpt-1.index",
        "ckpt-2.index",
        "ckpt-3.index",
    ]
    assert not [p for p in checkpoint_dir.iterdir() if p.name.startswith(".kerasguide_tmp")]
