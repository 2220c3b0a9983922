"""``fit`` 이 남기는 모델: 훈련한 손실·옵티마이저·지표로 ``compile`` 되어 있다.

``Model.fit`` 을 쓰는 사람은 언제나 ``compile`` 된 모델을 갖고 있다. 그래서 ``model.evaluate``,
``model.predict``, ``model.save`` (컴파일 설정과 옵티마이저 상태까지), 미세 조정을 위한
``model.fit`` 이 언제든 되고, 콜백은 ``model.metrics`` 에서 지표의 방향(``mode="auto"``)을,
``model.optimizer`` 에서 옵티마이저를 찾는다. ``fit`` 도 첫 스텝 전에 ``Model.compile`` 을 직접
불러 같은 약속을 지킨다: 훈련 반복이 갱신하는 바로 그 지표 객체와 옵티마이저로 ``compile``
하므로 ``model.metrics`` 에는 반복이 계산한 값이 있다. 사용자가 ``compile`` 한 모델은 ``fit`` 에
손실·옵티마이저·지표를 주지 않으면 그 ``compile`` 을 그대로 쓴다.

JAX 에서는 훈련 반복이 호출 사이의 상태를 케라스 변수 밖에 둔다(케라스의 JAX 트레이너와
같다). 콜백이 ``self.model`` 을 읽으면 케라스의 ``Callback.model`` 이 ``model.jax_state_sync()``
를 불러 상태를 먼저 써 넣는데, ``fit`` 에서도 그렇게 되게 한다(:func:`callbacks_see_current_state`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras

__all__ = ["callbacks_see_current_state", "compile_model", "model_compile_args"]


@contextlib.contextmanager
def callbacks_see_current_state(model: keras.Model, loop: Any) -> Iterator[None]:
    """JAX 에서 ``fit`` 이 도는 동안 ``model.jax_state_sync()`` 가 훈련기의 상태를 써 넣는다.

    케라스의 ``Callback.model`` 이 콜백에 모델을 건네기 전에 이것을 부른다(에포크 중간의
    체크포인트, 변수를 읽는 배치 훅). ``Model.fit`` 과 같다. 끝날 때도(콜백이나 사용자가
    훈련을 중단해도) 상태를 써 넣는다.
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
    """``model.compile(...)`` 이 받은 것 (``compile`` 한 적 없는 모델이면 ``None``)."""
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
    """``fit`` 의 손실, 옵티마이저, 지표 객체로 ``model.compile`` 하고 쓸 옵티마이저를 돌려준다.

    ``loss`` 는 사용자가 준 식별자(이름, ``Loss``, 함수)라서 ``model.save`` 가 ``Model.compile``
    과 같은 것을 저장한다. ``fit`` 에 인자가 없는 앞선 ``compile`` 의 설정
    (``steps_per_execution``, ``jit_compile``, ``run_eagerly``, ``loss_weights``)은 남긴다.
    컴파일된 지표는 ``symbolic_batch`` (``keras.KerasTensor`` 인 ``(x, y, y_pred)``)로
    ``Model.fit`` 처럼 모델을 실행하지 않고 만든다: ``mode="auto"`` 인 콜백이 거기서 지표마다의
    방향을 찾는다. ``mixed_float16`` 모델이면 돌려주는 옵티마이저가 ``LossScaleOptimizer`` 다.
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
