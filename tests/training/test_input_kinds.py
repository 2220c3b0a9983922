"""Every ``x`` that Model.fit takes, given to kerasguide.fit: the same history and weights.

Each test trains two copies of one model on one kind of input (arrays, backend tensors, pandas,
dicts and lists of arrays, ``tf.data.Dataset``, ``keras.utils.PyDataset``, Python generators),
once with ``Model.fit`` and once with ``kerasguide.fit``, in the same data order (no shuffling),
and compares the history and the weights. The suite runs on the session's Keras backend, so
both backends get it (``nox -s tests-lib``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import helpers
import kerasguide

FEATURES, CLASSES, BATCH = 8, 3, 16


def _data(n: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return helpers.classification_data(n, features=FEATURES, classes=CLASSES, seed=seed)


def _mlp() -> keras.Model:
    return helpers.classifier(features=FEATURES, classes=CLASSES, hidden=(16,), seed=0)


def _named_inputs() -> keras.Model:
    """Two named inputs (4 features each), for dicts and lists of arrays."""
    keras.utils.set_random_seed(0)
    left, right = keras.Input((4,), name="left"), keras.Input((4,), name="right")
    hidden = keras.layers.Dense(16, activation="relu")(keras.layers.Concatenate()([left, right]))
    return keras.Model([left, right], keras.layers.Dense(CLASSES)(hidden))


def _both(
    make_input: Callable[[], dict[str, Any]],
    make_model: Callable[[], keras.Model] = _mlp,
    **fit_kwargs: Any,
) -> tuple[Any, keras.Model, Any, keras.Model]:
    """Train with Model.fit and kerasguide.fit on fresh copies of the same input."""
    options = {"epochs": 2, "verbose": 0, **fit_kwargs}
    reference = make_model()
    reference.compile(optimizer="adam", loss=helpers.logits_loss(), metrics=["accuracy"])
    keras_history = reference.fit(**make_input(), **options)
    ours = make_model()
    our_history = kerasguide.fit(
        ours,
        **make_input(),
        loss=helpers.logits_loss(),
        optimizer="adam",
        metrics=["accuracy"],
        jit_compile=False if keras.backend.backend() == "tensorflow" else "auto",
        **options,
    )
    return keras_history, reference, our_history, ours


def _assert_same(keras_history: Any, reference: Any, our_history: Any, ours: Any) -> None:
    assert our_history.epoch == keras_history.epoch
    helpers.assert_same_history(our_history.history, keras_history.history)
    helpers.assert_same_weights(ours, reference)


class Batches(keras.utils.PyDataset):  # type: ignore[misc]
    """A PyDataset of ``(x, y)`` batches (the last one short when ``len(x)`` does not divide)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.x, self.y = x, y

    def __len__(self) -> int:
        return -(-len(self.x) // BATCH)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = slice(index * BATCH, (index + 1) * BATCH)
        return self.x[rows], self.y[rows]


def _forever(x: np.ndarray, y: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """An endless generator of ``(x, y)`` batches: ``steps_per_epoch`` says where epochs end."""
    while True:
        for start in range(0, len(x), BATCH):
            yield x[start : start + BATCH], y[start : start + BATCH]


# --- arrays in every form: the fast path -------------------------------------------------------


@pytest.mark.parametrize("kind", ["numpy", "tensor", "pandas"])
def test_arrays_tensors_and_pandas(kind: str) -> None:
    x, y = _data(100)  # a short last batch of 4
    (x_val, y_val) = _data(40, seed=1)

    def convert(array: np.ndarray) -> Any:
        if kind == "tensor":
            return keras.ops.convert_to_tensor(array)
        if kind == "pandas":
            pandas = pytest.importorskip("pandas")
            return pandas.DataFrame(array) if array.ndim == 2 else pandas.Series(array)
        return array

    def make() -> dict[str, Any]:
        return {"x": convert(x), "y": convert(y), "validation_data": (convert(x_val), y_val)}

    _assert_same(*_both(make, batch_size=BATCH, shuffle=False))


@pytest.mark.parametrize("container", ["dict", "list"])
def test_dicts_and_lists_of_arrays_feed_models_with_several_inputs(container: str) -> None:
    x, y = _data(100)
    x_val, y_val = _data(40, seed=1)

    def split(array: np.ndarray) -> Any:
        parts = [array[:, :4], array[:, 4:]]
        return dict(zip(["left", "right"], parts, strict=True)) if container == "dict" else parts

    def make() -> dict[str, Any]:
        return {"x": split(x), "y": y, "validation_data": (split(x_val), y_val)}

    _assert_same(*_both(make, _named_inputs, batch_size=BATCH, shuffle=False))


def test_validation_split_of_a_dict_of_arrays_takes_the_last_rows() -> None:
    x, y = _data(100)

    def make() -> dict[str, Any]:
        return {"x": {"left": x[:, :4], "right": x[:, 4:]}, "y": y}

    result = _both(make, _named_inputs, batch_size=BATCH, shuffle=False, validation_split=0.25)
    _assert_same(*result)
    assert "val_loss" in result[2].history


# --- tf.data, PyDataset, generators: Keras's own data adapters ----------------------------------


def test_tf_data_dataset_with_a_dataset_for_validation() -> None:
    def make() -> dict[str, Any]:
        return {
            "x": tf.data.Dataset.from_tensor_slices(_data(100)).batch(BATCH),
            "validation_data": tf.data.Dataset.from_tensor_slices(_data(40, 1)).batch(BATCH),
        }

    _assert_same(*_both(make))


def test_py_dataset_with_a_short_last_batch() -> None:
    x, y = _data(100)  # 7 batches, the last one of 4 samples

    def make() -> dict[str, Any]:
        return {"x": Batches(x, y), "validation_data": Batches(*_data(40, seed=1))}

    result = _both(make, shuffle=False)  # Model.fit shuffles a PyDataset's batches by default
    _assert_same(*result)
    assert result[2].params["steps"] == 7


@pytest.mark.parametrize(
    "workers",
    [{"workers": 2}, {"workers": 2, "use_multiprocessing": True}],
    ids=["two-threads", "two-processes"],
)
def test_py_dataset_workers_read_the_batches_in_order(workers: dict[str, Any]) -> None:
    # Keras's enqueuer reads the batches in worker threads or processes and hands them over
    # in order: the same training as Model.fit on the PyDataset read in this process. (Model.fit
    # itself is the reference only in this process: on JAX its result with workers differs
    # from its own in-process result.)
    x, y = _data(100)

    def make(options: dict[str, Any]) -> Callable[[], dict[str, Any]]:
        return lambda: {"x": Batches(x, y, **options)}

    reference = _both(make({}), epochs=1, shuffle=False)
    ours = _both(make(workers), epochs=1, shuffle=False)
    _assert_same(reference[0], reference[1], ours[2], ours[3])


def test_endless_generator_with_steps_per_epoch_and_validation_steps() -> None:
    x, y = _data(96)
    x_val, y_val = _data(48, seed=1)

    def make() -> dict[str, Any]:
        return {"x": _forever(x, y), "validation_data": _forever(x_val, y_val)}

    # 4 steps an epoch out of 6 batches a pass: epochs start mid-pass, as the generator goes on.
    result = _both(make, epochs=3, steps_per_epoch=4, validation_steps=2)
    _assert_same(*result)
    assert result[2].params["steps"] == 4


def test_finite_generator_trains_one_pass() -> None:
    x, y = _data(100)

    def make() -> dict[str, Any]:
        # Indexed, not iterated: at the Keras floor (3.10) PyDataset has no __iter__, and
        # iterating by __getitem__ never ends there (slicing past the end gives empty batches).
        batches = Batches(x, y)
        return {"x": (batches[i] for i in range(len(batches)))}

    _assert_same(*_both(make, epochs=1))


# --- what the adapters refuse ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_x", "arguments", "pattern"),
    [
        (lambda x, y: Batches(x, y), {"y": np.zeros(4)}, r"PyDataset 이면 y 는 None"),
        (lambda x, y: _forever(x, y), {"validation_split": 0.2}, r"validation_split"),
        (
            lambda x, y: _forever(x, y),
            {"class_weight": {0: 1.0}},
            r"class_weight 는 x 가 제너레이터이면 쓸 수 없다",
        ),
        (lambda x, y: x, {"y": None}, r"타깃 y 가 필요하다"),
        (lambda x, y: (b[0] for b in Batches(x, y)), {}, r"\(x, y\) 나 \(x, y, sample_weight\)"),
        (lambda x, y: {1, 2}, {}, r"x 는 넘파이 배열.*받은 값: x=\{1, 2\} \(set\)"),
    ],
    ids=["py-dataset-and-y", "split-of-a-generator", "class-weight-of-a-generator",
         "arrays-without-y", "batches-without-targets", "a-set"],
)  # fmt: skip
def test_inputs_that_cannot_train_are_refused_clearly(
    make_x: Callable[[np.ndarray, np.ndarray], Any], arguments: dict[str, Any], pattern: str
) -> None:
    x, y = _data(32)
    with pytest.raises((ValueError, TypeError), match=pattern):
        kerasguide.fit(
            _mlp(), make_x(x, y), loss=helpers.logits_loss(), optimizer="sgd", verbose=0,
            steps_per_epoch=None, **arguments,
        )  # fmt: skip
