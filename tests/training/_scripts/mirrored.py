"""``kerasguide.fit`` with ``MirroredStrategy`` over two logical CPU devices (test worker).

Usage::

    python mirrored.py OUT.json

The two logical devices must be configured before TensorFlow initialises its runtime, so this
runs in its own process (``kerasguide.env.select_strategy(cpu_devices=2)`` comes first).
Every case trains the same initial weights once with the strategy and once on one device,
and writes both results to OUT.json; tests/test_distribute.py compares them.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from kerasguide import env

strategy = env.select_strategy(cpu_devices=2)  # before anything else touches TensorFlow

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kerasguide  # noqa: E402

FEATURES, CLASSES = 6, 3


def data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, FEATURES)).astype("float32")
    return x, (x[:, :CLASSES].argmax(axis=1)).astype("int64")


def model(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(
                16, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01)
            ),
            keras.layers.Dense(CLASSES),
        ]
    )


def loss() -> keras.losses.Loss:
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def weights(network: keras.Model) -> list[list[Any]]:
    return [w.tolist() for w in network.get_weights()]


def arrays_case() -> dict[str, Any]:
    """Arrays, validation, regularisation; 101 samples: the last batch (5) splits 3/2."""
    x, y = data(101, 0)
    x_val, y_val = data(37, 1)
    with strategy.scope():
        distributed = model()
    single = model()
    single.set_weights(distributed.get_weights())
    common: dict[str, Any] = {
        "loss": loss(),
        "optimizer": "adam",
        "metrics": ["accuracy"],
        "epochs": 3,
        "batch_size": 32,
        "validation_data": (x_val, y_val),
        "seed": 4,
        "verbose": 0,
    }
    h_dist = kerasguide.fit(distributed, x, y, strategy=strategy, **common)
    h_single = kerasguide.fit(single, x, y, jit_compile=False, **common)
    return {
        "replicas": strategy.num_replicas_in_sync,
        "distributed": weights(distributed),
        "single": weights(single),
        "history_distributed": h_dist.history,
        "history_single": h_single.history,
        "traces": h_dist.traces,
        "jit_compile": h_dist.params["jit_compile"],
    }


def dataset_in_scope_case() -> dict[str, Any]:
    """A dataset, fit called inside strategy.scope() without strategy=; 75 samples, batch 16."""
    x, y = data(75, 2)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    with strategy.scope():
        distributed = model(1)
    single = model(1)
    single.set_weights(distributed.get_weights())
    with strategy.scope():
        optimizer = keras.optimizers.SGD(0.1, momentum=0.9)
        h_dist = kerasguide.fit(
            distributed, dataset, loss=loss(), optimizer=optimizer, epochs=2, verbose=0
        )
    h_single = kerasguide.fit(
        single,
        dataset,
        loss=loss(),
        optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
        epochs=2,
        verbose=0,
        jit_compile=False,
    )
    return {
        "distributed": weights(distributed),
        "single": weights(single),
        "history_distributed": h_dist.history,
        "history_single": h_single.history,
    }


def outside_scope_case() -> dict[str, Any]:
    """A model built outside the scope is refused with a message naming the variable."""
    x, y = data(40, 3)
    outside = model(2)
    try:
        kerasguide.fit(outside, x, y, loss=loss(), optimizer="sgd", strategy=strategy, verbose=0)
    except ValueError as error:
        return {"error": str(error)}
    return {"error": None}


def checkpoint_case() -> dict[str, Any]:
    """Two epochs, or one epoch and a resume from its checkpoint, under the strategy."""
    x, y = data(64, 5)
    common: dict[str, Any] = {"loss": loss(), "epochs": 2, "batch_size": 16, "verbose": 0}
    with strategy.scope():
        straight = model(3)
    kerasguide.fit(straight, x, y, optimizer="adam", strategy=strategy, **common)
    with tempfile.TemporaryDirectory() as directory:
        with strategy.scope():
            first = model(3)
        kerasguide.fit(
            first,
            x,
            y,
            optimizer="adam",
            strategy=strategy,
            checkpoint_dir=directory,
            **{**common, "epochs": 1},
        )
        with strategy.scope():
            resumed = model(3)
        history = kerasguide.fit(
            resumed, x, y, optimizer="adam", strategy=strategy, checkpoint_dir=directory, **common
        )
    return {
        "straight": weights(straight),
        "resumed": weights(resumed),
        "initial_epoch": history.initial_epoch,
    }


def nan_case() -> dict[str, Any]:
    """A NaN in sample 45 (batch 10, no shuffling): step 5 of epoch 1."""
    x, y = data(80, 6)
    x[45, 0] = np.nan
    with strategy.scope():
        network = model(4)
    try:
        kerasguide.fit(
            network,
            x,
            y,
            loss=loss(),
            optimizer="sgd",
            batch_size=10,
            shuffle=False,
            strategy=strategy,
            verbose=0,
        )
    except kerasguide.NonFiniteLossError as error:
        return {"epoch": error.epoch, "step": error.step, "message": str(error)}
    return {"epoch": None}


def main() -> None:
    results = {
        "arrays": arrays_case(),
        "dataset_in_scope": dataset_in_scope_case(),
        "outside_scope": outside_scope_case(),
        "checkpoint": checkpoint_case(),
        "nan": nan_case(),
    }
    with open(sys.argv[1], "w", encoding="utf-8") as file:
        json.dump(results, file, ensure_ascii=False)


if __name__ == "__main__":
    main()
