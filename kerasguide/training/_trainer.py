"""백엔드마다의 훈련기(trainer)가 함께 쓰는 뼈대: 케라스의 ``Trainer`` 와 같은 모양.

케라스는 ``keras/src/trainers/trainer.py`` 의 ``Trainer`` 가 컴파일된 상태(손실, 지표, 손실
추적기)를 갖고, 백엔드마다의 ``TensorFlowTrainer``, ``JAXTrainer`` 가 스텝과 컴파일된 함수만
더한다. 여기서도 같다.

- :func:`compile_on_batch`: ``Model.compile`` 과 ``Model.fit`` 이 첫 스텝 전에 하는 일. 배치
  하나의 모양으로 모델을 기호 텐서(``keras.KerasTensor``)로 만들고(build, ``Model.fit`` 처럼
  아무것도 실행하지 않는다), 타깃과 모델 출력의 모양으로 ``"accuracy"`` 같은 별칭을 풀고,
  모델을 그 손실·옵티마이저·지표로 ``compile`` 하고(``mixed_float16`` 이면
  ``LossScaleOptimizer``), 옵티마이저의 변수를 만든다.
- :class:`Trainer`: 손실 함수, 옵티마이저, 지표와 그 결과, 손실 추적기, ``traces``, 그리고
  손실에 ``model.losses`` 를 더하는 규칙 하나(:meth:`Trainer.add_model_losses`, 케라스의
  ``Trainer._aggregate_additional_loss`` 와 같다: 실수가 아닌 손실만 ``floatx`` 로 바꾼다).
  백엔드는 :meth:`Trainer.run` (컴파일된 함수 한 번 실행)만 쓴다.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass
from typing import Any

import keras

import kerasguide.training._resolve as _resolve
from kerasguide.training._model_compile import compile_model

__all__ = ["Compiled", "Trainer", "compile_on_batch"]


@dataclass
class Compiled:
    """``compile_on_batch`` 가 푼 손실 함수, 지표, 옵티마이저."""

    loss_fn: Any
    metrics: list[keras.metrics.Metric]
    weighted_metrics: list[keras.metrics.Metric]
    optimizer: keras.optimizers.Optimizer


def call_has_training(model: keras.Model) -> bool:
    """모델의 ``call`` 이 ``training`` 인자를 받는지."""
    return "training" in inspect.signature(model.call).parameters


def compile_on_batch(
    model: keras.Model,
    sample: tuple[Any, ...],
    *,
    loss: Any,
    metric_ids: list[Any],
    weighted_metric_ids: list[Any],
    optimizer: keras.optimizers.Optimizer,
) -> Compiled:
    """``sample`` (``(x, y[, sw])``) 의 모양으로 ``model`` 을 만들고, 훈련에 쓸 것을 풀고,
    모델을 그것으로 ``compile`` 한다 (:mod:`kerasguide.training._model_compile`)."""
    from keras.src.backend import compute_output_spec  # Model.fit's symbolic build uses it

    x_sample, y_sample, _ = keras.utils.unpack_x_y_sample_weight(sample)
    # Symbolic, as Model.fit builds: nothing runs, so a layer's side effects (a counter in
    # call) happen only in training steps.
    x, y = (keras.tree.map_structure(_symbolic, part) for part in (x_sample, y_sample))
    y_pred = compute_output_spec(model, x, training=False)
    if not model.trainable_variables:
        # Model.fit trains such a model too (non-trainable state, metrics) and warns.
        warnings.warn(
            f"모델 '{model.name}' 에 훈련할 가중치(trainable_variables)가 없다: 옵티마이저는 "
            "아무것도 바꾸지 않고, 정방향 패스와 지표만 계산한다 (Model.fit 과 같다).",
            stacklevel=4,
        )
    y_shape, y_pred_shape = tuple(y.shape), tuple(y_pred.shape)
    loss_fn = _resolve.resolve_loss(loss, y_shape, y_pred_shape)
    metrics = [_resolve.resolve_metric(m, y_shape, y_pred_shape) for m in metric_ids]
    weighted = [_resolve.resolve_metric(m, y_shape, y_pred_shape) for m in weighted_metric_ids]
    compute_output_spec(loss_fn, y, y_pred)  # a loss that does not fit y fails here
    # Model.compile wraps a mixed_float16 model's optimizer in a LossScaleOptimizer.
    optimizer = compile_model(
        model, loss=loss, optimizer=optimizer, metrics=metrics, weighted_metrics=weighted,
        symbolic_batch=(x, y, y_pred),
    )  # fmt: skip
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return Compiled(loss_fn, metrics, weighted, optimizer)


def _symbolic(value: Any) -> Any:
    return None if value is None else keras.KerasTensor(value.shape, dtype=value.dtype)


class Trainer:
    """한 번의 ``fit`` 이 쓰는 컴파일된 상태. 백엔드 훈련기는 :meth:`run` 만 더한다.

    :meth:`create` 로 만든다. ``run(kind, batches)`` 는 에포크 반복자
    (:mod:`kerasguide.training._epoch_iterator`)가 내놓은 한 호출 분량의 배치를 컴파일된 함수
    한 번으로 훈련("train")하거나 평가("validation")하고 ``(실행한 스텝 수, 지표 값)`` 을
    돌려준다. 훈련 중에 손실이 유한하지 않게 되면 그 스텝에서 멈추므로 실행한 스텝 수가 받은
    배치 수보다 적다.
    """

    #: ``tf.distribute`` 의 여러 복제본에서 훈련하는지(텐서플로 훈련기만 참일 수 있다).
    distributed: bool = False

    def __init__(
        self,
        model: keras.Model,
        compiled: Compiled,
        *,
        steps_per_execution: int,
        jit_compile: bool,
        strategy: Any = None,
    ) -> None:
        self.model = model
        self.strategy = strategy  # a tf.distribute strategy (TensorFlow), else None
        self.loss_fn = compiled.loss_fn
        self.optimizer = compiled.optimizer
        self.metrics = compiled.metrics
        self.weighted_metrics = compiled.weighted_metrics
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.steps_per_execution = steps_per_execution
        self.jit_compile = jit_compile
        self.call_has_training = call_has_training(model)
        self.traces: dict[str, int] = {"train": 0, "validation": 0}
        self.log_names = [
            "loss",
            *_resolve.metric_log_names(self.metrics, self.weighted_metrics),
        ]
        self._setup()

    def _setup(self) -> None:
        """백엔드 훈련기가 자기 상태(컴파일된 함수의 캐시 등)를 만든다."""

    @classmethod
    def create(
        cls,
        model: keras.Model,
        sample: tuple[Any, ...],
        *,
        steps_per_execution: int,
        jit_compile: bool | str,
        strategy: Any = None,
        **compile_args: Any,
    ) -> Any:
        """배치 하나로 모델을 만들고 손실과 지표를 푼 뒤(:func:`compile_on_batch` 에
        ``compile_args`` 를 넘긴다) 이 백엔드의 훈련기를 만든다."""
        return cls(
            model,
            compile_on_batch(model, sample, **compile_args),
            steps_per_execution=steps_per_execution,
            jit_compile=cls.resolve_jit_compile(model, jit_compile, strategy),
            strategy=strategy,
        )

    @classmethod
    def resolve_jit_compile(
        cls, model: keras.Model, jit_compile: bool | str, strategy: Any
    ) -> bool:
        """``jit_compile="auto"`` 의 뜻 (백엔드마다 다르다)."""
        raise NotImplementedError

    # --- the loss -----------------------------------------------------------------------------

    @staticmethod
    def add_model_losses(loss: Any, model_losses: list[Any], scale: Any = None) -> Any:
        """``loss`` 를 ``floatx`` 로 바꾸고 ``model.losses`` (규제, ``add_loss``)를 더한다.

        케라스의 ``Trainer.compute_loss`` 와 같은 규칙이다: 추가 손실마다 합계를 내고, 실수가
        아닌 것만 ``floatx`` 로 바꾼다. ``scale`` 이 있으면 추가 손실의 합에 적용한다(복제본
        수로 나누는 ``tf.nn.scale_regularization_loss``).
        """
        floatx = keras.config.floatx()
        loss = keras.ops.cast(loss, floatx)
        extras = []
        for extra in model_losses:
            if not keras.backend.is_float_dtype(extra.dtype):
                extra = keras.ops.cast(extra, floatx)
            extras.append(keras.ops.sum(extra))
        if not extras:
            return loss
        regularization = keras.ops.sum(extras) if len(extras) > 1 else extras[0]
        if scale is not None:
            regularization = scale(regularization)
        return keras.ops.add(loss, regularization)  # Keras's dtype promotion, as compute_loss

    # --- metrics ----------------------------------------------------------------------------

    def all_metrics(self) -> list[keras.metrics.Metric]:
        return [self.loss_tracker, *self.metrics, *self.weighted_metrics]

    def sync(self) -> None:
        """살아 있는 상태를 케라스 변수에 쓴다. 텐서플로는 변수를 그 자리에서 바꾸므로 할 일이
        없다."""

    def reset_metrics(self) -> None:
        self.sync()
        for metric in self.all_metrics():
            metric.reset_state()

    def results(self) -> dict[str, Any]:
        values = [m.result() for m in self.all_metrics()]
        return dict(zip(self.log_names, values, strict=True))

    # --- one compiled call --------------------------------------------------------------------

    def tf_iterator(self) -> Any:
        """``tf.data`` 데이터셋을 컴파일된 함수가 읽을 반복자로 바꾸는 함수. ``None`` 이면 이
        백엔드는 넘파이 배치를 파이썬에서 받는다 (JAX)."""
        return None

    def run(self, kind: str, batches: Any) -> tuple[int, dict[str, Any]]:
        """한 호출 분량의 ``batches`` 를 실행한다. ``(실행한 스텝 수, 지표 값)``."""
        raise NotImplementedError
