"""``Model.fit`` 처럼 ``class_weight`` 적용하기: 샘플마다 그 클래스의 가중치.

케라스는 ``class_weight`` 를 샘플 가중치로 바꾼다
(``keras/src/trainers/data_adapters/data_adapter_utils.py::class_weight_to_sample_weights``).
샘플의 클래스는 정수 레이블, 원-핫 타깃이면 argmax 이고, ``class_weight`` 에 없는 클래스의
가중치는 1.0 이다. kerasguide 도 같고, 타깃에 없는 클래스 키는 거절한다(케라스는 조용히
무시한다).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from kerasguide._checks import short_repr

__all__ = ["check_class_weight_keys", "class_weight_to_sample_weight"]


def _class_indices(y: Any) -> np.ndarray:
    # keras/src/trainers/data_adapters/data_adapter_utils.py::class_weight_to_sample_weights
    labels = np.asarray(y)
    if labels.ndim > 1:
        labels = np.argmax(labels, axis=-1) if labels.shape[-1] != 1 else labels[..., 0]
    return np.round(labels).astype("int64")


def check_class_weight_keys(y: Any, class_weight: dict[int, float]) -> None:
    """타깃 ``y`` (떼어 내기 전 전부)의 클래스가 아닌 키를 거절한다."""
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
    """샘플마다 그 클래스의 가중치 (``class_weight`` 에 없는 클래스는 1.0)."""
    labels = _class_indices(y)
    size = max(int(labels.max(initial=0)), max(class_weight)) + 1
    table = np.ones(size, dtype=keras.config.floatx())
    for label, weight in class_weight.items():
        table[label] = weight
    weights: np.ndarray = table[labels]
    return weights
