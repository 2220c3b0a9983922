"""A Keras user's whole workflow around kerasguide.fit, one process per stage.

``python workflow.py save DIR``: kerasguide.fit (a SimpleDense model, accuracy), then
``model.evaluate``, ``model.predict``, ``model.save(DIR/model.keras)``, then Keras's own
``model.fit`` for one more epoch; what each gave is written to ``DIR/saved.npz``.

``python workflow.py load DIR OUT``: in a fresh process (``import kerasguide`` before Keras),
``keras.models.load_model``, then predict, evaluate and the same extra epoch with ``model.fit``,
then one more with kerasguide.fit (the loaded compile); results in ``OUT``.

KERAS_BACKEND picks the backend of each stage: save on one, load on either.
"""

from __future__ import annotations

import sys
from pathlib import Path

import kerasguide  # before Keras: registers SimpleDense once Keras is imported

# isort: split
import keras
import numpy as np


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6)).astype("float32")
    return x, x[:, :3].argmax(axis=1).astype("int64")


def save(directory: Path) -> None:
    x, y = data()
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((6,)), kerasguide.SimpleDense(8, activation="relu"), keras.layers.Dense(3)]
    )
    history = kerasguide.fit(
        model, x, y, epochs=3, batch_size=16, verbose=0, seed=0,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.Adam(0.01), metrics=["accuracy"],
    )  # fmt: skip
    evaluated = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    predictions = model.predict(x, verbose=0)
    model.save(directory / "model.keras")
    iterations = int(model.optimizer.iterations)
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)  # Keras's own fit
    np.savez(
        directory / "saved.npz",
        history_loss=history.history["loss"],
        history_accuracy=history.history["accuracy"],
        eval_loss=evaluated["loss"],
        eval_accuracy=evaluated["accuracy"],
        predictions=predictions,
        iterations=iterations,
        after_fit=np.concatenate([np.ravel(w) for w in model.get_weights()]),
    )


def load(directory: Path, out: Path) -> None:
    x, y = data()
    model = keras.models.load_model(directory / "model.keras")
    layer_classes = [type(layer).__name__ for layer in model.layers]
    predictions = model.predict(x, verbose=0)
    evaluated = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    iterations = int(model.optimizer.iterations)
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    after_fit = np.concatenate([np.ravel(w) for w in model.get_weights()])
    again = kerasguide.fit(model, x, y, epochs=1, batch_size=16, verbose=0)  # loaded compile
    np.savez(
        out,
        layer_classes=np.array(layer_classes),
        predictions=predictions,
        eval_loss=evaluated["loss"],
        eval_accuracy=evaluated["accuracy"],
        iterations=iterations,
        after_fit=after_fit,
        again_keys=np.array(sorted(again.history)),
        registered=str(keras.saving.get_registered_object("kerasguide>SimpleDense")),
    )


if __name__ == "__main__":
    stage, directory = sys.argv[1], Path(sys.argv[2])
    if stage == "save":
        save(directory)
    else:
        load(directory, Path(sys.argv[3]))
