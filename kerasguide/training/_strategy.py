""":func:`kerasguide.fit` 의 ``tf.distribute``: 어떤 전략을 쓸지, 복제본마다의 손실.

:class:`kerasguide.training._loop.TensorFlowTrainer` 의 모든 스텝은 ``strategy.run`` 으로
실행한다. 전략이 없으면 텐서플로의 기본(장치 하나) 전략이고, 여기의 어떤 것도 계산을 바꾸지
않는다. 복제본이 여럿이면 ``tf.distribute`` 가 직접 만든 반복에 요구하는 것:

- 데이터: 배치는 모두 *전역* 배치다. ``strategy.experimental_distribute_dataset`` 이 복제본에
  (워커가 여럿이면 워커에도) 나눈다.
- 손실: 복제본의 손실은 전역 평균에서 제 몫, 곧 제 샘플의 평균 × (제 샘플 수 / 전역 배치)다.
  그래야 옵티마이저가 복제본에 걸쳐 더하는(all-reduce) 그레이디언트가 장치 하나에서처럼
  전역 평균 손실의 그레이디언트가 된다(고르게 나뉘지 않는 짧은 마지막 배치에서도).
  ``model.losses`` (규제)는 복제본 수로 나눈다(``tf.nn.scale_regularization_loss``).
- 기록: 복제본의 손실과 배치 크기는 ``strategy.reduce`` 로 더한다. 지표는 복제본마다
  갱신하고, 케라스가 읽을 때 더하는 변수(sync-on-read)로 둔다.

모델, 옵티마이저, 지표 객체의 변수는 ``strategy.scope()`` 안에서 만들어져야 한다.
:func:`check_created_in_scope` 가 어느 것이 아닌지 알린다.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf
from keras import ops

from kerasguide._checks import argument_error

__all__ = ["ReplicaLoss", "check_created_in_scope", "is_distributed", "resolve_strategy"]

# Loss reductions that divide by the number of samples; Keras then also divides by the number
# of replicas (keras.src.losses.loss.scale_loss_for_distribution).
_MEAN_REDUCTIONS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")
_SUM = tf.distribute.ReduceOp.SUM


def is_distributed(strategy: tf.distribute.Strategy) -> bool:
    """``strategy`` 가 진짜 전략인지(텐서플로의 기본 장치 하나 전략이 아닌지)."""
    return strategy is not tf.distribute.get_strategy() or tf.distribute.has_strategy()


def resolve_strategy(strategy: Any) -> tf.distribute.Strategy:
    """인자, 없으면 ``scope()`` 가 열린 전략, 그것도 없으면 기본 전략."""
    if strategy is None:
        return tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.Strategy):
        raise argument_error(
            "strategy",
            strategy,
            "tf.distribute.Strategy (MirroredStrategy, MultiWorkerMirroredStrategy, "
            "TPUStrategy, OneDeviceStrategy 등)나 None 이어야 한다",
            error=TypeError,
            hint="kerasguide.env.select_strategy() 가 이 환경에 맞는 전략을 만든다.",
        )
    if tf.distribute.has_strategy() and tf.distribute.get_strategy() is not strategy:
        current = type(tf.distribute.get_strategy()).__name__
        raise ValueError(
            f"다른 전략({current})의 scope() 안에서 strategy={type(strategy).__name__} 를 "
            "주었다. 모델을 만든 전략 하나만 쓴다: 그 전략의 scope() 안에서 부르거나 "
            "strategy= 로 넘긴다."
        )
    return strategy


def check_cross_replica_context() -> None:
    if tf.distribute.has_strategy() and not tf.distribute.in_cross_replica_context():
        raise ValueError(
            "kerasguide.fit 을 strategy.run(...) 안(복제본 문맥)에서 불렀다. fit 은 바깥에서 "
            "부른다: 복제본마다 실행할 스텝은 fit 이 strategy.run 으로 돌린다."
        )


def _tf_variable(variable: Any) -> Any:
    # Keras variables on the TensorFlow backend wrap a tf.Variable (here a distributed one).
    return variable.value if isinstance(variable, keras.Variable) else variable


def check_created_in_scope(
    strategy: tf.distribute.Strategy,
    model: keras.Model | None = None,
    optimizer: keras.optimizers.Optimizer | None = None,
    metrics: Sequence[keras.metrics.Metric] = (),
) -> None:
    """``strategy.scope()`` 안에서 만든 변수인지 확인한다. 아니면 무엇이 문제인지 알린다.

    Raises:
        ValueError: 모델, 옵티마이저, 지표 가운데 어느 것의 변수가 scope 밖에서 만들어졌다.
    """
    extended = strategy.extended
    name = type(strategy).__name__
    owners: list[tuple[str, list[Any]]] = []
    if model is not None:
        owners.append((f"모델 '{model.name}'", list(model.variables)))
    if optimizer is not None:
        owners.append((f"옵티마이저 {type(optimizer).__name__}", [optimizer.iterations]))
    owners.extend((f"지표 '{metric.name}'", list(metric.variables)) for metric in metrics)
    for owner, variables in owners:
        for variable in variables:
            if not extended.variable_created_in_scope(_tf_variable(variable)):
                raise ValueError(
                    f"{owner} 의 변수 '{variable.path}' 가 {name} 의 scope() 밖에서 "
                    "만들어졌다. 분산 훈련에서는 모델, 옵티마이저, 지표 객체를 모두 "
                    "`with strategy.scope():` 안에서 만든다 (옵티마이저와 지표는 'adam', "
                    "'accuracy' 처럼 이름으로 주면 fit 이 scope 안에서 만든다)."
                )


class ReplicaLoss:
    """복제본 하나가 줄이는 손실: 훈련기의 손실과 ``model.losses``, 복제본에 맞게 조정.

    복제본이 하나면 정확히 ``Model.compute_loss`` (훈련기의
    :meth:`~kerasguide.training._trainer.Trainer.add_model_losses`)다.
    """

    def __init__(self, strategy: tf.distribute.Strategy, trainer: Any):
        self.strategy = strategy
        self.trainer = trainer
        self.replicas = strategy.num_replicas_in_sync
        self.mean_loss = getattr(trainer.loss_fn, "reduction", None) in _MEAN_REDUCTIONS

    def __call__(self, y: Any, y_pred: Any, sample_weight: Any, local_size: Any) -> Any:
        loss = ops.cast(self.trainer.loss_fn(y, y_pred, sample_weight), keras.config.floatx())
        if self.replicas > 1 and self.mean_loss:
            # Keras divided this replica's mean by the number of replicas; make it this
            # replica's share of the global mean instead: mean * local / global.
            global_size = tf.distribute.get_replica_context().all_reduce(_SUM, local_size)
            loss = tf.math.divide_no_nan(loss * float(self.replicas) * local_size, global_size)
        scale = tf.nn.scale_regularization_loss if self.replicas > 1 else None
        return self.trainer.add_model_losses(loss, self.trainer.model.losses, scale)
