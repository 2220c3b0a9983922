"""Loss, metric and optimizer identifiers resolved as ``Model.compile`` resolves them.

``"accuracy"`` and ``"crossentropy"`` are picked from the shapes of the targets and of the
model's output, as ``keras/src/trainers/compile_utils.py`` does; every other identifier goes
through ``keras.losses.get`` / ``keras.metrics.get`` / ``keras.optimizers.get``. The ``check_*``
functions run before any data is seen, the ``resolve_*`` ones once a batch has been through the
model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from kerasguide._checks import short_repr

# `Model.compile` picks binary / sparse / categorical variants for these aliases from the
# shapes of y and the model's output (keras/src/trainers/compile_utils.py); so do we.
_ACCURACY_ALIASES = ("accuracy", "acc")
_CROSSENTROPY_ALIASES = ("crossentropy", "ce")


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
            f"받은 값: loss={short_repr(loss)}."
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
        f"케라스가 모르는 손실이다. 받은 값: loss={short_repr(loss)}. "
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


def check_metrics(metrics: Any, name: str = "metrics") -> list[Any]:
    """지표 목록(``metrics`` 나 ``weighted_metrics``)을 미리 확인한다. ``None`` 은 빈 목록."""
    if metrics is None:
        return []
    if not isinstance(metrics, list | tuple):
        raise ValueError(
            f"{name} 는 리스트나 튜플이어야 한다 (Model.compile 과 같다). "
            f"받은 값: {name}={short_repr(metrics)} ({type(metrics).__name__}). "
            "예: metrics=['accuracy']."
        )
    for metric in metrics:
        if isinstance(metric, str) and metric.lower() in _ACCURACY_ALIASES:
            continue
        try:
            resolved = keras.metrics.get(metric)
        except (ValueError, TypeError) as error:
            raise ValueError(_unknown_metric_message(metric, name)) from error
        if resolved is None or not callable(resolved):
            raise ValueError(_unknown_metric_message(metric, name))
    return list(metrics)


def _unknown_metric_message(metric: Any, name: str) -> str:
    return (
        f"케라스가 모르는 지표다. 받은 값: {name} 의 원소 {short_repr(metric)}. "
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
        f"케라스가 모르는 옵티마이저다. 받은 값: optimizer={short_repr(optimizer)}. "
        "Model.compile 과 같은 값, 곧 'sgd', 'adam', 'rmsprop' 같은 이름이나 "
        "keras.optimizers.Optimizer 객체를 받는다."
    )


def metric_log_names(
    metrics: Sequence[keras.metrics.Metric], weighted_metrics: Sequence[keras.metrics.Metric]
) -> list[str]:
    """The names of the metrics in the logs, as ``CompileMetrics.result`` names them: a weighted
    metric keeps its name unless an unweighted one has it, then it is ``"weighted_<name>"``."""
    names = [m.name for m in metrics]
    for metric in weighted_metrics:
        names.append(metric.name if metric.name not in names else f"weighted_{metric.name}")
    return names
