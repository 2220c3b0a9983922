""":func:`kerasguide.fit` 의 훈련 한 번: ``Model.fit`` 처럼 에포크, 배치, 콜백.

콜백 훅의 순서는 ``Model.fit`` (``keras/src/backend/tensorflow/trainer.py``)과 같다.
``on_train_begin`` (``fit`` 이 부른다) 다음 에포크마다 ``on_epoch_begin``, 컴파일된 호출마다
``on_train_batch_begin/end`` 한 쌍(배치 번호 ``begin .. begin + steps_per_execution - 1``),
``on_test_*`` 훅과 함께 검증, 에포크의 기록(``val_`` 포함)과 함께 ``on_epoch_end``, 마지막으로
``on_train_end``. 어느 훅에서든 ``model.stop_training`` 을 켜면 훈련이 끝난다.
"""

from __future__ import annotations

import math
from typing import Any

import keras

from kerasguide._errors import NonFiniteLossError
from kerasguide.training._epoch_iterator import EpochIterator
from kerasguide.training._trainer import Trainer

__all__ = ["run_epochs"]


def _pythonify(logs: dict[str, Any]) -> dict[str, float]:
    return {name: float(value) for name, value in logs.items()}


def _should_validate(epoch: int, validation_freq: int | list[int]) -> bool:
    # keras/src/trainers/trainer.py::_should_eval (epochs counted from 1).
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return epoch + 1 in validation_freq


def run_epochs(
    trainer: Trainer,
    model: keras.Model,
    train: EpochIterator,
    validation: EpochIterator | None,
    callbacks: keras.callbacks.CallbackList,
    *,
    initial_epoch: int,
    epochs: int,
    validation_freq: int | list[int],
    saver: Any,
    quiet_nan: bool,
) -> None:
    training_logs: dict[str, float] | None = None
    for epoch in range(initial_epoch, epochs):
        trainer.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        logs: dict[str, Any] = {}
        seen, finite = 0, True
        for begin, end, batches in train.epoch(epoch):
            callbacks.on_train_batch_begin(begin)
            steps, logs = trainer.run("train", batches)
            seen += steps
            loss = float(logs["loss"])  # one host round trip per call, not per step
            if not math.isfinite(loss):
                finite = False
                if not quiet_nan:
                    trainer.sync()  # the model shows the weights of the failed step
                    raise NonFiniteLossError(
                        epoch=epoch + 1,
                        epochs=epochs,
                        step=seen,
                        steps=train.steps,
                        loss=loss,
                        checkpoint=saver.latest if saver is not None else None,
                    ) from None
            if steps:
                callbacks.on_train_batch_end(end, logs)  # TerminateOnNaN stops here
            if model.stop_training or steps < len(batches):  # stopped, or the data ran dry
                break
        if finite:
            train.end_epoch(seen)
        if seen == 0:
            raise ValueError(
                "훈련 데이터셋이 배치를 하나도 내놓지 않았다. x 가 비어 있지 않은지 본다."
            )
        epoch_logs = _pythonify(trainer.results())
        trainer.sync()  # validation, callbacks and checkpoints read the model's variables
        if validation is not None and _should_validate(epoch, validation_freq):
            val_logs = _validate(trainer, validation, epoch, callbacks)
            epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
        callbacks.on_epoch_end(epoch, epoch_logs)
        training_logs = epoch_logs
        if saver is not None and finite:
            history = model.history
            saver.save(
                epochs_done=epoch + 1,
                shuffle_seed=train.shuffle_seed,
                history=history.history,
                epoch_seconds=history.epoch_seconds,
            )
        if model.stop_training:
            break
    trainer.optimizer.finalize_variable_values(model.trainable_weights)  # as Model.fit (EMA)
    callbacks.on_train_end(logs=training_logs)


def _validate(
    trainer: Trainer, data: EpochIterator, epoch: int, callbacks: keras.callbacks.CallbackList
) -> dict[str, float]:
    """검증 데이터를 한 번 훑는다. ``Model.fit`` 안의 ``Model.evaluate`` 와 같다."""
    trainer.reset_metrics()
    callbacks.on_test_begin()
    seen = 0
    for begin, end, batches in data.epoch(epoch):
        callbacks.on_test_batch_begin(begin)
        steps, logs = trainer.run("validation", batches)
        seen += steps
        if steps:
            callbacks.on_test_batch_end(end, logs)
        if steps < len(batches):
            break
    data.end_epoch(seen)
    logs = _pythonify(trainer.results())
    trainer.sync()
    callbacks.on_test_end(logs)
    return logs
