"""Train with ``kerasguide.fit(checkpoint_dir=...)`` and save the final weights (test worker).

Usage::

    python train_checkpoint.py CHECKPOINT_DIR OUT.npz [--epochs N]

Fixed seeds: the same command gives the same weights, whether the run is interrupted (killed)
and started again with the same CHECKPOINT_DIR or not. The model has a ``Dropout`` layer, so
its random state must survive the restart too; the data are shuffled every epoch with the
order drawn from the global seed (``seed=None``). ``verbose=2`` prints ``Epoch k/N`` when an
epoch starts, that is after the checkpoint of epoch k-1 is written: tests/test_checkpoint.py
waits for that line before it kills the process.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np

import kerasguide

SAMPLES = 12_000
FEATURES = 32
CLASSES = 4


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    y = (x[:, :CLASSES] @ rng.normal(size=(CLASSES, CLASSES))).argmax(axis=1)
    return x, y.astype("int64")


def model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(CLASSES),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint_dir")
    parser.add_argument("out")
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()

    keras.utils.set_random_seed(7)
    x, y = data()
    network = model()
    history = kerasguide.fit(
        network,
        x,
        y,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.Adam(1e-3),
        metrics=["accuracy"],
        epochs=args.epochs,
        batch_size=16,
        steps_per_execution=4,
        checkpoint_dir=args.checkpoint_dir,
        verbose=2,
    )
    arrays = {f"w{i}": w for i, w in enumerate(network.get_weights())}
    arrays["loss"] = np.asarray(history.history["loss"])
    arrays["initial_epoch"] = np.asarray(history.initial_epoch)
    np.savez(args.out, **arrays)
    print("done", flush=True)


if __name__ == "__main__":
    main()
