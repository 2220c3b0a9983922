"""A Keras user's whole workflow: kerasguide.fit, evaluate, predict, save, load, fit again.

Each stage runs in its own process (``_scripts/workflow.py``): the model is saved on this run's
backend and loaded in fresh processes on TensorFlow and on JAX, after ``import kerasguide``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from helpers import SCRIPTS

BACKEND = keras.backend.backend()
LOAD_BACKENDS = ["tensorflow", "jax"]


def _run(backend: str, *args: str) -> None:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "workflow.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{args[0]} on {backend} failed:\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("workflow")
    _run(BACKEND, "save", str(directory))
    return directory


@pytest.mark.slow
def test_fit_leaves_a_compiled_model_that_evaluates_and_saves(saved: Path) -> None:
    record = np.load(saved / "saved.npz")
    # model.evaluate right after kerasguide.fit: the loss and accuracy it trained with.
    assert 0.0 < float(record["eval_loss"]) < float(record["history_loss"][0])
    assert 0.0 <= float(record["eval_accuracy"]) <= 1.0
    assert int(record["iterations"]) == 3 * 96 // 16, "저장된 옵티마이저가 훈련한 스텝 수"
    assert (saved / "model.keras").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("load_backend", LOAD_BACKENDS)
def test_saved_model_loads_and_trains_on(saved: Path, load_backend: str, tmp_path: Path) -> None:
    if importlib.util.find_spec(load_backend) is None:
        pytest.skip(f"{load_backend} is not installed here")
    out = tmp_path / "loaded.npz"
    _run(load_backend, "load", str(saved), str(out))
    record, loaded = np.load(saved / "saved.npz"), np.load(out)
    assert list(loaded["layer_classes"]) == ["SimpleDense", "Dense"]
    assert "kerasguide.layers.SimpleDense" in str(loaded["registered"])
    np.testing.assert_allclose(loaded["predictions"], record["predictions"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loaded["eval_loss"], record["eval_loss"], rtol=1e-5)
    assert float(loaded["eval_accuracy"]) == pytest.approx(float(record["eval_accuracy"]))
    # Training resumes from the saved optimizer state (Adam's moments, the step count): the
    # loaded model's next epoch of Model.fit equals the one the saving process ran.
    assert int(loaded["iterations"]) == int(record["iterations"])
    np.testing.assert_allclose(loaded["after_fit"], record["after_fit"], rtol=1e-4, atol=1e-5)
    # kerasguide.fit on the loaded model trains with the loaded compile (loss and accuracy).
    assert list(loaded["again_keys"]) == ["accuracy", "loss"]
