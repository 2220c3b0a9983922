"""One training run of :func:`kerasguide.fit`: epochs, batches and callbacks, as ``Model.fit``.

The order of the callback hooks is ``Model.fit``'s (``keras/src/backend/tensorflow/trainer.py``):
``on_train_begin``, then per epoch ``on_epoch_begin``, a ``on_train_batch_begin/end`` pair per
compiled call (batches numbered ``begin .. begin + steps_per_execution - 1``), the validation
pass with its ``on_test_*`` hooks, ``on_epoch_end`` with the epoch's logs (``val_`` entries
included), and ``on_train_end``. ``model.stop_training`` set by any hook ends the run.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import keras

from kerasguide._errors import NonFiniteLossError
from kerasguide.training._data import ArrayData, Data

__all__ = ["Loop", "run_epochs"]


class Loop(Protocol):
    """What the epoch loop needs of a backend's compiled loop (``TrainLoop``, ``JaxTrainLoop``)."""

    optimizer: Any
    steps_per_execution: int
    jit_compile: bool
    distributed: bool
    traces: dict[str, int]

    def calls(self, kind: str, data: Data, epoch: int) -> Any: ...
    def sync(self) -> None: ...
    def reset_metrics(self) -> None: ...
    def results(self) -> dict[str, Any]: ...


def _pythonify(logs: dict[str, Any]) -> dict[str, Any]:
    # keras/src/utils/python_utils.py::pythonify_logs: floats where the value is a scalar; an
    # array-valued metric (F1Score: one value per class) reaches callbacks and History as is.
    result: dict[str, Any] = {}
    for name, value in logs.items():
        try:
            result[name] = float(value)
        except (TypeError, ValueError):
            result[name] = keras.ops.convert_to_numpy(value)
    return result


def _should_validate(epoch: int, validation_freq: int | list[int]) -> bool:
    # keras/src/trainers/trainer.py::_should_eval (epochs counted from 1).
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return epoch + 1 in validation_freq


def run_epochs(
    loop: Loop,
    model: keras.Model,
    train: Data,
    validation: Data | None,
    callbacks: keras.callbacks.CallbackList,
    *,
    initial_epoch: int,
    epochs: int,
    validation_freq: int | list[int],
    saver: Any,
    quiet_nan: bool,
) -> None:
    callbacks.on_train_begin()
    # keras.callbacks.BackupAndRestore restores the weights in on_train_begin and says where to
    # go on in model._initial_epoch; Model.fit reads it the same way.
    initial_epoch = getattr(model, "_initial_epoch", None) or initial_epoch
    training_logs: dict[str, float] | None = None
    for epoch in range(initial_epoch, epochs):
        loop.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        logs: dict[str, Any] = {}
        seen, finite = 0, True
        for call in loop.calls("train", train, epoch):
            # Model.fit numbers a call's batches begin .. begin + steps_per_execution - 1.
            begin, end = seen, seen + loop.steps_per_execution - 1
            callbacks.on_train_batch_begin(begin)
            steps, logs = call()
            if not steps:
                continue
            seen += steps
            loss = float(logs["loss"])  # one host round trip per call, not per step
            if not math.isfinite(loss):
                finite = False
                if not quiet_nan:
                    loop.sync()  # the model shows the weights of the failed step
                    raise NonFiniteLossError(
                        epoch=epoch + 1,
                        epochs=epochs,
                        step=seen,
                        steps=train.steps,
                        loss=loss,
                        checkpoint=saver.latest if saver is not None else None,
                    ) from None
            callbacks.on_train_batch_end(end, logs)  # TerminateOnNaN stops here
            if model.stop_training:
                break
        if seen == 0:
            raise ValueError(
                "훈련 데이터셋이 배치를 하나도 내놓지 않았다. x 가 비어 있지 않은지 본다."
            )
        epoch_logs = _pythonify(loop.results())
        loop.sync()  # validation, callbacks and checkpoints read the model's variables
        if validation is not None and _should_validate(epoch, validation_freq):
            val_logs = _validate(loop, validation, epoch, callbacks)
            epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
        callbacks.on_epoch_end(epoch, epoch_logs)
        training_logs = epoch_logs
        if saver is not None and finite:
            history = model.history
            saver.save(
                epochs_done=epoch + 1,
                shuffle_seed=train.shuffle_seed if isinstance(train, ArrayData) else None,
                history=history.history,
                epoch_seconds=history.epoch_seconds,
            )
        if model.stop_training:
            break
    loop.optimizer.finalize_variable_values(model.trainable_weights)  # as Model.fit (EMA)
    callbacks.on_train_end(logs=training_logs)


def _validate(
    loop: Loop, data: Data, epoch: int, callbacks: keras.callbacks.CallbackList
) -> dict[str, float]:
    """One pass over the validation data, as ``Model.evaluate`` inside ``Model.fit``."""
    loop.reset_metrics()
    callbacks.on_test_begin()
    seen = 0
    for call in loop.calls("validation", data, epoch):
        begin, end = seen, seen + loop.steps_per_execution - 1
        callbacks.on_test_batch_begin(begin)
        steps, logs = call()
        if steps:
            seen += steps
            callbacks.on_test_batch_end(end, logs)
    logs = _pythonify(loop.results())
    loop.sync()
    callbacks.on_test_end(logs)
    return logs
