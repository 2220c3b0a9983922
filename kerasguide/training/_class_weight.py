"""``class_weight`` as ``Model.fit`` applies it: each sample weighted by its class's weight.

Keras turns ``class_weight`` into sample weights
(``keras/src/trainers/data_adapters/data_adapter_utils.py::class_weight_to_sample_weights``):
the class of a sample is its integer label, or the argmax of a one-hot target; classes missing
from ``class_weight`` weigh 1.0. kerasguide does the same, and refuses keys that are not classes
of the targets (Keras ignores them silently).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from kerasguide._checks import short_repr

__all__ = ["check_class_weight_keys", "class_weight_map", "class_weight_to_sample_weight"]


def _class_indices(y: Any) -> np.ndarray:
    # keras/src/trainers/data_adapters/data_adapter_utils.py::class_weight_to_sample_weights
    labels = np.asarray(y)
    if labels.ndim > 1:
        labels = np.argmax(labels, axis=-1) if labels.shape[-1] != 1 else labels[..., 0]
    return np.round(labels).astype("int64")


def check_class_weight_keys(y: Any, class_weight: dict[int, float]) -> None:
    """Refuse keys that are not classes of the targets ``y`` (all of them, before a split)."""
    classes = (
        set(range(int(y.shape[-1])))
        if len(y.shape) > 1 and y.shape[-1] != 1
        else {int(c) for c in np.unique(_class_indices(y))}
    )
    unknown = sorted(set(class_weight) - classes)
    if unknown:
        raise ValueError(
            f"class_weight 의 키 {unknown} 는 타깃 y 에 있는 클래스 번호가 아니다. "
            f"y 의 클래스: {sorted(classes) if len(classes) <= 20 else f'{len(classes)}개'}. "
            f"받은 값: class_weight={short_repr(class_weight)}."
        )


def class_weight_to_sample_weight(y: Any, class_weight: dict[int, float]) -> np.ndarray:
    """Each sample's weight is its class's weight (1.0 for classes not in ``class_weight``)."""
    labels = _class_indices(y)
    size = max(int(labels.max(initial=0)), max(class_weight)) + 1
    table = np.ones(size, dtype=keras.config.floatx())
    for label, weight in class_weight.items():
        table[label] = weight
    weights: np.ndarray = table[labels]
    return weights


def class_weight_map(class_weight: dict[int, float]) -> Any:
    """A ``dataset.map`` function that adds ``class_weight`` as sample weights (``Model.fit``)."""
    table = np.ones(max(class_weight) + 1, dtype=keras.config.floatx())
    for label, weight in class_weight.items():
        table[label] = weight
    import tensorflow as tf

    weights = tf.constant(table)

    def add_weights(x: Any, y: Any) -> tuple[Any, Any, Any]:
        labels = y
        if len(y.shape) > 1:
            labels = tf.argmax(y, axis=-1) if y.shape[-1] != 1 else y[..., 0]
        labels = tf.cast(tf.round(tf.cast(labels, tf.float32)), tf.int64)
        safe = tf.clip_by_value(labels, 0, len(table) - 1)
        found = tf.logical_and(labels >= 0, labels < len(table))
        return x, y, tf.where(found, tf.gather(weights, safe), tf.ones_like(safe, weights.dtype))

    return add_weights
