"""kerasguide.fit: same result as Model.fit, no retracing, metrics, inputs, errors, output."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import helpers
from kerasguide import History, SimpleDense, fit
from kerasguide.training._data import ArrayData, IndexedChunk

ON_TENSORFLOW = keras.backend.backend() == "tensorflow"
N_FEATURES = 8
N_CLASSES = 3
# XLA compiles once per batch shape (seconds each); tests about something else skip it.
NO_XLA: dict[str, Any] = {"jit_compile": False}


def _data(n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return helpers.classification_data(
        n, features=N_FEATURES, classes=N_CLASSES, seed=seed, noise=0.2
    )


def _model(seed: int = 0, **dense_kwargs: Any) -> keras.Model:
    return helpers.classifier(
        features=N_FEATURES, classes=N_CLASSES, seed=seed, simple_dense=True, **dense_kwargs
    )


_loss = helpers.logits_loss


def _assert_same_weights(a: keras.Model, b: keras.Model, rtol: float = 1e-5) -> None:
    helpers.assert_same_weights(a, b, rtol=rtol)


# --- same result as Model.fit ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_optimizer", "jit_compile"),
    [
        (lambda: keras.optimizers.SGD(0.1, momentum=0.9), "auto"),
        (lambda: keras.optimizers.Adam(0.01), "auto"),
        (lambda: keras.optimizers.Adam(0.01), False),
    ],
    ids=["sgd", "adam", "adam-no-xla"],
)
def test_same_weights_and_history_as_model_fit(
    make_optimizer: Callable[[], Any], jit_compile: bool | str
) -> None:
    x, y = _data(100)  # batch 32: 3 full batches and a short one of 4
    x_val, y_val = _data(40, seed=1)
    ours = _model()
    theirs = _model()
    theirs.set_weights(ours.get_weights())

    history = fit(
        ours,
        x,
        y,
        loss=_loss(),
        optimizer=make_optimizer(),
        metrics=["accuracy"],
        epochs=3,
        batch_size=32,
        validation_data=(x_val, y_val),
        shuffle=False,
        verbose=0,
        jit_compile=jit_compile,
    )
    theirs.compile(optimizer=make_optimizer(), loss=_loss(), metrics=["accuracy"])
    expected = theirs.fit(
        x,
        y,
        epochs=3,
        batch_size=32,
        validation_data=(x_val, y_val),
        shuffle=False,
        verbose=0,
    )

    _assert_same_weights(ours, theirs)
    assert set(history.history) == set(expected.history)
    for key, values in expected.history.items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-5, err_msg=key)


def test_model_losses_are_added_like_model_fit() -> None:
    x, y = _data(64)
    regularized = {
        "kernel_regularizer": keras.regularizers.L2(0.05),
        "activity_regularizer": keras.regularizers.L1(0.01),
    }
    ours = _model(**regularized)
    theirs = _model(**regularized)
    theirs.set_weights(ours.get_weights())

    history = fit(ours, x, y, loss=_loss(), optimizer="sgd", epochs=2, shuffle=False, verbose=0)
    theirs.compile(optimizer="sgd", loss=_loss())
    expected = theirs.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)

    _assert_same_weights(ours, theirs)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-5)


def test_regularization_loss_is_part_of_the_reported_loss() -> None:
    x, y = _data(64)
    model = _model(kernel_regularizer=keras.regularizers.L2(1.0))
    # learning_rate=0: the weights stay, so the epoch loss is the loss of these weights.
    history = fit(
        model, x, y, loss=_loss(), optimizer=keras.optimizers.SGD(0.0), batch_size=64, verbose=0
    )
    kernel = model.layers[1].kernel.numpy()
    data_loss = float(_loss()(y, model(x)))
    expected = data_loss + float(np.sum(kernel**2))
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    assert history.history["loss"][0] > data_loss + 0.1


def test_dataset_input_gives_the_same_result_as_arrays() -> None:
    x, y = _data(100)
    from_arrays = _model()
    from_dataset = _model()
    from_dataset.set_weights(from_arrays.get_weights())
    kwargs: dict[str, Any] = {"loss": _loss(), "metrics": ["accuracy"], "epochs": 2, "verbose": 0}
    kwargs.update(NO_XLA)

    h1 = fit(from_arrays, x, y, optimizer="adam", batch_size=16, shuffle=False, **kwargs)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    h2 = fit(from_dataset, dataset, optimizer="adam", validation_data=dataset, **kwargs)

    _assert_same_weights(from_arrays, from_dataset)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-5)
    assert h2.params["steps"] == 7
    assert set(h2.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_dataset_of_unknown_length_runs_to_the_end() -> None:
    x, y = _data(100)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).filter(lambda a, b: b >= 0).batch(16)
    assert int(dataset.cardinality()) == int(tf.data.UNKNOWN_CARDINALITY)
    from_arrays = _model()
    from_dataset = _model()
    from_dataset.set_weights(from_arrays.get_weights())
    common: dict[str, Any] = {"loss": _loss(), "optimizer": "sgd", "epochs": 3, "verbose": 0}
    common.update(NO_XLA)

    fit(from_arrays, x, y, batch_size=16, shuffle=False, **common)
    history = fit(from_dataset, dataset, steps_per_execution=3, **common)

    _assert_same_weights(from_arrays, from_dataset)
    assert history.params["steps"] is None
    if ON_TENSORFLOW:  # traced once (JAX compiles per chunk shape: tests/training/test_jax.py)
        assert history.traces == {"train": 1, "validation": 0}
    assert len(history.history["loss"]) == 3


def test_dataset_with_named_inputs_for_a_functional_model() -> None:
    x, y = _data(40)
    first, second = keras.Input((5,), name="first"), keras.Input((3,), name="second")
    joined = keras.layers.Concatenate()([first, second])
    model = keras.Model({"first": first, "second": second}, SimpleDense(N_CLASSES)(joined))
    inputs = {"first": x[:, :5], "second": x[:, 5:]}
    dataset = tf.data.Dataset.from_tensor_slices((inputs, y)).batch(16)
    history = fit(model, dataset, loss=_loss(), optimizer="adam", epochs=3, verbose=0, **NO_XLA)
    assert history.params["steps"] == 3
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize(
    ("size", "batch_size", "steps_per_execution"),
    [(100, 32, 2), (96, 32, 2), (96, 32, 40), (10, 32, 4), (65, 8, 3), (7, 1, 32)],
)
def test_array_epochs_use_every_sample_once_in_batches(
    size: int, batch_size: int, steps_per_execution: int
) -> None:
    x, y = np.arange(size, dtype="float32")[:, None], np.arange(size)
    data = ArrayData((x, y), batch_size=batch_size, shuffle=True, seed=3)
    orders = []
    for epoch in range(2):
        batches = []
        for chunk, rows in data.chunks(epoch, steps_per_execution):
            if isinstance(chunk, IndexedChunk):  # JAX: the arrays stay on the device
                chunk = tuple(np.asarray(a)[chunk.indices] for a in chunk.arrays)
            x_chunk, y_chunk = chunk
            assert x_chunk.shape[0] in (steps_per_execution, 1)
            assert x_chunk.shape[1:] == (x_chunk.shape[1], 1)
            used_x = np.asarray(x_chunk[:rows])[..., 0]
            np.testing.assert_array_equal(used_x, np.asarray(y_chunk[:rows]))
            batches.extend(used_x.astype(int))
        sizes = [len(batch) for batch in batches]
        full, remainder = divmod(size, batch_size)
        assert sizes == [batch_size] * full + ([remainder] if remainder else [])
        order = np.concatenate(batches)
        assert sorted(order) == list(range(size))
        orders.append(order)
    assert data.steps == math.ceil(size / batch_size)
    if size > 5:
        assert list(orders[0]) != list(orders[1])  # shuffled again every epoch


def test_shuffle_order_follows_seed_and_global_seed() -> None:
    x, y = np.zeros((50, 1), "float32"), np.zeros(50)

    def order(seed: int | None, shuffle: bool = True) -> list[int]:
        data = ArrayData((x, y), batch_size=50, shuffle=shuffle, seed=seed)
        return [int(i) for indices, _ in data.chunk_indices(0, 1) for i in np.asarray(indices[0])]

    assert order(1) == order(1) != order(2)
    assert order(None, shuffle=False) == list(range(50))
    keras.utils.set_random_seed(5)
    first = order(None)
    keras.utils.set_random_seed(5)
    assert order(None) == first != list(range(50))


# --- compiled steps -------------------------------------------------------------------------


@pytest.mark.backend("tensorflow")  # tf.function tracing (JAX: tests/training/test_jax.py)
def test_short_last_batch_and_new_epochs_do_not_retrace() -> None:
    x, y = _data(70)  # batch 32: 32, 32, 6
    x_val, y_val = _data(45, seed=1)  # 32, 13
    history = fit(
        _model(),
        x,
        y,
        loss=_loss(),
        optimizer="adam",
        metrics=["accuracy"],
        epochs=4,
        batch_size=32,
        validation_data=(x_val, y_val),
        steps_per_execution=2,  # calls of 2 steps and of 1 step
        verbose=0,
    )
    assert history.traces == {"train": 1, "validation": 1}
    assert history.params["steps"] == 3


def test_xla_and_plain_steps_give_the_same_result() -> None:
    x, y = _data(100)
    plain, jitted = _model(), _model()
    jitted.set_weights(plain.get_weights())
    common: dict[str, Any] = {"loss": _loss(), "epochs": 2, "shuffle": False, "verbose": 0}
    h_plain = fit(plain, x, y, optimizer=keras.optimizers.SGD(0.1), jit_compile=False, **common)
    h_jit = fit(jitted, x, y, optimizer=keras.optimizers.SGD(0.1), jit_compile=True, **common)
    _assert_same_weights(plain, jitted)
    assert (h_plain.params["jit_compile"], h_jit.params["jit_compile"]) == (False, True)
    if ON_TENSORFLOW:
        assert h_plain.traces == h_jit.traces == {"train": 1, "validation": 0}


@pytest.mark.backend("tensorflow")  # the XLA policy of tf.function; JAX always compiles
def test_auto_jit_compile_follows_the_layers() -> None:
    x, y = _data(40)
    history = fit(_model(), x, y, loss=_loss(), optimizer="sgd", verbose=0)
    assert history.params["jit_compile"] is True

    class NoXla(keras.layers.Layer):
        def __init__(self) -> None:
            super().__init__()
            self.supports_jit = False

        def call(self, inputs: Any) -> Any:
            return inputs

    model = keras.Sequential([keras.Input((N_FEATURES,)), NoXla(), SimpleDense(N_CLASSES)])
    history = fit(model, x, y, loss=_loss(), optimizer="sgd", verbose=0)
    assert history.params["jit_compile"] is False


# --- metrics --------------------------------------------------------------------------------


def test_metrics_are_reset_every_epoch() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, N_FEATURES)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")[:, None]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((N_FEATURES,)), SimpleDense(1, activation="sigmoid")])
    # learning_rate=0: every epoch sees the same predictions; a count that is not reset grows.
    history = fit(
        model,
        x,
        y,
        loss="binary_crossentropy",
        optimizer=keras.optimizers.SGD(0.0),
        metrics=[keras.metrics.TruePositives(name="tp")],
        epochs=3,
        batch_size=8,
        verbose=0,
    )
    predictions = np.asarray(model(x)) > 0.5
    true_positives = float(np.sum(predictions & (y > 0.5)))
    assert history.history["tp"] == [true_positives] * 3
    bce = float(keras.losses.BinaryCrossentropy()(y, model(x)))
    np.testing.assert_allclose(history.history["loss"], [bce] * 3, rtol=1e-5)


def test_validation_metrics_equal_model_evaluate_at_epoch_end() -> None:
    x, y = _data(100)
    x_val, y_val = _data(50, seed=2)
    model = _model()
    history = fit(
        model,
        x,
        y,
        loss=_loss(),
        optimizer="adam",
        metrics=["accuracy"],
        epochs=2,
        batch_size=16,
        validation_data=(x_val, y_val),
        verbose=0,
    )
    model.compile(loss=_loss(), metrics=["accuracy"])
    val_loss, val_accuracy = model.evaluate(x_val, y_val, batch_size=16, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-5)
    assert history.history["val_accuracy"][-1] == pytest.approx(val_accuracy, rel=1e-6)


def test_history_has_every_key_for_every_epoch() -> None:
    x, y = _data(60)
    history = fit(
        _model(),
        x,
        y,
        loss="sparse_categorical_crossentropy",
        optimizer="rmsprop",
        metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")],
        epochs=3,
        validation_data=(x[:20], y[:20]),
        verbose=0,
    )
    assert isinstance(history, History)
    assert sorted(history.history) == [  # in the order Model.fit gives them
        "accuracy",
        "loss",
        "top2",
        "val_accuracy",
        "val_loss",
        "val_top2",
    ]
    assert all(len(values) == 3 for values in history.history.values())
    assert all(isinstance(v, float) for values in history.history.values() for v in values)
    assert history.epoch == [0, 1, 2]
    assert len(history.epoch_seconds) == 3
    assert history.params["epochs"] == 3


@pytest.mark.parametrize(
    ("y_kind", "output_units", "activation", "expected"),
    [
        ("sparse", N_CLASSES, "softmax", keras.metrics.SparseCategoricalAccuracy),
        ("onehot", N_CLASSES, "softmax", keras.metrics.CategoricalAccuracy),
        ("binary", 1, "sigmoid", keras.metrics.BinaryAccuracy),
    ],
)
def test_accuracy_and_crossentropy_aliases_follow_model_compile(
    y_kind: str, output_units: int, activation: str, expected: type
) -> None:
    x, y = _data(40)
    if y_kind == "onehot":
        y = np.eye(N_CLASSES, dtype="float32")[y]
    elif y_kind == "binary":
        y = (y == 0).astype("float32")[:, None]
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((N_FEATURES,)), SimpleDense(output_units, activation=activation)]
    )
    history = fit(model, x, y, loss="crossentropy", optimizer="sgd", metrics=["acc"], verbose=0)
    theirs = keras.models.clone_model(model)
    theirs.compile(loss="crossentropy", metrics=["acc"])
    theirs.set_weights(model.get_weights())
    loss, acc = theirs.evaluate(x, y, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert type(theirs.metrics[1].metrics[0]) is expected
    # Same metric as Model.compile picks: one more pass of ours with lr=0 equals evaluate.
    history = fit(
        model,
        x,
        y,
        loss="crossentropy",
        optimizer=keras.optimizers.SGD(0.0),
        metrics=["acc"],
        batch_size=40,
        verbose=0,
    )
    assert history.history["acc"][0] == pytest.approx(acc)
    assert history.history["loss"][0] == pytest.approx(loss, rel=1e-5)


# --- models and policies --------------------------------------------------------------------


def test_subclassed_model_without_a_training_argument() -> None:
    class Tiny(keras.Model):
        def __init__(self) -> None:
            super().__init__()
            self.dense = SimpleDense(N_CLASSES)

        def call(self, inputs: Any) -> Any:
            return self.dense(inputs)

    keras.utils.set_random_seed(0)
    model = Tiny()  # not built yet: fit builds it from the first batch
    x, y = _data(50)
    history = fit(model, x, y, loss=_loss(), optimizer="adam", epochs=5, verbose=0)
    assert model.built
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_mixed_float16_model_trains_with_a_loss_scale_optimizer() -> None:
    x, y = _data(64)
    keras.utils.set_random_seed(0)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = keras.Sequential(
            [
                keras.Input((N_FEATURES,)),
                SimpleDense(16, activation="relu"),
                keras.layers.Dense(N_CLASSES, dtype="float32"),
            ]
        )
    finally:
        keras.config.set_dtype_policy(previous)
    assert model.dtype_policy.name == "mixed_float16"
    optimizer = keras.optimizers.Adam(0.01)
    history = fit(model, x, y, loss=_loss(), optimizer=optimizer, epochs=5, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert int(optimizer.iterations) == 5 * 2


def test_seed_fixes_the_shuffled_order() -> None:
    x, y = _data(100)
    models = [_model() for _ in range(3)]
    for model in models[1:]:
        model.set_weights(models[0].get_weights())
    for model, seed in zip(models, (7, 7, 8), strict=True):
        fit(model, x, y, loss=_loss(), optimizer="sgd", epochs=2, seed=seed, verbose=0, **NO_XLA)
    _assert_same_weights(models[0], models[1])
    assert not np.allclose(models[0].get_weights()[0], models[2].get_weights()[0])


# --- bad input: clear errors before any training --------------------------------------------


def _bad_fit(**overrides: Any) -> tuple[keras.Model, list[np.ndarray]]:
    x, y = _data(20)
    model = _model()
    weights = model.get_weights()
    kwargs: dict[str, Any] = {"loss": _loss(), "optimizer": "sgd", "verbose": 0}
    kwargs.update(overrides)
    model_arg = kwargs.pop("model", model)
    fit(model_arg, kwargs.pop("x", x), kwargs.pop("y", y), **kwargs)
    return model, weights


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"y": np.zeros(19)}, r"len\(x\)=20, len\(y\)=19"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"batch_size": -4}, "batch_size=-4"),
        ({"batch_size": 2.5}, "batch_size=2.5"),
        ({"batch_size": True}, "batch_size=True"),
        ({"epochs": 0}, "epochs=0"),
        ({"steps_per_execution": 0}, "steps_per_execution=0"),
        ({"loss": "no_such_loss"}, "loss='no_such_loss'"),
        ({"loss": None}, "loss=None"),
        ({"optimizer": "no_such_optimizer"}, "optimizer='no_such_optimizer'"),
        ({"metrics": ["no_such_metric"]}, "'no_such_metric'"),
        ({"metrics": "accuracy"}, "metrics='accuracy'"),
        ({"verbose": 3}, "verbose=3"),
        ({"shuffle": "yes"}, "shuffle='yes'"),
        ({"seed": -1}, "seed=-1"),
        ({"jit_compile": "yes"}, "jit_compile='yes'"),
        ({"y": None}, "y=None"),
        ({"validation_data": (np.zeros((5, N_FEATURES)), np.zeros(4))}, r"len\(validation_data"),
        ({"validation_data": np.zeros((5, N_FEATURES))}, "validation_data="),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_argument(
    overrides: dict[str, Any], pattern: str
) -> None:
    model = _model()
    weights = model.get_weights()
    with pytest.raises(ValueError, match=pattern):
        _bad_fit(model=model, **overrides)
    _assert_same_weights_list(model, weights)


def _assert_same_weights_list(model: keras.Model, weights: list[np.ndarray]) -> None:
    for now, before in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(now, before)


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"x": [[0.0] * N_FEATURES] * 20}, "x 는 넘파이 배열"),
        ({"y": list(range(20))}, "y 는 넘파이 배열"),
        ({"model": "not a model"}, "model="),
    ],
)
def test_wrong_types_raise_type_error(overrides: dict[str, Any], pattern: str) -> None:
    with pytest.raises(TypeError, match=pattern):
        _bad_fit(**overrides)


def test_model_without_trainable_weights_trains_like_model_fit_with_a_warning() -> None:
    model = _model()
    model.trainable = False
    x, y = _data(20)
    before = [np.array(w) for w in model.get_weights()]
    with pytest.warns(UserWarning, match="훈련할 가중치"):
        history = fit(model, x, y, loss=_loss(), optimizer="sgd", epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2  # Model.fit trains it too: loss, metrics, state
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(new, old)


def test_dataset_with_y_or_repeat_is_rejected() -> None:
    x, y = _data(20)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    with pytest.raises(ValueError, match="y 는 None"):
        fit(_model(), dataset, y, loss=_loss(), optimizer="sgd", verbose=0)
    with pytest.raises(ValueError, match="repeat"):
        fit(_model(), dataset.repeat(), loss=_loss(), optimizer="sgd", verbose=0)
    with pytest.raises(ValueError, match=r"\(x, y\)"):
        fit(_model(), dataset.map(lambda a, b: a), loss=_loss(), optimizer="sgd", verbose=0)


# --- output ---------------------------------------------------------------------------------


def test_verbose_0_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    x, y = _data(40)
    fit(
        _model(),
        x,
        y,
        loss=_loss(),
        optimizer="sgd",
        metrics=["accuracy"],
        epochs=2,
        validation_data=(x, y),
        verbose=0,
    )
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_verbose_1_shows_a_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    x, y = _data(40)
    fit(
        _model(),
        x,
        y,
        loss=_loss(),
        optimizer="sgd",
        metrics=["accuracy"],
        epochs=2,
        validation_data=(x, y),
        verbose=1,
    )
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "2/2" in out  # steps done / steps per epoch
    assert "━" in out  # Keras Progbar's bar
    assert "loss:" in out and "accuracy:" in out and "val_loss:" in out


def test_verbose_2_prints_one_line_per_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    x, y = _data(40)
    fit(_model(), x, y, loss=_loss(), optimizer="sgd", epochs=3, verbose=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all(line.startswith("2/2 - ") and "loss:" in line for line in lines[1::2])
    assert "━" not in "".join(lines)
