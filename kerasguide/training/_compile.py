"""What ``Model.compile`` does before the first step, shared by the TensorFlow and JAX loops.

The model is called once on a real batch (building an unbuilt model, as ``Model.fit``'s
symbolic build does, and showing shape errors before training); the loss and the metrics are
resolved from the shapes of that batch's targets and the model's output (``"accuracy"``,
``"crossentropy"``); a ``mixed_float16`` model gets a ``LossScaleOptimizer``, as in
``Model.compile``; the optimizer's variables are created.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import keras

import kerasguide._resolve as _resolve

__all__ = ["Compiled", "compile_on_batch"]


@dataclass
class Compiled:
    loss_fn: Any
    metrics: list[keras.metrics.Metric]
    weighted_metrics: list[keras.metrics.Metric]
    optimizer: keras.optimizers.Optimizer


def compile_on_batch(
    model: keras.Model,
    sample: tuple[Any, ...],
    *,
    loss: Any,
    metric_ids: list[Any],
    weighted_metric_ids: list[Any],
    optimizer: keras.optimizers.Optimizer,
) -> Compiled:
    """Build ``model`` on ``sample`` (``(x, y[, sw])``) and resolve what it trains with."""
    x_sample, y_sample = sample[0], sample[1]
    call_kwargs = (
        {"training": False} if "training" in inspect.signature(model.call).parameters else {}
    )
    y_pred = model(x_sample, **call_kwargs)
    if not model.trainable_variables:
        raise ValueError(
            f"모델 '{model.name}' 에 훈련할 가중치(trainable_variables)가 없다. "
            f"받은 모델의 가중치 수: 전체 {len(model.variables)}, 훈련 가능 0. "
            "층이 모두 trainable=False 인지(동결), 가중치가 있는 층을 넣었는지 확인한다."
        )
    y_shape, y_pred_shape = tuple(y_sample.shape), tuple(y_pred.shape)
    loss_fn = _resolve.resolve_loss(loss, y_shape, y_pred_shape)
    metrics = [_resolve.resolve_metric(m, y_shape, y_pred_shape) for m in metric_ids]
    weighted = [_resolve.resolve_metric(m, y_shape, y_pred_shape) for m in weighted_metric_ids]
    loss_fn(y_sample, y_pred)  # a loss that does not fit y fails here, not mid-training
    if model.dtype_policy.name == "mixed_float16" and not isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer
    ):
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return Compiled(loss_fn, metrics, weighted, optimizer)
