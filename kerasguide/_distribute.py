"""``tf.distribute`` for :func:`kerasguide.fit`: per-replica steps and cross-replica reductions.

The distributed loop is the single-device loop (:class:`kerasguide.training._TrainLoop`) with
three changes, which are what ``tf.distribute`` asks of a custom training loop:

- Data: every batch is a *global* batch. ``strategy.experimental_distribute_dataset`` splits it
  across the replicas (and, with several workers, across the workers). Arrays become a
  ``tf.data.Dataset`` of the same shuffled batches as on one device, one per epoch.
- Step: ``strategy.run`` runs the forward pass, the loss and the gradients on every replica.
  Each replica's loss is its share of the global mean: the mean over its own samples times
  (its samples / the global batch), so that the gradients that the optimizer sums over the
  replicas (an all-reduce) are the gradients of the global mean loss, as on one device, even
  for a short last batch that does not split evenly. ``model.losses`` (regularisation) are
  divided by the number of replicas (``tf.nn.scale_regularization_loss``).
- Logs: the replicas' losses and batch sizes are summed with ``strategy.reduce``. Metrics are
  updated in each replica; Keras keeps them as sync-on-read variables, summed when read.

The model, the optimizer and the metric objects must own variables created under
``strategy.scope()``; :func:`check_created_in_scope` says which one does not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import keras
import tensorflow as tf
from keras import ops

from kerasguide import _validation as check
from kerasguide.training import _ArrayData, _batch_size, _Data, _DatasetData, _TrainLoop

__all__ = ["DistributedTrainLoop", "check_created_in_scope", "create_loop", "resolve_strategy"]

# Loss reductions that divide by the number of samples; Keras then also divides by the number
# of replicas (keras.src.losses.loss.scale_loss_for_distribution).
_MEAN_REDUCTIONS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")
_SUM = tf.distribute.ReduceOp.SUM


def resolve_strategy(strategy: Any) -> tf.distribute.Strategy | None:
    """The strategy to use: the argument, else the one whose ``scope()`` is open, else None."""
    if strategy is None:
        return tf.distribute.get_strategy() if tf.distribute.has_strategy() else None
    if not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(
            "strategy 는 tf.distribute.Strategy (MirroredStrategy, MultiWorkerMirroredStrategy, "
            "TPUStrategy, OneDeviceStrategy 등)나 None 이어야 한다. "
            f"받은 값: strategy={strategy!r} ({type(strategy).__name__}). "
            "kerasguide.env.select_strategy() 가 이 환경에 맞는 전략을 만든다."
        )
    if tf.distribute.has_strategy() and tf.distribute.get_strategy() is not strategy:
        current = type(tf.distribute.get_strategy()).__name__
        raise ValueError(
            f"다른 전략({current})의 scope() 안에서 strategy={type(strategy).__name__} 를 "
            "주었다. 모델을 만든 전략 하나만 쓴다: 그 전략의 scope() 안에서 부르거나 "
            "strategy= 로 넘긴다."
        )
    if tf.distribute.has_strategy() and not tf.distribute.in_cross_replica_context():
        raise ValueError(
            "kerasguide.fit 을 strategy.run(...) 안(복제본 문맥)에서 불렀다. fit 은 바깥에서 "
            "부른다: 복제본마다 실행할 스텝은 fit 이 strategy.run 으로 돌린다."
        )
    return strategy


def _tf_variable(variable: Any) -> Any:
    # Keras variables on the TensorFlow backend wrap a tf.Variable (here a distributed one).
    return variable.value if isinstance(variable, keras.Variable) else variable


def create_loop(
    strategy: tf.distribute.Strategy,
    model: keras.Model,
    sample: tuple[Any, Any],
    *,
    loss: Any,
    metric_ids: list[Any],
    optimizer: Any,
    steps_per_execution: int,
    jit_compile: bool | str,
) -> DistributedTrainLoop:
    """Build the distributed loop inside ``strategy.scope()``.

    The optimizer and the metrics named by a string are created there; objects the user made
    must have been made there, and so must the model's variables if it is already built.
    ``jit_compile="auto"`` means no XLA, as in ``Model.fit`` with ``tf.distribute``.
    """
    if model.built and model.variables:
        check_created_in_scope(strategy, model)
    with strategy.scope():
        if isinstance(optimizer, keras.optimizers.Optimizer):
            check_created_in_scope(strategy, optimizer=optimizer)
        loop = DistributedTrainLoop.create(
            model,
            sample,
            loss=loss,
            metric_ids=metric_ids,
            optimizer=check.resolve_optimizer(optimizer),
            steps_per_execution=steps_per_execution,
            jit_compile=False if jit_compile == "auto" else jit_compile,
        )
    assert isinstance(loop, DistributedTrainLoop)
    check_created_in_scope(strategy, model, loop.optimizer, loop.metrics)
    return loop


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


class DistributedTrainLoop(_TrainLoop):
    """:class:`_TrainLoop` whose steps run on every replica of the current strategy.

    Construct it (through ``create``) inside ``strategy.scope()``: it takes the strategy from
    ``tf.distribute.get_strategy()`` and creates its loss tracker there.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.strategy = tf.distribute.get_strategy()
        self._distributed: dict[int, Any] = {}
        reduction = getattr(self.loss_fn, "reduction", None)
        self._mean_loss = reduction in _MEAN_REDUCTIONS

    # --- per-replica steps ------------------------------------------------------------------

    def _replica_loss(self, y: Any, y_pred: Any, local: Any, global_size: Any) -> Any:
        floatx = keras.config.floatx()
        loss = ops.cast(self.loss_fn(y, y_pred), floatx)
        if self._mean_loss:
            # Keras divided this replica's mean by the number of replicas; make it this
            # replica's share of the global mean instead: mean * local / global.
            replicas = tf.cast(self.strategy.num_replicas_in_sync, floatx)
            loss = tf.math.divide_no_nan(loss * replicas * local, global_size)
        extras = []
        for extra in self.model.losses:
            if not keras.backend.is_float_dtype(extra.dtype):
                extra = ops.cast(extra, floatx)
            extras.append(ops.sum(extra))
        if extras:
            loss = loss + tf.nn.scale_regularization_loss(ops.sum(extras))
        return loss

    def _replica_train_step(self, data: Any) -> tuple[Any, Any]:
        x, y = data
        floatx = keras.config.floatx()
        local = _batch_size(x, floatx)
        global_size = tf.distribute.get_replica_context().all_reduce(_SUM, local)
        trainable = self.model.trainable_variables
        with tf.GradientTape() as tape:
            y_pred = self._call_model(x, training=True)
            loss = self._replica_loss(y, y_pred, local, global_size)
            scaled_loss = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled_loss, trainable)
        self.optimizer.apply(gradients, trainable)  # sums the gradients over the replicas
        self._update_metrics(y, y_pred)
        return loss, local

    def _replica_test_step(self, data: Any) -> tuple[Any, Any]:
        x, y = data
        floatx = keras.config.floatx()
        local = _batch_size(x, floatx)
        global_size = tf.distribute.get_replica_context().all_reduce(_SUM, local)
        y_pred = self._call_model(x, training=False)
        loss = self._replica_loss(y, y_pred, local, global_size)
        self._update_metrics(y, y_pred)
        return loss, local

    def _reduce(self, per_replica: tuple[Any, Any]) -> tuple[Any, Any]:
        loss, size = per_replica
        return (
            self.strategy.reduce(_SUM, loss, axis=None),
            self.strategy.reduce(_SUM, size, axis=None),
        )

    # The multi-step loops of _TrainLoop call these with one global (distributed) batch.

    def _train_step(self, data: Any) -> tuple[Any, Any]:
        self.traces["train"] += 1  # called only while tracing a compiled function
        return self._reduce(self.strategy.run(self._replica_train_step, args=(data,)))

    def _test_step(self, data: Any) -> tuple[Any, Any]:
        self.traces["validation"] += 1
        return self._reduce(self.strategy.run(self._replica_test_step, args=(data,)))

    # --- data -------------------------------------------------------------------------------

    def _function(self, kind: str, data: _Data) -> Any:
        key = (kind, id(data))
        if key not in self._functions:
            step = self._train_step if kind == "train" else self._test_step
            exact = data.steps is not None
            self._functions[key] = self._iterator_function(step, exact=exact, guard=kind == "train")
        return self._functions[key]

    def _dataset(self, data: _Data, epoch: int) -> Any:
        """The distributed dataset of one epoch."""
        if isinstance(data, _DatasetData):
            if id(data) not in self._distributed:
                self._distributed[id(data)] = self.strategy.experimental_distribute_dataset(
                    data.dataset
                )
            return self._distributed[id(data)]
        return self.strategy.experimental_distribute_dataset(_epoch_dataset(data, epoch))

    def _calls(self, kind: str, data: _Data, epoch: int) -> Iterator[tuple[int, dict[str, Any]]]:
        function = self._function(kind, data)
        yield from self._iterator_calls(function, iter(self._dataset(data, epoch)), data.steps)


def _epoch_dataset(data: _ArrayData, epoch: int) -> tf.data.Dataset:
    """The batches of one epoch of arrays, in the same order as on one device."""
    x, y = data.x, data.y

    def gather(indices: Any) -> tuple[Any, Any]:
        return tf.gather(x, indices), tf.gather(y, indices)

    dataset = (
        tf.data.Dataset.from_tensor_slices(data._order(epoch))
        .batch(data.batch_size)
        .map(gather)
        .prefetch(tf.data.AUTOTUNE)
    )
    options = tf.data.Options()
    # Every worker holds the same arrays: split each global batch among the workers.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)
