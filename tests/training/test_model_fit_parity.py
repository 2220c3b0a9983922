"""kerasguide.fit as a drop-in for Model.fit: every training argument, against Model.fit itself.

Each test trains two copies of one model (same seed, same data, no shuffling) with
``Model.fit`` and with ``kerasguide.fit`` and compares what a Keras user sees: the history,
the weights, the callback calls, the files callbacks write.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import helpers
import kerasguide

N_FEATURES, N_CLASSES = 8, 3
METRICS = ["accuracy"]


def _data(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return helpers.classification_data(
        n, features=N_FEATURES, classes=N_CLASSES, seed=seed, noise=0.2
    )


def _model() -> keras.Model:
    return helpers.classifier(features=N_FEATURES, classes=N_CLASSES, hidden=(16,), seed=0)


def _both(
    x: Any,
    y: Any = None,
    *,
    optimizer: Any = "adam",
    compile_kwargs: dict[str, Any] | None = None,
    make_callbacks: Any = None,
    **fit_kwargs: Any,
) -> tuple[Any, keras.Model, Any, keras.Model]:
    """``(keras_history, keras_model, kerasguide_history, kerasguide_model)``."""
    compile_kwargs = {"metrics": METRICS, **(compile_kwargs or {})}
    fit_kwargs = {"batch_size": 16, "shuffle": False, "verbose": 0, **fit_kwargs}
    if isinstance(x, tf.data.Dataset):
        fit_kwargs.pop("batch_size")
        fit_kwargs.pop("shuffle")
    reference = _model()
    reference.compile(
        optimizer=keras.optimizers.get(optimizer), loss=helpers.logits_loss(), **compile_kwargs
    )
    callbacks = make_callbacks() if make_callbacks else None
    keras_history = reference.fit(x, y, callbacks=callbacks, **fit_kwargs)
    ours = _model()
    callbacks = make_callbacks() if make_callbacks else None
    our_history = kerasguide.fit(
        ours,
        x,
        y,
        loss=helpers.logits_loss(),
        optimizer=keras.optimizers.get(optimizer),
        callbacks=callbacks,
        # Model.fit on TensorFlow's CPU does not use XLA; on JAX both always do.
        jit_compile=False if keras.backend.backend() == "tensorflow" else "auto",
        **compile_kwargs,
        **fit_kwargs,
    )
    return keras_history, reference, our_history, ours


def _assert_same(keras_history: Any, reference: Any, our_history: Any, ours: Any) -> None:
    assert our_history.epoch == keras_history.epoch
    helpers.assert_same_history(our_history.history, keras_history.history)
    helpers.assert_same_weights(ours, reference)


# --- callbacks ---------------------------------------------------------------------------------


def _keras_numbers_batches_begin_to_end() -> bool:
    """Whether this Keras's Model.fit numbers a call's batches begin..end (3.15 does, and
    kerasguide.fit follows it) rather than giving both hooks the first batch's number (3.10)."""
    import inspect

    from keras.src.trainers import epoch_iterator

    return "end_step" in inspect.getsource(epoch_iterator)


class Recorder(keras.callbacks.Callback):  # type: ignore[misc]
    """Records every hook call: its name, its batch/epoch number, and the log keys."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, ...]] = []

    def _record(self, hook: str, number: Any = None, logs: Any = None) -> None:
        self.calls.append((hook, number, tuple(sorted(logs or {}))))


for _hook in (
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
):
    setattr(Recorder, _hook, lambda self, logs=None, _h=_hook: self._record(_h, None, logs))
for _hook in (
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
):
    setattr(
        Recorder, _hook, lambda self, number, logs=None, _h=_hook: self._record(_h, number, logs)
    )


def test_callback_hooks_are_called_like_model_fit_at_steps_per_execution_granularity() -> None:
    x, y = _data(100)
    recorders: list[Recorder] = []

    def make() -> list[Any]:
        recorders.append(Recorder())
        return [recorders[-1]]

    _, _, _, ours = _both(
        x,
        y,
        epochs=2,
        validation_split=0.2,
        make_callbacks=make,
        compile_kwargs={"steps_per_execution": 2},
    )
    keras_calls, our_calls = recorders[0].calls, recorders[1].calls
    batch_ends = [n for hook, n, _ in our_calls if hook == "on_train_batch_end"]
    assert batch_ends[:3] == [1, 3, 5]  # 80 samples, batch 16, 2 steps per call (Keras's numbers)
    if not _keras_numbers_batches_begin_to_end():
        # Older Keras (the floor, 3.10) gave both batch hooks the call's first batch number.
        our_calls = [(hook, None if "batch" in hook else n, keys) for hook, n, keys in our_calls]
        keras_calls = [
            (hook, None if "batch" in hook else n, keys) for hook, n, keys in keras_calls
        ]
    assert our_calls == keras_calls
    assert recorders[1].model is ours
    assert recorders[1].params["epochs"] == 2 and recorders[1].params["steps"] == 5


def test_history_is_a_keras_history_set_on_the_model() -> None:
    x, y = _data()
    _, _, history, model = _both(x, y, epochs=1)
    assert isinstance(history, keras.callbacks.History)
    assert model.history is history
    assert history.params["verbose"] == 0 and history.params["steps"] == 8


def test_early_stopping_stops_at_the_same_epoch_and_restores_the_best_weights() -> None:
    x, y = _data(120)
    x_val, y_val = _data(40, seed=1)
    stoppers: list[keras.callbacks.EarlyStopping] = []

    def make() -> list[Any]:
        stoppers.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=1, min_delta=0.02, restore_best_weights=True
            )
        )
        return [stoppers[-1]]

    result = _both(
        x, y, epochs=30, validation_data=(x_val, y_val), optimizer="sgd", make_callbacks=make
    )
    _assert_same(*result)
    assert 0 < stoppers[1].stopped_epoch < 29
    assert stoppers[1].stopped_epoch == stoppers[0].stopped_epoch
    assert len(result[2].epoch) == stoppers[1].stopped_epoch + 1


def test_stop_training_from_a_batch_hook_stops_like_model_fit() -> None:
    x, y = _data()

    def make() -> list[Any]:
        calls = []

        def stop(batch: int, logs: Any) -> None:
            calls.append(batch)
            if len(calls) == 2:  # after the second compiled call, whatever Keras numbers it
                callback.model.stop_training = True

        callback = keras.callbacks.LambdaCallback(on_train_batch_end=stop)
        return [callback]

    result = _both(
        x, y, epochs=3, make_callbacks=make, compile_kwargs={"steps_per_execution": 2}
    )  # fmt: skip
    _assert_same(*result)
    assert result[2].epoch == [0]


def test_learning_rate_callbacks_change_the_optimizer_like_model_fit() -> None:
    x, y = _data()

    def make() -> list[Any]:
        return [
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5),
            keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0),
        ]

    result = _both(x, y, epochs=4, make_callbacks=make)
    _assert_same(*result)
    assert "learning_rate" in result[2].history
    assert result[2].history["learning_rate"][-1] < 1e-3 / 8


def test_terminate_on_nan_stops_quietly_instead_of_raising() -> None:
    x, y = _data()
    x[37] = np.nan
    history = kerasguide.fit(
        _model(), x, y, loss=helpers.logits_loss(), optimizer="adam", epochs=3, batch_size=16,
        shuffle=False, verbose=0, steps_per_execution=1,
        callbacks=[keras.callbacks.TerminateOnNaN()],
    )  # fmt: skip
    assert history.epoch == [0]
    assert np.isnan(history.history["loss"][0])


def test_model_checkpoint_csv_logger_and_tensorboard_write_their_files(tmp_path: Path) -> None:
    x, y = _data()
    x_val, y_val = _data(40, seed=1)

    def make(folder: Path) -> Any:
        def callbacks() -> list[Any]:
            folder.mkdir(exist_ok=True)
            return [
                keras.callbacks.ModelCheckpoint(
                    str(folder / "best.keras"), monitor="val_loss", save_best_only=True
                ),
                keras.callbacks.CSVLogger(str(folder / "log.csv")),
                keras.callbacks.TensorBoard(log_dir=str(folder / "tb")),
            ]

        return callbacks

    model = _model()
    model.compile(optimizer="adam", loss=helpers.logits_loss(), metrics=METRICS)
    model.fit(
        x, y, epochs=2, batch_size=16, shuffle=False, verbose=0,
        validation_data=(x_val, y_val), callbacks=make(tmp_path / "keras")(),
    )  # fmt: skip
    history = kerasguide.fit(
        _model(), x, y, loss=helpers.logits_loss(), optimizer="adam", metrics=METRICS,
        epochs=2, batch_size=16, shuffle=False, verbose=0,
        validation_data=(x_val, y_val), callbacks=make(tmp_path / "ours")(),
    )  # fmt: skip
    saved = keras.saving.load_model(tmp_path / "ours" / "best.keras", compile=False)
    assert saved.count_params() == _model().count_params()

    def rows(folder: Path) -> list[dict[str, str]]:
        with open(folder / "log.csv", newline="") as handle:
            return list(csv.DictReader(handle))

    ours, theirs = rows(tmp_path / "ours"), rows(tmp_path / "keras")
    assert [sorted(r) for r in ours] == [sorted(r) for r in theirs]
    for mine, keras_row in zip(ours, theirs, strict=True):
        for key in mine:
            assert float(mine[key]) == pytest.approx(float(keras_row[key]), rel=1e-4, abs=1e-6)
    assert len(history.epoch) == 2
    events = list((tmp_path / "ours" / "tb").rglob("events.out.tfevents.*"))
    assert {p.parent.name for p in events} >= {"train", "validation"}


def test_progress_bar_prints_what_model_fit_prints(capsys: pytest.CaptureFixture[str]) -> None:
    x, y = _data(64)
    _both(x, y, epochs=2, verbose=2)
    keras_out, our_out = capsys.readouterr().out.split("Epoch 1/2")[1:]
    assert keras_out.count("Epoch 2/2") == our_out.count("Epoch 2/2") == 1
    assert our_out.count("accuracy:") == keras_out.count("accuracy:") == 2


# --- validation ----------------------------------------------------------------------------


def test_validation_split_takes_the_same_rows_as_model_fit() -> None:
    x, y = _data(100)
    result = _both(x, y, epochs=2, validation_split=0.25)
    _assert_same(*result)
    assert result[2].params["steps"] == 5  # 75 training rows in batches of 16


def test_validation_freq_and_validation_batch_size_like_model_fit() -> None:
    x, y = _data(100)
    x_val, y_val = _data(30, seed=2)
    for freq in (2, [1, 3]):
        result = _both(
            x, y, epochs=3, validation_data=(x_val, y_val), validation_freq=freq,
            validation_batch_size=7,
        )  # fmt: skip
        _assert_same(*result)
    assert len(result[2].history["val_loss"]) == 2


def test_steps_per_epoch_and_validation_steps_for_datasets() -> None:
    x, y = _data(128)
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(16).repeat()
    val = tf.data.Dataset.from_tensor_slices(_data(64, seed=3)).batch(16)
    result = _both(train, epochs=3, steps_per_epoch=5, validation_data=val, validation_steps=2)
    _assert_same(*result)
    assert result[2].params["steps"] == 5


# --- weights -------------------------------------------------------------------------------


def test_sample_weight_weights_the_loss_and_the_weighted_metrics() -> None:
    x, y = _data(100)
    weights = np.random.default_rng(4).uniform(0.1, 3.0, size=100).astype("float32")
    result = _both(
        x, y, epochs=2, sample_weight=weights, validation_split=0.2,
        compile_kwargs={"weighted_metrics": ["accuracy"]},
    )  # fmt: skip
    _assert_same(*result)
    assert "weighted_accuracy" in result[2].history


def test_sample_weight_from_a_dataset() -> None:
    x, y = _data(96)
    weights = np.linspace(0.2, 2.0, 96).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices((x, y, weights)).batch(16)
    _assert_same(*_both(dataset, epochs=2, compile_kwargs={"weighted_metrics": ["accuracy"]}))


def test_class_weight_like_model_fit() -> None:
    x, y = _data(100)
    result = _both(
        x, y, epochs=2, class_weight={0: 0.5, 1: 2.0, 2: 1.0}, validation_split=0.2,
        compile_kwargs={"weighted_metrics": ["accuracy"]},
    )  # fmt: skip
    _assert_same(*result)
    unweighted = _both(x, y, epochs=2)
    assert result[2].history["loss"] != pytest.approx(unweighted[2].history["loss"])


def test_initial_epoch_trains_the_remaining_epochs_like_model_fit() -> None:
    x, y = _data()
    result = _both(x, y, epochs=4, initial_epoch=2)
    _assert_same(*result)
    assert result[2].epoch == [2, 3]


# --- bad input: clear errors before any training -----------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error", "pattern"),
    [
        ({"callbacks": [keras.callbacks.EarlyStopping]}, TypeError, r"callbacks\[0\]"),
        ({"callbacks": ["early_stopping"]}, TypeError, r"callbacks\[0\].*Callback"),
        ({"callbacks": keras.callbacks.History()}, TypeError, "리스트"),
        ({"validation_split": 1.5}, ValueError, r"validation_split.*0 보다 크고 1 보다 작은"),
        ({"validation_split": -0.1}, ValueError, "validation_split=-0.1"),
        ({"sample_weight": np.ones(7)}, ValueError, r"len\(sample_weight\)=7"),
        ({"sample_weight": np.ones((120, 2))}, ValueError, r"sample_weight\.shape=\(120, 2\)"),
        ({"class_weight": {0: 1.0, 7: 2.0}}, ValueError, r"class_weight 의 키 \[7\]"),
        ({"class_weight": [1.0, 2.0]}, TypeError, "class_weight"),
        ({"class_weight": {0: 1.0}, "sample_weight": np.ones(120)}, ValueError, "함께"),
        ({"initial_epoch": 3, "epochs": 3}, ValueError, "initial_epoch=3, epochs=3"),
        ({"validation_freq": 0}, ValueError, "validation_freq"),
        ({"steps_per_epoch": 3}, ValueError, "steps_per_epoch"),
    ],
)
def test_bad_drop_in_arguments_are_refused_before_training(
    overrides: dict[str, Any], error: type[Exception], pattern: str
) -> None:
    x, y = _data()
    model = _model()
    before = helpers.weights_of(model)
    with pytest.raises(error, match=pattern):
        kerasguide.fit(
            model, x, y, loss=helpers.logits_loss(), optimizer="adam", verbose=0,
            **{"epochs": 2, **overrides},
        )  # fmt: skip
    helpers.assert_same_weights(model, before, rtol=0, atol=0)


def test_validation_split_with_a_dataset_is_refused() -> None:
    dataset = tf.data.Dataset.from_tensor_slices(_data()).batch(16)
    with pytest.raises(ValueError, match=r"validation_split.*배열일 때만"):
        kerasguide.fit(
            _model(), dataset, loss=helpers.logits_loss(), optimizer="adam",
            validation_split=0.2, verbose=0,
        )  # fmt: skip


def test_backup_and_restore_with_checkpoint_dir_is_refused_and_writes_nothing(
    tmp_path: Path,
) -> None:
    x, y = _data()
    with pytest.raises(ValueError, match="BackupAndRestore"):
        kerasguide.fit(
            _model(), x, y, loss=helpers.logits_loss(), optimizer="adam", verbose=0,
            checkpoint_dir=tmp_path / "ckpt",
            callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))],
        )  # fmt: skip
    assert not (tmp_path / "ckpt").exists() and not (tmp_path / "backup").exists()


def test_backup_and_restore_resumes_an_interrupted_run_like_model_fit(tmp_path: Path) -> None:
    x, y = _data()

    class Interrupt(keras.callbacks.Callback):  # type: ignore[misc]
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if epoch == 1:
                raise KeyboardInterrupt  # as if the runtime were cut off after epoch 2

    finished = {}
    for name, train in (("keras", "model_fit"), ("ours", "kerasguide")):
        model = _model()
        if train == "model_fit":
            model.compile(optimizer="adam", loss=helpers.logits_loss(), metrics=METRICS)
        backup = str(tmp_path / name)

        def run(callbacks: list[Any], model: keras.Model = model, train: str = train) -> Any:
            options = {"epochs": 4, "batch_size": 16, "shuffle": False, "verbose": 0}
            if train == "model_fit":
                return model.fit(x, y, callbacks=callbacks, **options)
            return kerasguide.fit(
                model, x, y, loss=helpers.logits_loss(), optimizer="adam", metrics=METRICS,
                callbacks=callbacks, **options,
            )  # fmt: skip

        with pytest.raises(KeyboardInterrupt):
            run([keras.callbacks.BackupAndRestore(backup), Interrupt()])
        history = run([keras.callbacks.BackupAndRestore(backup)])
        finished[name] = (history, model)
    assert finished["ours"][0].epoch == finished["keras"][0].epoch == [2, 3]
    assert finished["ours"][0].initial_epoch == 2  # fit's one decision, as history.epoch says
    helpers.assert_same_history(finished["ours"][0].history, finished["keras"][0].history)
    helpers.assert_same_weights(finished["ours"][1], finished["keras"][1])
