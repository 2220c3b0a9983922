""":func:`kerasguide.fit` 이 돌려주는 것: 조금 더 담은 ``keras.callbacks.History``."""

from __future__ import annotations

import time
from typing import Any

import keras

__all__ = ["History"]


class History(keras.callbacks.History):  # type: ignore[misc]
    """:func:`kerasguide.fit` 의 결과. 케라스 ``Model.fit`` 이 돌려주는 ``History`` 콜백이다.

    ``keras.callbacks.History`` 를 상속하므로 케라스 코드가 ``History`` 를 기대하는 곳에 그대로
    쓸 수 있고, ``fit`` 이 끝나면 ``model.history`` 도 이 객체다.

    Attributes:
        history: ``"loss"``, 각 지표, 그리고 검증 데이터가 있으면 ``"val_loss"`` 와
            ``"val_<지표>"`` 를 에포크별 값의 리스트로 담은 사전.
        epoch: 에포크 번호(0부터) 리스트.
        params: ``{"verbose", "epochs", "steps", "batch_size", "steps_per_execution",
            "jit_compile"}``. ``steps`` 는 에포크당 스텝 수(모르면 ``None``). 모든 콜백이
            같은 ``params`` 를 받는다.
        model: 훈련한 모델.
        traces: 훈련 스텝과 검증 스텝(정방향 패스·손실·역전파를 담은 ``tf.function``)이 추적
            (trace)된 횟수. ``{"train": 1, "validation": 1}`` 이면 에포크가 몇 번이든,
            마지막 배치가 짧든 다시 추적하지 않았다는 뜻이다.
        epoch_seconds: 에포크별 벽시계 시간(초, 검증 포함). 첫 에포크에는 추적과 컴파일
            시간이 들어 있다.
        initial_epoch: 이번 호출이 시작한 에포크(0부터). ``initial_epoch=`` 인자의 값이거나,
            ``checkpoint_dir`` 의 체크포인트에서 이어서 훈련했으면 이미 끝난 에포크 수다. 이어서
            훈련했을 때 ``history``, ``epoch``, ``epoch_seconds`` 에는 체크포인트에 저장된 앞
            에포크들의 값도 들어 있다.
    """

    def __init__(self) -> None:
        super().__init__()
        self.epoch: list[int] = []
        self.traces: dict[str, int] = {"train": 0, "validation": 0}
        self.epoch_seconds: list[float] = []
        self.initial_epoch = 0
        self._epoch_start = 0.0

    def resume(
        self, epochs_done: int, history: dict[str, list[float]], epoch_seconds: list[float]
    ) -> None:
        """체크포인트에 기록된, 이미 끝난 에포크들에서 시작한다."""
        self.initial_epoch = epochs_done
        self.epoch = list(range(epochs_done))
        self.history = {name: list(values) for name, values in history.items()}
        self.epoch_seconds = list(epoch_seconds)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        # keras.callbacks.History empties `epoch` here; a resumed record is kept.
        pass

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch_seconds.append(time.perf_counter() - self._epoch_start)
        super().on_epoch_end(epoch, logs)

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"<History epochs={len(self.epoch)} keys=[{keys}]>"
