"""kerasguide.fit on Keras's JAX backend: compilation, NaN guard, checkpoints, DataParallel.

Run with ``KERAS_BACKEND=jax`` (``nox -s "tests_lib(backend='jax')"``); on TensorFlow only the
tests of what fit says about JAX and other backends run. The tests shared by both backends
(Model.fit parity, callbacks, weights, validation) are in the other files of this folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

import helpers
import kerasguide
from kerasguide import NonFiniteLossError, UnsupportedBackendError

ON_JAX = keras.backend.backend() == "jax"
jax_only = pytest.mark.skipif(not ON_JAX, reason="needs KERAS_BACKEND=jax")


def _fit(model: keras.Model, x: np.ndarray, y: np.ndarray, **kwargs: object) -> kerasguide.History:
    options: dict[str, object] = {
        "loss": helpers.logits_loss(),
        "optimizer": "adam",
        "metrics": ["accuracy"],
        "batch_size": 16,
        "verbose": 0,
    }
    options.update(kwargs)
    return kerasguide.fit(model, x, y, **options)  # type: ignore[arg-type]


@jax_only
def test_one_compilation_per_chunk_shape_and_none_in_later_epochs() -> None:
    x, y = helpers.classification_data(100)  # 6 full batches of 16 and a short one of 4
    history = _fit(helpers.classifier(), x, y, epochs=1, steps_per_execution=4)
    assert history.traces == {"train": 2, "validation": 0}  # (4, 16, ...) and (1, 4, ...)
    history = _fit(helpers.classifier(), x, y, epochs=4, steps_per_execution=4)
    assert history.traces["train"] == 2


@jax_only
def test_nan_stops_at_the_first_non_finite_step() -> None:
    x, y = helpers.classification_data(96)
    x[50] = np.nan  # batch 4 (samples 48-63) of epoch 1 without shuffling
    with pytest.raises(NonFiniteLossError) as caught:
        _fit(helpers.classifier(), x, y, epochs=2, shuffle=False, steps_per_execution=32)
    assert (caught.value.epoch, caught.value.step, caught.value.steps) == (1, 4, 6)


@jax_only
def test_checkpoint_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    x, y = helpers.classification_data(96)
    straight = helpers.classifier(dropout=0.2, seed=3)
    _fit(straight, x, y, epochs=3, seed=5)

    first = helpers.classifier(dropout=0.2, seed=3)
    _fit(first, x, y, epochs=2, seed=5, checkpoint_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint.json",
        "ckpt-1.npz",
        "ckpt-2.npz",
    ]
    resumed = helpers.classifier(dropout=0.2, seed=99)  # other initial weights: all restored
    history = _fit(resumed, x, y, epochs=3, seed=5, checkpoint_dir=tmp_path)
    assert history.initial_epoch == 2 and history.epoch == [0, 1, 2]
    helpers.assert_same_weights(resumed, straight, rtol=1e-6, atol=1e-7)


@jax_only
def test_truncated_newest_checkpoint_falls_back_and_other_shapes_are_refused(
    tmp_path: Path,
) -> None:
    x, y = helpers.classification_data(64)
    _fit(helpers.classifier(), x, y, epochs=2, checkpoint_dir=tmp_path)
    newest = tmp_path / "ckpt-2.npz"
    newest.write_bytes(newest.read_bytes()[:200])
    with pytest.warns(RuntimeWarning, match="ckpt-2.npz"):
        history = _fit(helpers.classifier(), x, y, epochs=2, checkpoint_dir=tmp_path)
    assert history.initial_epoch == 1
    with pytest.raises(ValueError, match=r"모양이 다른 모델.*\(8, 16\).*\(8, 32\)"):
        _fit(helpers.classifier(hidden=(32,)), x, y, epochs=3, checkpoint_dir=tmp_path)
    index = json.loads((tmp_path / "checkpoint.json").read_text())
    assert index["checkpoints"][0] == "ckpt-2.npz"


@jax_only
def test_a_tf_distribute_strategy_is_refused_on_jax() -> None:
    x, y = helpers.classification_data(32)
    with pytest.raises(ValueError, match=r"strategy.*keras\.distribution"):
        _fit(helpers.classifier(), x, y, strategy=object())


_DATA_PARALLEL = textwrap.dedent(
    """
    import os, sys, json
    import keras, numpy as np
    sys.path.insert(0, sys.argv[1])
    import helpers, kerasguide
    import jax

    x, y = helpers.classification_data(96)
    def train():
        model = helpers.classifier()
        kerasguide.fit(model, x, y, loss=helpers.logits_loss(), optimizer="adam",
                       epochs=2, batch_size=16, shuffle=False, verbose=0)
        return model
    single = train()
    devices = jax.devices()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    parallel = train()
    kernel = parallel.trainable_variables[0].value
    print(json.dumps({
        "devices": len(devices),
        "sharded_over": len(kernel.sharding.device_set),
        "max_difference": max(float(np.abs(a - b).max())
                              for a, b in zip(single.get_weights(), parallel.get_weights())),
    }))
    """
)


@jax_only
@pytest.mark.slow
def test_data_parallel_on_two_host_devices_gives_the_weights_of_one_device() -> None:
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
    }
    result = subprocess.run(
        [sys.executable, "-c", _DATA_PARALLEL, str(Path(helpers.__file__).parent)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["devices"] == 2 and report["sharded_over"] == 2
    assert report["max_difference"] < 1e-5


def test_other_backends_get_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # PyTorch is not installed here (its wheels are gigabytes); what fit does on a backend it
    # does not support is decided before anything touches the backend, so pretending is honest.
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    x, y = helpers.classification_data(16)
    with pytest.raises(UnsupportedBackendError, match=r"tensorflow, jax.*'torch'"):
        kerasguide.fit(object(), x, y, loss="mse", optimizer="sgd")  # type: ignore[arg-type]
