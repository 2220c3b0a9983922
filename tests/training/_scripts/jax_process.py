"""One of several JAX processes that run ``kerasguide.fit`` as one (``keras.distribution``).

Usage (tests/training/test_jax_processes.py starts two of these on 127.0.0.1)::

    python jax_process.py OUT_DIR CHECKPOINT_DIR PORT PROCESS_ID PROCESSES EPOCHS

JAX's CPU collectives go through gloo; ``keras.distribution.initialize`` connects the
processes (``jax.distributed.initialize``), and ``DataParallel`` spans every process's device.
Every process holds the same data set and trains on its own rows of it: for each global batch
of 16 rows, process ``p`` gives rows ``8p .. 8p + 7`` (so the global batches are the data set's
own batches, in order). Each writes OUT_DIR/process<P>.npz: its initial and final weights, its
loss history and how many files it wrote into CHECKPOINT_DIR.
"""

from __future__ import annotations

import os
import sys

os.environ["KERAS_BACKEND"] = "jax"

import jax

# Before anything runs on JAX: CPU collectives across processes go through gloo.
jax.config.update("jax_cpu_collectives_implementation", "gloo")

import keras  # noqa: E402
import numpy as np  # noqa: E402

FEATURES, CLASSES, SAMPLES, BATCH = 6, 3, 96, 16


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    y = x[:, :CLASSES].argmax(axis=1).astype("int64")
    return x, y


def own_rows(array: np.ndarray, process: int, processes: int) -> np.ndarray:
    """This process's share of every global batch: a block of BATCH // processes rows."""
    local = BATCH // processes
    blocks = array.reshape(SAMPLES // BATCH, processes, local, *array.shape[1:])
    return blocks[:, process].reshape(-1, *array.shape[1:])


def main() -> None:
    out_dir, checkpoint_dir = sys.argv[1], sys.argv[2]
    port, process, processes, epochs = (int(a) for a in sys.argv[3:7])
    keras.distribution.initialize(
        job_addresses=f"127.0.0.1:{port}", num_processes=processes, process_id=process
    )
    devices = jax.devices()  # every process's devices
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))

    import kerasguide
    import kerasguide.training._npz_checkpoint as npz

    writes = []
    real_write = npz._write_atomically

    def counting_write(path: str, write: object) -> None:
        writes.append(os.path.basename(path))
        real_write(path, write)

    npz._write_atomically = counting_write

    keras.utils.set_random_seed(5)  # the same initial weights in every process
    model = keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(CLASSES),
        ]
    )
    initial = model.get_weights()
    x, y = data()
    history = kerasguide.fit(
        model,
        own_rows(x, process, processes),
        own_rows(y, process, processes),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer="adam",
        metrics=["accuracy"],
        epochs=epochs,
        batch_size=BATCH,  # global: 8 rows from each of two processes
        shuffle=False,
        checkpoint_dir=checkpoint_dir,
        verbose=0,
    )
    kernel = model.trainable_variables[0].value
    arrays = {f"initial{i}": w for i, w in enumerate(initial)}
    arrays.update({f"final{i}": w for i, w in enumerate(model.get_weights())})
    arrays["loss"] = np.asarray(history.history["loss"])
    arrays["accuracy"] = np.asarray(history.history["accuracy"])
    arrays["devices"] = np.asarray(len(devices))
    arrays["kernel_devices"] = np.asarray(len(kernel.sharding.device_set))
    arrays["initial_epoch"] = np.asarray(history.initial_epoch)
    arrays["writes"] = np.asarray(len(writes))
    np.savez(os.path.join(out_dir, f"process{process}.npz"), **arrays)
    print(f"process {process} done", flush=True)


if __name__ == "__main__":
    main()
