"""kerasguide.fit on Keras's JAX backend: compilation, NaN guard, DataParallel.

Run with ``KERAS_BACKEND=jax`` (``nox -s "tests_lib(backend='jax')"``); on TensorFlow only the
tests of what fit says about JAX and other backends run. The tests shared by both backends
(Model.fit parity, callbacks, weights, validation, checkpoints in either format) are in the
other files of this folder.
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
