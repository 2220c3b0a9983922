"""손실, 지표, 옵티마이저 식별자를 ``Model.compile`` 처럼 풀기.

``"accuracy"`` 와 ``"crossentropy"`` 는 ``keras/src/trainers/compile_utils.py`` 처럼 타깃과
모델 출력의 모양으로 고른다. 다른 식별자는 ``keras.losses.get`` / ``keras.metrics.get`` /
``keras.optimizers.get`` 을 거친다. ``check_*`` 함수는 데이터를 보기 전에, ``resolve_*``
함수는 배치 하나가 모델을 지난 뒤에 부른다. 오류는 모두 :func:`~kerasguide._checks.argument_error`
로 낸다.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from kerasguide._checks import argument_error

# `Model.compile` picks binary / sparse / categorical variants for these aliases from the
# shapes of y and the model's output (keras/src/trainers/compile_utils.py); so do we.
_ACCURACY_ALIASES = ("accuracy", "acc")
_CROSSENTROPY_ALIASES = ("crossentropy", "ce")


_LOSSES = (
    "Model.compile 과 같은 값, 곧 'mse', 'binary_crossentropy', "
    "'sparse_categorical_crossentropy' 같은 keras.losses 의 이름, keras.losses.Loss 객체, "
    "또는 loss(y_true, y_pred) 함수여야 한다"
)
_METRICS = (
    "'accuracy', 'mae', 'sparse_categorical_accuracy' 같은 keras.metrics 의 이름, "
    "keras.metrics.Metric 객체, 또는 metric(y_true, y_pred) 함수여야 한다"
)
_OPTIMIZERS = (
    "Model.compile 과 같은 값, 곧 'sgd', 'adam', 'rmsprop' 같은 이름이나 "
    "keras.optimizers.Optimizer 객체여야 한다"
)


def _keras_get(get: Any, name: str, value: Any, accepted: str, usable: Any = callable) -> Any:
    """``get(value)`` (``keras.losses.get`` 등); 케라스가 모르는 값이면 ``argument_error``."""
    try:
        resolved = get(value)
    except (ValueError, TypeError) as error:
        raise argument_error(name, value, accepted) from error
    if resolved is None or not usable(resolved):
        raise argument_error(name, value, accepted)
    return resolved


def check_loss(loss: Any) -> Any:
    """``Model.compile`` 이 받는 손실 식별자인지 미리 확인한다 (별칭은 나중에 푼다)."""
    if isinstance(loss, list | tuple):
        raise argument_error(
            "loss", loss, "손실 하나여야 한다 (kerasguide.fit 은 출력이 하나인 모델을 훈련한다)"
        )
    if not (isinstance(loss, str) and loss.lower() in _CROSSENTROPY_ALIASES):
        _keras_get(keras.losses.get, "loss", loss, _LOSSES)
    return loss


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
    """``loss(y_true, y_pred)`` 함수를 ``Loss`` 로 (배치 평균).

    케라스의 비공개 ``LossFunctionWrapper`` 가 ``Model.compile`` 에서 하는 일을 한다:
    ``y_true`` 와 ``y_pred`` 의 랭크가 크기 1 인 마지막 축만큼 다르면 맞춘다.
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
        raise argument_error(
            name,
            metrics,
            "지표의 리스트나 튜플이어야 한다 (Model.compile 과 같다)",
            hint="예: metrics=['accuracy'].",
        )
    for index, metric in enumerate(metrics):
        if not (isinstance(metric, str) and metric.lower() in _ACCURACY_ALIASES):
            _keras_get(keras.metrics.get, f"{name}[{index}]", metric, _METRICS)
    return list(metrics)


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
    """옵티마이저 식별자를 객체로 바꾼다 (이름이면 새로 만든다)."""

    def usable(resolved: Any) -> bool:
        return isinstance(resolved, keras.optimizers.Optimizer)

    return _keras_get(keras.optimizers.get, "optimizer", optimizer, _OPTIMIZERS, usable)


def metric_log_names(
    metrics: Sequence[keras.metrics.Metric], weighted_metrics: Sequence[keras.metrics.Metric]
) -> list[str]:
    """기록에 쓰는 지표 이름. ``CompileMetrics.result`` 처럼, 가중 지표는 같은 이름의 가중치
    없는 지표가 있을 때만 ``"weighted_<이름>"`` 이 된다."""
    names = [m.name for m in metrics]
    for metric in weighted_metrics:
        names.append(metric.name if metric.name not in names else f"weighted_{metric.name}")
    return names
