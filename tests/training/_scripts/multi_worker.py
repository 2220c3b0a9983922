"""One worker of a two-worker ``MultiWorkerMirroredStrategy`` run of ``kerasguide.fit``.

Usage (tests/test_distribute.py starts two of these, with ``TF_CONFIG`` naming both workers
on 127.0.0.1 and this one's index)::

    TF_CONFIG='{"cluster": {"worker": [...]}, "task": {"type": "worker", "index": I}}' \\
        python multi_worker.py OUT_DIR CHECKPOINT_DIR

Each worker writes OUT_DIR/worker<I>.npz: its initial and final weights and its loss
history. Both workers hold the same arrays; ``fit`` splits every global batch between them.
The chief (worker 0) keeps the checkpoints in CHECKPOINT_DIR; the other worker takes part in
saving but deletes its copy.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import tensorflow as tf

# The strategy first: it starts this worker's server and connects to the other one.
strategy = tf.distribute.MultiWorkerMirroredStrategy()

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasguide  # noqa: E402

FEATURES, CLASSES = 6, 3


def main() -> None:
    out_dir, checkpoint_dir = sys.argv[1], sys.argv[2]
    index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(150, FEATURES)).astype("float32")
    y = x[:, :CLASSES].argmax(axis=1).astype("int64")

    keras.utils.set_random_seed(5)  # the same initial weights on both workers
    with strategy.scope():
        model = keras.Sequential(
            [
                keras.Input((FEATURES,)),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dense(CLASSES),
            ]
        )
    initial = model.get_weights()
    history = kerasguide.fit(
        model,
        x,
        y,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer="adam",
        metrics=["accuracy"],
        epochs=3,
        batch_size=32,  # global batch: 16 samples per worker; the last batch of 22 splits 11/11
        seed=1,
        strategy=strategy,
        checkpoint_dir=checkpoint_dir,
        verbose=0,
    )
    arrays = {f"initial{i}": w for i, w in enumerate(initial)}
    arrays.update({f"final{i}": w for i, w in enumerate(model.get_weights())})
    arrays["loss"] = np.asarray(history.history["loss"])
    arrays["accuracy"] = np.asarray(history.history["accuracy"])
    arrays["replicas"] = np.asarray(strategy.num_replicas_in_sync)
    np.savez(os.path.join(out_dir, f"worker{index}.npz"), **arrays)
    print(f"worker {index} done", flush=True)


if __name__ == "__main__":
    main()
