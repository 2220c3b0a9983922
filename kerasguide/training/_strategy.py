"""``tf.distribute`` for :func:`kerasguide.fit`: which strategy, and the loss on each replica.

Every step of :class:`kerasguide.training._loop.TrainLoop` runs through ``strategy.run``; with
no strategy that is TensorFlow's default (one device) strategy, and nothing here changes the
arithmetic. With several replicas, what ``tf.distribute`` asks of a custom loop:

- Data: every batch is a *global* batch; ``strategy.experimental_distribute_dataset`` splits it
  across the replicas (and, with several workers, across the workers).
- Loss: each replica's loss is its share of the global mean, the mean over its own samples
  times (its samples / the global batch), so that the gradients the optimizer sums over the
  replicas (an all-reduce) are the gradients of the global mean loss, as on one device, even for
  a short last batch that does not split evenly. ``model.losses`` (regularisation) are divided
  by the number of replicas (``tf.nn.scale_regularization_loss``).
- Logs: the replicas' losses and batch sizes are summed with ``strategy.reduce``. Metrics are
  updated in each replica; Keras keeps them as sync-on-read variables, summed when read.

The model, the optimizer and the metric objects must own variables created under
``strategy.scope()``; :func:`check_created_in_scope` says which one does not.
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
    """Whether ``strategy`` is a real one (not TensorFlow's default one-device strategy)."""
    return strategy is not tf.distribute.get_strategy() or tf.distribute.has_strategy()


def resolve_strategy(strategy: Any) -> tf.distribute.Strategy:
    """The argument, else the strategy whose ``scope()`` is open, else the default strategy."""
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
    """The loss one replica minimises: ``loss_fn`` plus ``model.losses``, scaled for replicas.

    With one replica this is exactly ``Model.compute_loss``: the compiled loss plus the sum of
    each of ``model.losses`` (regularizers, ``add_loss``), cast to ``floatx``.
    """

    def __init__(self, strategy: tf.distribute.Strategy, loss_fn: Any, model: keras.Model):
        self.strategy = strategy
        self.loss_fn = loss_fn
        self.model = model
        self.replicas = strategy.num_replicas_in_sync
        self.mean_loss = getattr(loss_fn, "reduction", None) in _MEAN_REDUCTIONS

    def __call__(self, y: Any, y_pred: Any, sample_weight: Any, local_size: Any) -> Any:
        floatx = keras.config.floatx()
        loss = ops.cast(self.loss_fn(y, y_pred, sample_weight), floatx)
        if self.replicas > 1 and self.mean_loss:
            # Keras divided this replica's mean by the number of replicas; make it this
            # replica's share of the global mean instead: mean * local / global.
            global_size = tf.distribute.get_replica_context().all_reduce(_SUM, local_size)
            loss = tf.math.divide_no_nan(loss * float(self.replicas) * local_size, global_size)
        extras = []
        for extra in self.model.losses:
            if not keras.backend.is_float_dtype(extra.dtype):
                extra = ops.cast(extra, floatx)
            extras.append(ops.sum(extra))
        if not extras:
            return loss
        regularization = ops.sum(extras) if len(extras) > 1 else extras[0]
        if self.replicas > 1:
            regularization = tf.nn.scale_regularization_loss(regularization)
        return loss + regularization
