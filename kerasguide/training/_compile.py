"""What ``Model.compile`` and ``Model.fit`` do before the first step, shared by both loops.

The model is built on the shapes of a real batch, symbolically, as ``Model.fit``'s symbolic
build does (``keras.KerasTensor`` inputs: nothing runs, so a layer's side effects happen only
in training steps, and shape errors show before training); the loss and the metrics are
resolved from the shapes of the targets and of the model's output (``"accuracy"``,
``"crossentropy"``); the model is compiled with them (:mod:`kerasguide.training._model_compile`,
a ``mixed_float16`` model gets a ``LossScaleOptimizer`` there, as in ``Model.compile``); the
optimizer's variables are created.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import keras

import kerasguide._resolve as _resolve
from kerasguide.training._model_compile import compile_model

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
    """Build ``model`` on ``sample``'s shapes (``(x, y[, sw])``), resolve, compile the model."""
    from keras.src.backend import compute_output_spec  # Model.fit's symbolic build uses it

    x, y = (keras.tree.map_structure(_symbolic, part) for part in sample[:2])
    y_pred = compute_output_spec(model, x, training=False)
    if not model.trainable_variables:
        # Model.fit trains such a model too (non-trainable state, metrics) and warns per step.
        warnings.warn(
            f"모델 '{model.name}' 에 훈련할 가중치(trainable_variables)가 없다: 옵티마이저는 "
            "아무것도 바꾸지 않고, 순전파와 지표만 계산한다 (Model.fit 과 같다).",
            stacklevel=3,
        )
    y_shape, y_pred_shape = tuple(y.shape), tuple(y_pred.shape)
    loss_fn = _resolve.resolve_loss(loss, y_shape, y_pred_shape)
    metrics = [_resolve.resolve_metric(m, y_shape, y_pred_shape) for m in metric_ids]
    weighted = [_resolve.resolve_metric(m, y_shape, y_pred_shape) for m in weighted_metric_ids]
    compute_output_spec(loss_fn, y, y_pred)  # a loss that does not fit y fails here
    optimizer = compile_model(
        model, loss=loss, optimizer=optimizer, metrics=metrics, weighted_metrics=weighted,
        symbolic_batch=(x, y, y_pred),
    )  # fmt: skip
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return Compiled(loss_fn, metrics, weighted, optimizer)


def _symbolic(value: Any) -> Any:
    return None if value is None else keras.KerasTensor(value.shape, dtype=value.dtype)
