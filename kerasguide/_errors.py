"""kerasguide 의 예외를 한곳에 둔다 (텐서플로를 가져오지 않으므로 명령줄 도구가 빠르다)."""

from __future__ import annotations

import math

__all__ = ["DevicesAlreadyInitializedError", "NonFiniteLossError", "UnsupportedBackendError"]


class NonFiniteLossError(FloatingPointError):
    """훈련 손실이 NaN 이나 무한대가 되어 :func:`kerasguide.fit` 이 훈련을 멈췄다.

    ``fit`` 은 컴파일된 함수 한 번(``steps_per_execution`` 스텝)이 끝날 때마다 손실을 보고,
    손실이 처음으로 유한하지 않게 된 스텝에서 그 호출의 나머지 스텝을 건너뛴 뒤 이 오류를
    낸다. 이 에포크의 체크포인트는 저장하지 않으므로 ``checkpoint_dir`` 의 마지막
    체크포인트(앞 에포크 끝)는 그대로 남는다. 메모리에 있는 모델의 가중치는 문제의 스텝에서
    이미 갱신되어 망가졌을 수 있다. 텐서플로에서 XLA 없이(``jit_compile=False``) 훈련하면
    가중치가 유한하지 않게 된 스텝도 손실이 NaN 인 스텝으로 본다: oneDNN 의 합쳐진 커널은 입력의
    NaN 을 0으로 바꿔 손실은 유한한 채로 가중치만 망가뜨리기 때문이다.

    Attributes:
        epoch: 문제가 생긴 에포크. 진행 막대처럼 1부터 센다.
        epochs: 전체 에포크 수.
        step: 그 에포크 안에서 손실이 처음 유한하지 않게 된 스텝. 1부터 센다.
        steps: 에포크당 스텝 수. 모르면 ``None``.
        loss: 그때의 손실 값(``nan``, ``inf``, ``-inf``). 그 에포크의 평균 손실이다.
        checkpoint: 남아 있는 마지막 체크포인트의 경로. ``checkpoint_dir`` 를 주지 않았거나
            아직 저장한 것이 없으면 ``None``.
    """

    def __init__(
        self,
        *,
        epoch: int,
        epochs: int,
        step: int,
        steps: int | None,
        loss: float,
        checkpoint: str | None,
    ) -> None:
        self.epoch = epoch
        self.epochs = epochs
        self.step = step
        self.steps = steps
        self.loss = loss
        self.checkpoint = checkpoint
        super().__init__(self._message())

    def _message(self) -> str:
        steps = f"/{self.steps}" if self.steps is not None else ""
        value = "nan" if math.isnan(self.loss) else ("inf" if self.loss > 0 else "-inf")
        if self.checkpoint is None:
            kept = "저장된 체크포인트는 없다 (checkpoint_dir 를 주면 에포크마다 저장한다)."
        else:
            kept = (
                f"마지막 체크포인트 {self.checkpoint} 는 그대로다: 같은 checkpoint_dir 로 다시 "
                "부르면 거기서 이어서 훈련한다."
            )
        return (
            f"에포크 {self.epoch}/{self.epochs} 의 스텝 {self.step}{steps} 에서 훈련 손실이 "
            f"유한하지 않은 값({value})이 되어 훈련을 멈췄다. {kept} "
            "입력 데이터에 NaN 이나 inf 가 없는지 확인하고, 학습률을 낮추거나 옵티마이저의 "
            "clipnorm 으로 그레이디언트를 자르거나, 손실 함수가 log(0) 이나 0 으로 나누기를 "
            "하지 않는지 본다."
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only constructor: pickle (multiprocessing, pytest-xdist) rebuilds it this way.
        return (
            _rebuild,
            (self.epoch, self.epochs, self.step, self.steps, self.loss, self.checkpoint),
        )


def _rebuild(
    epoch: int, epochs: int, step: int, steps: int | None, loss: float, checkpoint: str | None
) -> NonFiniteLossError:
    return NonFiniteLossError(
        epoch=epoch, epochs=epochs, step=step, steps=steps, loss=loss, checkpoint=checkpoint
    )


class DevicesAlreadyInitializedError(RuntimeError):
    """텐서플로가 장치를 이미 초기화한 뒤에 장치 설정을 바꾸려 할 때 일어난다.

    메모리 증가와 논리 장치 설정은 텐서플로가 처음 연산을 실행하며 장치를 초기화하기 전에만
    바꿀 수 있다. 노트북 맨 위에서 부르거나, 런타임(커널)을 다시 시작한 뒤 가장 먼저 부른다.
    원래 텐서플로 오류는 ``__cause__`` 에 남는다.
    """


class UnsupportedBackendError(RuntimeError):
    """:func:`kerasguide.fit` 이 지원하지 않는 케라스 백엔드(예: ``torch``)에서 불렸다.

    ``kerasguide`` 를 가져오는 것과 :class:`~kerasguide.SimpleDense` 는 모든 백엔드에서 되지만,
    처음부터 작성한 훈련 반복은 백엔드마다 따로 쓴다(텐서플로는 ``tf.GradientTape``,
    JAX 는 ``jax.value_and_grad``).

    Attributes:
        backend: 지금 케라스 백엔드의 이름.
        supported: 지원하는 백엔드 이름들.
    """

    def __init__(self, backend: str, supported: tuple[str, ...]) -> None:
        self.backend = backend
        self.supported = supported
        names = ", ".join(supported)
        super().__init__(
            f"kerasguide.fit 은 케라스의 {names} 백엔드에서 동작한다. 지금 백엔드: {backend!r} "
            "(keras.backend.backend()). 환경 변수 KERAS_BACKEND=tensorflow 나 KERAS_BACKEND=jax "
            "를 keras 를 가져오기 전에 설정하거나, 이 백엔드에서는 model.compile(...) 과 "
            "model.fit(...) 을 쓴다."
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (UnsupportedBackendError, (self.backend, self.supported))
