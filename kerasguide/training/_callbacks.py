""":func:`kerasguide.fit` 의 케라스 콜백: 케라스 자신의 ``CallbackList`` 로 부른다.

``Model.fit`` 은 ``keras.callbacks.CallbackList(callbacks, add_history=True,
add_progbar=verbose != 0, verbose=..., epochs=..., steps=..., model=self)`` 를 만든다.
``fit`` 도 같고, 기록 콜백만 kerasguide 의 :class:`~kerasguide.training.History` 다. 그래서
진행 막대, ``EarlyStopping``, ``ModelCheckpoint`` 등이 ``Model.fit`` 에서처럼 동작한다.
"""

from __future__ import annotations

from typing import Any

import keras

from kerasguide._checks import argument_error
from kerasguide.training._history import History

__all__ = ["check_callbacks", "make_callback_list", "terminates_on_nan"]


def check_callbacks(callbacks: Any, *, checkpoint_dir: str | None) -> list[Any]:
    """``None`` 이나 ``keras.callbacks.Callback`` 의 리스트인지 확인한다."""
    if callbacks is None:
        return []
    if not isinstance(callbacks, list | tuple):
        raise argument_error(
            "callbacks",
            callbacks,
            "keras.callbacks.Callback 객체의 리스트여야 한다 (Model.fit 과 같다)",
            error=TypeError,
            hint="예: callbacks=[keras.callbacks.EarlyStopping(patience=2)].",
        )
    for index, callback in enumerate(callbacks):
        if not isinstance(callback, keras.callbacks.Callback):
            raise argument_error(
                f"callbacks[{index}]",
                callback,
                "keras.callbacks.Callback 객체여야 한다 (클래스가 아니라 만든 객체, "
                "예: keras.callbacks.EarlyStopping())",
                error=TypeError,
            )
        if checkpoint_dir is not None and isinstance(callback, keras.callbacks.BackupAndRestore):
            raise ValueError(
                "checkpoint_dir 와 keras.callbacks.BackupAndRestore 를 함께 쓸 수 없다: 둘 다 "
                "훈련을 저장하고 이어서 하는 기능이라 어느 쪽에서 이어 갈지 정할 수 없다. "
                "kerasguide.fit 에서는 checkpoint_dir 를 쓴다 (옵티마이저 상태, 데이터 순서, "
                "지금까지의 기록까지 저장하고, 모양이 다른 모델의 체크포인트는 거절한다). "
                f"받은 값: checkpoint_dir={checkpoint_dir!r}, callbacks[{index}]={callback!r}."
            )
    return list(callbacks)


def make_callback_list(
    callbacks: list[Any],
    history: History,
    model: keras.Model,
    *,
    verbose: int,
    epochs: int,
    steps: int | None,
    **extra_params: Any,
) -> keras.callbacks.CallbackList:
    """``fit`` 한 번의 콜백: 사용자의 것, 기록, 진행 막대."""
    return keras.callbacks.CallbackList(
        [*callbacks, history],
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
        **extra_params,
    )


def terminates_on_nan(callbacks: list[Any]) -> bool:
    """손실이 NaN 이면 조용히 멈추라고 했는지(``TerminateOnNaN``)."""
    return any(isinstance(c, keras.callbacks.TerminateOnNaN) for c in callbacks)
