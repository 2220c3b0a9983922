"""The model as :func:`kerasguide.fit` leaves it: compiled with what it trains with.

``Model.fit`` users always hold a compiled model: ``model.evaluate``, ``model.predict``,
``model.save`` (with the compile config and the optimizer's state) and ``model.fit`` to fine-tune
work at any point, and callbacks find the metrics' direction (``mode="auto"``) and the optimizer
in ``model.metrics`` and ``model.optimizer``. ``fit`` keeps that contract by calling
``Model.compile`` itself, before the first step, with the optimizer and the very metric objects
its loop updates (so ``model.metrics`` shows the values the loop computes). A model compiled by
the user keeps its compile when ``fit`` is given no loss, optimizer or metrics.

On JAX the loop keeps the training state outside the Keras variables between calls, as Keras's
JAX trainer does; a callback that reads ``self.model`` gets it synced first
(``keras.callbacks.Callback.model`` calls ``model.jax_state_sync()``), and so it does under
``fit`` too (:func:`callbacks_see_current_state`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras

__all__ = ["callbacks_see_current_state", "compile_model", "model_compile_args"]


@contextlib.contextmanager
def callbacks_see_current_state(model: keras.Model, loop: Any) -> Iterator[None]:
    """While ``fit`` runs on JAX, ``model.jax_state_sync()`` writes the loop's live state back.

    Keras's ``Callback.model`` calls it before handing a callback the model (mid-epoch
    checkpoints, a batch hook reading a variable), exactly as under ``Model.fit``. The state is
    written back at the end, also when a callback or the user interrupts training.
    """
    if keras.backend.backend() != "jax":
        yield
        return
    object.__setattr__(model, "jax_state_sync", loop.sync)  # an instance attribute, untracked
    try:
        yield
    finally:
        loop.sync()
        object.__delattr__(model, "jax_state_sync")


def model_compile_args(model: keras.Model) -> dict[str, Any] | None:
    """What ``model.compile(...)`` was given (``None`` for a model never compiled)."""
    config = getattr(model, "_compile_config", None)
    if not getattr(model, "compiled", False) or config is None:
        return None
    given = config.config  # the objects passed to compile(), before serialization
    return {
        "loss": given.get("loss"),
        "optimizer": model.optimizer,  # compile() resolved a name to this object
        "metrics": given.get("metrics"),
        "weighted_metrics": given.get("weighted_metrics"),
    }


def compile_model(
    model: keras.Model,
    *,
    loss: Any,
    optimizer: keras.optimizers.Optimizer,
    metrics: list[keras.metrics.Metric],
    weighted_metrics: list[keras.metrics.Metric],
    symbolic_batch: tuple[Any, Any, Any],
) -> keras.optimizers.Optimizer:
    """``model.compile`` with ``fit``'s loss, optimizer and metric objects; the optimizer to use.

    ``loss`` is the identifier the user gave (a name, a ``Loss`` or a function), so that
    ``model.save`` stores what ``Model.compile`` would. Settings of an earlier compile that ``fit``
    has no argument for (``steps_per_execution``, ``jit_compile``, ``run_eagerly``,
    ``loss_weights``) are kept. The compiled metrics are built on ``symbolic_batch``
    (``(x, y, y_pred)`` as ``keras.KerasTensor``), without running the model, as ``Model.fit``
    builds them: callbacks with ``mode="auto"`` find each metric's direction there.
    """
    earlier = model._compile_config.config if getattr(model, "compiled", False) else {}
    kept = {
        key: earlier[key]
        for key in ("loss_weights", "run_eagerly", "steps_per_execution", "jit_compile")
        if key in earlier
    }
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=list(metrics) or None,
        weighted_metrics=list(weighted_metrics) or None,
        **kept,
    )
    if metrics or weighted_metrics:
        from keras.src.backend import compute_output_spec  # what Model.fit builds them with

        x, y, y_pred = symbolic_batch
        compute_output_spec(model.compute_metrics, x, y, y_pred, sample_weight=None)
    return model.optimizer  # a LossScaleOptimizer around `optimizer` for mixed_float16
