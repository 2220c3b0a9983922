"""The model after kerasguide.fit is compiled as after Model.compile + Model.fit.

Plain user code that needs ``model.metrics`` and ``model.optimizer`` (callbacks with
``mode="auto"``, array-valued metrics, ``model.evaluate`` after training) behaves as under
``Model.fit``: each test trains two copies of one model (same seed, same data, no shuffling),
one with ``Model.fit`` and one with ``kerasguide.fit``, and compares what a user sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import helpers
import kerasguide

FEATURES, CLASSES = 8, 3


def _data() -> tuple[np.ndarray, np.ndarray]:
    return helpers.classification_data(120, features=FEATURES, classes=CLASSES, noise=0.2)


def _model(**output_kwargs: Any) -> keras.Model:
    return helpers.classifier(features=FEATURES, classes=CLASSES, seed=0, **output_kwargs)


def _both(
    y: np.ndarray, *, loss: Any, metrics: Any, make_callbacks: Any = None, **output_kwargs: Any
) -> tuple[Any, keras.Model, Any, keras.Model]:
    x, _ = _data()
    fit_kwargs = {
        "batch_size": 16, "shuffle": False, "verbose": 0, "epochs": 6,
        "validation_data": (x[:40], y[:40]),
    }  # fmt: skip
    reference = _model(**output_kwargs)
    reference.compile(optimizer=keras.optimizers.Adam(0.05), loss=loss(), metrics=metrics())
    callbacks = make_callbacks("keras") if make_callbacks else None
    keras_history = reference.fit(x, y, callbacks=callbacks, **fit_kwargs)
    ours = _model(**output_kwargs)
    callbacks = make_callbacks("kerasguide") if make_callbacks else None
    our_history = kerasguide.fit(
        ours, x, y, loss=loss(), optimizer=keras.optimizers.Adam(0.05), metrics=metrics(),
        callbacks=callbacks,
        jit_compile=False if keras.backend.backend() == "tensorflow" else "auto",
        **fit_kwargs,
    )  # fmt: skip
    return keras_history, reference, our_history, ours


def _sparse() -> tuple[Any, Any]:
    return helpers.logits_loss, lambda: ["accuracy"]


def test_early_stopping_on_val_accuracy_like_model_fit() -> None:
    _, y = _data()
    loss, metrics = _sparse()

    def callbacks(_: str) -> list[keras.callbacks.Callback]:
        return [
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=1, restore_best_weights=True
            )
        ]

    keras_history, reference, our_history, ours = _both(
        y, loss=loss, metrics=metrics, make_callbacks=callbacks
    )
    assert our_history.epoch == keras_history.epoch
    helpers.assert_same_history(our_history.history, keras_history.history)
    helpers.assert_same_weights(ours, reference)


def test_model_checkpoint_best_val_accuracy_like_model_fit(tmp_path: Path) -> None:
    _, y = _data()
    loss, metrics = _sparse()

    def callbacks(name: str) -> list[keras.callbacks.Callback]:
        (tmp_path / name).mkdir()
        path = str(tmp_path / name / "best_{epoch}.weights.h5")
        return [
            keras.callbacks.ModelCheckpoint(
                path, monitor="val_accuracy", save_best_only=True, save_weights_only=True
            )
        ]

    _both(y, loss=loss, metrics=metrics, make_callbacks=callbacks)
    theirs = sorted(p.name for p in (tmp_path / "keras").iterdir())
    ours = sorted(p.name for p in (tmp_path / "kerasguide").iterdir())
    assert ours == theirs, "val_accuracy 가 나아진 에포크에만 저장한다 (Model.fit 과 같다)"
    assert len(ours) >= 1


def test_f1_score_per_class_values_reach_history_like_model_fit() -> None:
    _, labels = _data()
    y = np.eye(CLASSES, dtype="float32")[labels]

    keras_history, _, our_history, _ = _both(
        y,
        loss=keras.losses.CategoricalCrossentropy,
        metrics=lambda: [keras.metrics.F1Score(name="f1")],
        activation="softmax",
    )
    for key in ("f1", "val_f1"):
        ours, theirs = our_history.history[key], keras_history.history[key]
        assert np.shape(ours) == np.shape(theirs) == (6, CLASSES)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-4, atol=1e-5)


def test_model_is_compiled_with_what_fit_trained_with() -> None:
    x, y = _data()
    model = _model()
    optimizer = keras.optimizers.Adam(0.05)
    history = kerasguide.fit(
        model, x, y, loss=helpers.logits_loss(), optimizer=optimizer, metrics=["accuracy"],
        epochs=2, batch_size=16, verbose=0,
    )  # fmt: skip
    assert model.compiled and model.optimizer is optimizer
    assert int(optimizer.iterations) == 2 * 8  # 120 rows: 8 batches of 16 per epoch
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert sorted(logs) == ["accuracy", "loss"]
    assert logs["loss"] == pytest.approx(history.history["loss"][-1], rel=0.5)
    assert model.predict(x[:5], verbose=0).shape == (5, CLASSES)
    # Keras's own fit goes on from there (fine-tuning) with the same optimizer.
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert int(optimizer.iterations) == 3 * 8


def test_a_compiled_model_keeps_its_compile_unless_fit_is_given_others() -> None:
    x, y = _data()
    model = _model()
    optimizer = keras.optimizers.SGD(0.1)
    model.compile(optimizer=optimizer, loss=helpers.logits_loss(), metrics=["accuracy"])
    history = kerasguide.fit(model, x, y, epochs=1, batch_size=16, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    assert model.optimizer is optimizer and int(optimizer.iterations) == 8

    other = keras.optimizers.Adam(0.01)
    history = kerasguide.fit(
        model, x, y, loss=helpers.logits_loss(), optimizer=other, epochs=1, verbose=0
    )
    assert model.optimizer is other and int(other.iterations) == 4


def test_no_loss_and_no_compile_is_refused() -> None:
    x, y = _data()
    with pytest.raises(ValueError, match="loss 는 compile 하지 않은 모델에는 꼭 주어야"):
        kerasguide.fit(_model(), x, y, optimizer="adam", verbose=0)
    with pytest.raises(ValueError, match="optimizer 는 compile 하지 않은 모델에는"):
        kerasguide.fit(_model(), x, y, loss="mse", verbose=0)
