"""NaN in the user's *inputs*: kerasguide.fit stops with NonFiniteLossError, as Model.fit's loss
turns NaN, on both backends.

What TensorFlow does with a NaN input depends on the kernel it picks. With oneDNN on (its
default on x86 CPUs), `Model.fit`'s graph runs `Dense(activation="relu")` as one fused oneDNN
kernel (MatMul + BiasAdd + Relu) whose ReLU turns NaN into 0: the loss stays finite while the
gradient carries the NaN into the first layer's weights (seen with TensorFlow 2.21: the kernel
row of the NaN feature became NaN, the loss stayed near 0.69). `kerasguide.fit` compiles its
steps with XLA by default (`jit_compile="auto"`), where ReLU keeps the NaN, so it stops; with
`jit_compile=False` it checks the weights after each step and stops there too. The root
conftest.py turns oneDNN off for every test so that each order computes alike; the subprocess
test below runs with oneDNN on, as a user's TensorFlow does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import keras
import numpy as np
import pytest

import kerasguide
from kerasguide import NonFiniteLossError

BATCH = 16
NAN_ROW = 90  # batch 6 (0-based 5) of 8, no shuffling


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    x[NAN_ROW, 2] = np.nan
    return x, y


def _model(activation: str) -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input(shape=(6,)),
            keras.layers.Dense(8, activation=activation),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


class _BatchLosses(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.losses: list[float] = []

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.losses.append(float((logs or {})["loss"]))


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_nan_input_stops_fit_where_model_fit_loss_turns_nan(activation: str) -> None:
    x, y = _data()
    with pytest.raises(NonFiniteLossError) as caught:
        kerasguide.fit(
            _model(activation), x, y, loss="binary_crossentropy", optimizer="sgd",
            epochs=2, batch_size=BATCH, shuffle=False, verbose=0,
        )  # fmt: skip
    assert (caught.value.epoch, caught.value.step) == (1, NAN_ROW // BATCH + 1)

    # Model.fit on the same data: its running loss turns NaN at the same batch, and
    # TerminateOnNaN stops it there.
    model = _model(activation)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    losses = _BatchLosses()
    model.fit(
        x, y, epochs=2, batch_size=BATCH, shuffle=False, verbose=0,
        callbacks=[losses, keras.callbacks.TerminateOnNaN()],
    )  # fmt: skip
    finite = [np.isfinite(loss) for loss in losses.losses]
    assert finite == [True] * (NAN_ROW // BATCH) + [False], losses.losses


_ONEDNN_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import keras, numpy as np
    import kerasguide
    sys.path.insert(0, sys.argv[1])
    from test_nan_inputs import _data, _model, BATCH

    x, y = _data()
    model = _model("relu")
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=1, batch_size=BATCH, shuffle=False, verbose=0)
    report = {
        "model_fit_loss_finite": bool(np.isfinite(history.history["loss"][-1])),
        "model_fit_weights_nan": bool(np.isnan(model.layers[0].kernel.numpy()).any()),
    }
    for jit_compile in ("auto", False):  # XLA (the default on a CPU), and oneDNN's kernels
        key = f"kerasguide jit_compile={jit_compile}"
        try:
            kerasguide.fit(_model("relu"), x, y, loss="binary_crossentropy", optimizer="sgd",
                           epochs=1, batch_size=BATCH, shuffle=False, verbose=0,
                           jit_compile=jit_compile)
            report[key] = "finished"
        except kerasguide.NonFiniteLossError as error:
            report[key] = f"NonFiniteLossError at step {error.step}"
    print(json.dumps(report))
    """
)


@pytest.mark.slow
@pytest.mark.backend("tensorflow")
def test_nan_input_with_onednn_on_still_stops_fit() -> None:
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", _ONEDNN_SCRIPT, os.path.dirname(__file__)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    stopped = f"NonFiniteLossError at step {NAN_ROW // BATCH + 1}"
    # With XLA the loss itself turns NaN; without it oneDNN's fused ReLU keeps the loss finite
    # and fit sees the NaN in the weights after the step (_loop._nan_unless_finite).
    assert report["kerasguide jit_compile=auto"] == stopped, report
    assert report["kerasguide jit_compile=False"] == stopped, report
    # Model.fit never hides the NaN completely: its loss turns NaN, or (oneDNN's fused ReLU)
    # the loss stays finite and the NaN sits in the weights.
    assert not report["model_fit_loss_finite"] or report["model_fit_weights_nan"], report
