"""Argument checks and identifier resolution for :func:`kerasguide.fit`.

Every check raises before any training starts, with a Korean message that names the
argument, the value received and what would be accepted.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

# `Model.compile` picks binary / sparse / categorical variants for these aliases from the
# shapes of y and the model's output (keras/src/trainers/compile_utils.py); so do we.
_ACCURACY_ALIASES = ("accuracy", "acc")
_CROSSENTROPY_ALIASES = ("crossentropy", "ce")
_VERBOSE_VALUES = ("auto", 0, 1, 2)


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    if isinstance(value, np.ndarray | tf.Tensor):
        text = f"<{type(value).__name__} shape={tuple(value.shape)} dtype={value.dtype}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_int(name: str, value: Any, *, minimum: int) -> int:
    """``value`` 가 ``minimum`` 이상인 정수(bool 제외)인지 확인한다."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(
            f"{name} 는 {minimum} 이상의 정수여야 한다. 받은 값: {name}={value!r} "
            f"({type(value).__name__})."
        )
    return int(value)


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(
            f"{name} 는 True 또는 False 여야 한다. 받은 값: {name}={value!r} "
            f"({type(value).__name__})."
        )
    return value


def check_jit_compile(jit_compile: Any) -> bool | str:
    if jit_compile == "auto" or isinstance(jit_compile, bool):
        return jit_compile  # type: ignore[no-any-return]
    raise ValueError(
        "jit_compile 은 'auto', True, False 중 하나여야 한다. "
        f"받은 값: jit_compile={jit_compile!r} ({type(jit_compile).__name__})."
    )


def check_verbose(verbose: Any) -> int:
    """``"auto"``, 0, 1, 2 중 하나를 받아 0, 1, 2 로 돌려준다 (``"auto"`` 는 1)."""
    if isinstance(verbose, bool) or verbose not in _VERBOSE_VALUES:
        raise ValueError(
            f"verbose 는 'auto', 0, 1, 2 중 하나여야 한다. 받은 값: verbose={verbose!r}. "
            "0: 출력 없음, 1: 진행 막대, 2: 에포크마다 한 줄."
        )
    return 1 if verbose == "auto" else int(verbose)


def check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(
            f"seed 는 None 이거나 0 이상의 정수여야 한다. 받은 값: seed={seed!r} "
            f"({type(seed).__name__})."
        )
    return int(seed)


def check_array(name: str, value: Any) -> np.ndarray | tf.Tensor:
    """넘파이 배열이나 텐서인지, 샘플 축(첫 축)이 있는지 확인한다."""
    if not isinstance(value, np.ndarray | tf.Tensor):
        raise TypeError(
            f"{name} 는 넘파이 배열(numpy.ndarray) 또는 tf.Tensor 여야 한다"
            f"{' (x 는 tf.data.Dataset 도 된다)' if name == 'x' else ''}. "
            f"받은 값: {name}={_short_repr(value)} ({type(value).__name__}). "
            "리스트라면 np.asarray(...) 로 바꿔서 넘긴다."
        )
    if len(value.shape) == 0:
        raise ValueError(
            f"{name} 는 첫 축이 샘플 축인 배열이어야 한다. 받은 값: {name}={_short_repr(value)} "
            "(스칼라)."
        )
    return value


def check_same_length(x_name: str, x: Any, y_name: str, y: Any) -> int:
    n_x, n_y = int(x.shape[0]), int(y.shape[0])
    if n_x != n_y:
        raise ValueError(
            f"{x_name} 와 {y_name} 의 샘플 수(첫 축의 길이)가 같아야 한다. "
            f"받은 값: len({x_name})={n_x}, len({y_name})={n_y}."
        )
    if n_x == 0:
        raise ValueError(f"{x_name} 에 샘플이 하나도 없다. 받은 값: {x_name}.shape={x.shape}.")
    return n_x


def check_loss(loss: Any) -> Any:
    """``Model.compile`` 이 받는 손실 식별자인지 미리 확인한다 (별칭은 나중에 푼다)."""
    if loss is None:
        raise ValueError(
            "loss 가 필요하다. 받은 값: loss=None. 'mse', 'sparse_categorical_crossentropy' "
            "같은 이름, keras.losses.Loss 객체, 또는 loss(y_true, y_pred) 함수를 넘긴다."
        )
    if isinstance(loss, str) and loss.lower() in _CROSSENTROPY_ALIASES:
        return loss
    if isinstance(loss, list | tuple):
        raise ValueError(
            "kerasguide.fit 은 출력이 하나인 모델의 손실 하나만 받는다. "
            f"받은 값: loss={_short_repr(loss)}."
        )
    try:
        resolved = keras.losses.get(loss)
    except (ValueError, TypeError) as error:
        raise ValueError(_unknown_loss_message(loss)) from error
    if resolved is None or not callable(resolved):
        raise ValueError(_unknown_loss_message(loss))
    return loss


def _unknown_loss_message(loss: Any) -> str:
    return (
        f"케라스가 모르는 손실이다. 받은 값: loss={_short_repr(loss)}. "
        "Model.compile 과 같은 값, 곧 'mse', 'binary_crossentropy', "
        "'sparse_categorical_crossentropy' 같은 keras.losses 의 이름, keras.losses.Loss 객체, "
        "또는 loss(y_true, y_pred) 함수를 받는다."
    )


def resolve_loss(
    loss: Any, y_shape: Sequence[int | None], y_pred_shape: Sequence[int | None]
) -> Any:
    """손실 식별자를 ``keras.losses.Loss`` 객체로 바꾼다 (``Model.compile`` 과 같은 규칙)."""
    if isinstance(loss, str) and loss.lower() in _CROSSENTROPY_ALIASES:
        is_binary, is_sparse = _binary_or_sparse(y_shape, y_pred_shape)
        if is_binary:
            fn = keras.losses.binary_crossentropy
        elif is_sparse:
            fn = keras.losses.sparse_categorical_crossentropy
        else:
            fn = keras.losses.categorical_crossentropy
        return _FunctionLoss(fn, name=loss)
    resolved = keras.losses.get(loss)
    if isinstance(resolved, keras.losses.Loss):
        return resolved
    name = loss if isinstance(loss, str) else getattr(resolved, "__name__", "loss")
    return _FunctionLoss(resolved, name=name)


class _FunctionLoss(keras.losses.Loss):  # type: ignore[misc]
    """A ``loss(y_true, y_pred)`` function as a ``Loss`` (mean over the batch).

    Does what Keras's private ``LossFunctionWrapper`` does for ``Model.compile``: make the
    ranks of ``y_true`` and ``y_pred`` agree when they differ by a last axis of size 1.
    """

    def __init__(self, fn: Any, name: str) -> None:
        super().__init__(name=name)
        self.fn = fn

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = _same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred)


def _same_rank(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    # keras/src/losses/loss.py::squeeze_or_expand_to_same_rank (expand_rank_1=True).
    true_rank, pred_rank = len(y_true.shape), len(y_pred.shape)
    if true_rank == pred_rank + 1 and y_true.shape[-1] == 1:
        if pred_rank == 1:
            y_pred = keras.ops.expand_dims(y_pred, axis=-1)
        else:
            y_true = keras.ops.squeeze(y_true, axis=-1)
    elif pred_rank == true_rank + 1 and y_pred.shape[-1] == 1:
        if true_rank == 1:
            y_true = keras.ops.expand_dims(y_true, axis=-1)
        else:
            y_pred = keras.ops.squeeze(y_pred, axis=-1)
    return y_true, y_pred


def check_metrics(metrics: Any) -> list[Any]:
    """지표 목록을 미리 확인한다. ``None`` 은 빈 목록."""
    if metrics is None:
        return []
    if not isinstance(metrics, list | tuple):
        raise ValueError(
            "metrics 는 리스트나 튜플이어야 한다 (Model.compile 과 같다). "
            f"받은 값: metrics={_short_repr(metrics)} ({type(metrics).__name__}). "
            "예: metrics=['accuracy']."
        )
    for metric in metrics:
        if isinstance(metric, str) and metric.lower() in _ACCURACY_ALIASES:
            continue
        try:
            resolved = keras.metrics.get(metric)
        except (ValueError, TypeError) as error:
            raise ValueError(_unknown_metric_message(metric)) from error
        if resolved is None or not callable(resolved):
            raise ValueError(_unknown_metric_message(metric))
    return list(metrics)


def _unknown_metric_message(metric: Any) -> str:
    return (
        f"케라스가 모르는 지표다. 받은 값: metrics 의 원소 {_short_repr(metric)}. "
        "'accuracy', 'mae', 'sparse_categorical_accuracy' 같은 keras.metrics 의 이름, "
        "keras.metrics.Metric 객체, 또는 metric(y_true, y_pred) 함수를 받는다."
    )


def resolve_metric(
    metric: Any, y_shape: Sequence[int | None], y_pred_shape: Sequence[int | None]
) -> keras.metrics.Metric:
    """지표 식별자를 ``keras.metrics.Metric`` 객체로 바꾼다 (``Model.compile`` 과 같은 규칙)."""
    if isinstance(metric, str) and metric.lower() in _ACCURACY_ALIASES:
        is_binary, is_sparse = _binary_or_sparse(y_shape, y_pred_shape)
        if is_binary:
            return keras.metrics.BinaryAccuracy(name=metric)
        if is_sparse:
            return keras.metrics.SparseCategoricalAccuracy(name=metric)
        return keras.metrics.CategoricalAccuracy(name=metric)
    resolved = keras.metrics.get(metric)
    if isinstance(resolved, keras.metrics.Metric):
        if isinstance(metric, str):
            resolved.name = metric
        return resolved
    name = metric if isinstance(metric, str) else getattr(resolved, "__name__", "metric")
    return keras.metrics.MeanMetricWrapper(resolved, name=name)


def _binary_or_sparse(
    y_shape: Sequence[int | None], y_pred_shape: Sequence[int | None]
) -> tuple[bool, bool]:
    is_binary = y_pred_shape[-1] == 1
    is_sparse = len(y_shape) < len(y_pred_shape) or (y_shape[-1] == 1 and y_pred_shape[-1] != 1)
    return is_binary, is_sparse


def resolve_optimizer(optimizer: Any) -> keras.optimizers.Optimizer:
    try:
        resolved = keras.optimizers.get(optimizer)
    except (ValueError, TypeError) as error:
        raise ValueError(_unknown_optimizer_message(optimizer)) from error
    if resolved is None:
        raise ValueError(_unknown_optimizer_message(optimizer))
    return resolved


def _unknown_optimizer_message(optimizer: Any) -> str:
    return (
        f"케라스가 모르는 옵티마이저다. 받은 값: optimizer={_short_repr(optimizer)}. "
        "Model.compile 과 같은 값, 곧 'sgd', 'adam', 'rmsprop' 같은 이름이나 "
        "keras.optimizers.Optimizer 객체를 받는다."
    )
