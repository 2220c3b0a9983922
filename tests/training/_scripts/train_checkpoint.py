"""Train with ``kerasguide.fit(checkpoint_dir=...)`` and save the final weights (test worker).

Usage::

    python train_checkpoint.py CHECKPOINT_DIR OUT.npz [--epochs N] [--hold-in-epoch K]

Fixed seeds: the same command gives the same weights, whether the run is interrupted (killed)
and started again with the same CHECKPOINT_DIR or not. The model has a ``Dropout`` layer, so
its random state must survive the restart too; the data are shuffled every epoch with the
order drawn from the global seed (``seed=None``). ``--hold-in-epoch K`` makes a callback print
``HOLDING`` after a few steps of epoch K (counted from 1) and then wait: the checkpoint of epoch
K-1 is written and epoch K is under way, so tests/training/test_checkpoint.py can kill the
process mid-epoch at that line, however fast the epochs are. Waiting changes nothing else.
"""

from __future__ import annotations

import argparse
import os
import time

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
    parser.add_argument("--hold-in-epoch", type=int, default=None)
    args = parser.parse_args()

    callbacks = []
    if args.hold_in_epoch is not None:
        hold_epoch = args.hold_in_epoch - 1  # Keras numbers epochs from 0

        class Hold(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
                self.epoch = epoch

            def on_train_batch_end(self, batch: int, logs: object = None) -> None:
                if self.epoch == hold_epoch and batch >= 8:
                    print("HOLDING", flush=True)
                    time.sleep(600)  # the test kills the process here

        callbacks.append(Hold())

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
        callbacks=callbacks,
        verbose=2,
    )
    arrays = {f"w{i}": w for i, w in enumerate(network.get_weights())}
    arrays["loss"] = np.asarray(history.history["loss"])
    arrays["initial_epoch"] = np.asarray(history.initial_epoch)
    np.savez(args.out, **arrays)
    print("done", flush=True)


if __name__ == "__main__":
    main()
