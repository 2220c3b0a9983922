"""The compiled training loop of :func:`kerasguide.fit`: one step, run many times per call.

One step is the lecture's mini-batch gradient descent: forward pass, loss (the model's own
``model.losses`` included), gradients with ``tf.GradientTape``, ``optimizer.apply``, metric
updates. As in Keras's own trainer (``keras/src/backend/tensorflow/trainer.py``), every step
runs through ``strategy.run`` of a ``tf.distribute`` strategy, the default (one device) one
when none is given, so the same step serves one device and many replicas; only the loss
scaling across replicas (:mod:`kerasguide.training._strategy`) and the way batches arrive
differ.

Every compiled function runs several steps per call in a ``tf.while_loop`` and returns
``(steps_run, logs)``:

- arrays on one device: the function takes a chunk of batches, shape ``(steps, batch, ...)``.
  With XLA the whole chunk (all its steps) is one compiled program. Its signature has unknown
  dimensions, so it is traced once; XLA compiles once per chunk shape.
- datasets, and every input on several replicas: the function pulls batches from a
  (distributed) iterator; one step is its own ``tf.function`` (XLA-compiled if asked).

With ``guard`` (training), a call stops after the first step whose loss is NaN or infinite and
reports that step as its last: the running loss sum is then not finite either, which is all
the loop condition checks.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import keras
import tensorflow as tf

import kerasguide._resolve as _resolve
import kerasguide.training._strategy as _strategy
from kerasguide.training._compile import compile_on_batch
from kerasguide.training._data import ArrayData, Data, DatasetData

__all__ = ["TrainLoop", "supports_jit"]

# Steps per iteration of the compiled loop when the number of steps is known.
_UNROLL = 4
_SUM = tf.distribute.ReduceOp.SUM

# A call of a compiled function: run it and get (steps_run, logs).
Call = Callable[[], tuple[int, dict[str, Any]]]


def supports_jit(model: keras.Model) -> bool:
    """``jit_compile="auto"``: Keras's ``model_supports_jit`` rule, without its CPU exception."""
    # Every layer, nested ones included (Layer._flatten_layers is what Keras itself uses).
    layers = model._flatten_layers() if hasattr(model, "_flatten_layers") else model.layers
    if not all(getattr(layer, "supports_jit", True) for layer in layers):
        return False
    # XLA does not support every op under op determinism (Keras turns XLA off there too).
    try:  # only a setter is public; Keras reads the flag from the same private module
        from tensorflow.python.framework.config import is_op_determinism_enabled
    except ImportError:  # pragma: no cover - other TensorFlow versions
        return True
    return not is_op_determinism_enabled()


def _compiled(function: Callable[..., Any], **options: Any) -> Any:
    """``tf.function(function, **options)``, without TensorFlow's frequent-retracing warning.

    Every ``fit`` call makes its own compiled functions from the same nested Python functions,
    and TensorFlow counts traces by the function's code object: a page or a test that calls
    ``fit`` many times would read "N out of the last M calls triggered tf.function retracing",
    although each of these functions is traced once. ``history.traces`` counts the real
    traces. (A private attribute of ``tf.function``; without it only the warning comes back.)
    """
    compiled = tf.function(function, **options)
    if hasattr(compiled, "_omit_frequent_tracing_warning"):
        compiled._omit_frequent_tracing_warning = True
    return compiled


def _batch_size(x: Any, dtype: Any) -> Any:
    # x may be nested (a dict of inputs from a dataset): every input has the batch axis first.
    return tf.cast(tf.shape(tf.nest.flatten(x)[0])[0], dtype)


def _unpack(data: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    return (data[0], data[1], data[2] if len(data) == 3 else None)


class TrainLoop:
    """The compiled functions, and the state (loss tracker, metrics) they update.

    Build it with :meth:`create`, inside ``strategy.scope()`` for a non-default strategy.
    """

    def __init__(
        self,
        model: keras.Model,
        loss_fn: Any,
        optimizer: Any,
        metrics: list[keras.metrics.Metric],
        weighted_metrics: list[keras.metrics.Metric],
        *,
        strategy: tf.distribute.Strategy,
        steps_per_execution: int,
        jit_compile: bool,
    ) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.metrics = metrics
        self.weighted_metrics = weighted_metrics
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.strategy = strategy
        self.distributed = _strategy.is_distributed(strategy)
        self.replica_loss = _strategy.ReplicaLoss(strategy, loss_fn, model)
        self.steps_per_execution = steps_per_execution
        self.jit_compile = jit_compile
        self.call_has_training = "training" in inspect.signature(model.call).parameters
        self.traces: dict[str, int] = {"train": 0, "validation": 0}
        self._functions: dict[tuple[str, int], Any] = {}
        self._int_tensors: dict[int, Any] = {}
        self._distributed_datasets: dict[int, Any] = {}
        self.log_names = ["loss", *_resolve.metric_log_names(metrics, weighted_metrics)]

    @classmethod
    def create(
        cls,
        model: keras.Model,
        sample: tuple[Any, ...],
        *,
        loss: Any,
        metric_ids: list[Any],
        weighted_metric_ids: list[Any],
        optimizer: keras.optimizers.Optimizer,
        strategy: tf.distribute.Strategy,
        steps_per_execution: int,
        jit_compile: bool | str,
    ) -> TrainLoop:
        """Build the model on one real batch, resolve loss and metrics, build the optimizer."""
        compiled = compile_on_batch(
            model, sample, loss=loss, metric_ids=metric_ids,
            weighted_metric_ids=weighted_metric_ids, optimizer=optimizer,
        )  # fmt: skip
        if jit_compile == "auto":
            # With tf.distribute, "auto" means no XLA, as in Model.fit.
            jit_compile = supports_jit(model) and not _strategy.is_distributed(strategy)
        return cls(
            model,
            compiled.loss_fn,
            compiled.optimizer,
            compiled.metrics,
            compiled.weighted_metrics,
            strategy=strategy,
            steps_per_execution=steps_per_execution,
            jit_compile=bool(jit_compile),
        )

    # --- metrics ----------------------------------------------------------------------------

    def all_metrics(self) -> list[keras.metrics.Metric]:
        return [self.loss_tracker, *self.metrics, *self.weighted_metrics]

    def sync(self) -> None:
        """Nothing to do: TensorFlow updates the Keras variables in place (JAX does not)."""

    def reset_metrics(self) -> None:
        for metric in self.all_metrics():
            metric.reset_state()

    def _update_metrics(self, y: Any, y_pred: Any, sample_weight: Any) -> None:
        for metric in self.metrics:
            metric.update_state(y, y_pred)
        for metric in self.weighted_metrics:
            metric.update_state(y, y_pred, sample_weight=sample_weight)

    def results(self) -> dict[str, Any]:
        values = [m.result() for m in self.all_metrics()]
        return dict(zip(self.log_names, values, strict=True))

    # --- one step ---------------------------------------------------------------------------

    def _call_model(self, x: Any, training: bool) -> Any:
        if self.call_has_training:
            return self.model(x, training=training)
        return self.model(x)

    def _replica_step(self, data: tuple[Any, ...], training: bool) -> tuple[Any, Any]:
        """One step on one replica; returns ``(loss, batch size)`` of this replica."""
        x, y, sample_weight = _unpack(data)
        local = _batch_size(x, keras.config.floatx())
        if not training:
            y_pred = self._call_model(x, training=False)
            loss = self.replica_loss(y, y_pred, sample_weight, local)
        elif not self.model.trainable_variables:  # trained as in Model.fit: state, metrics
            y_pred = self._call_model(x, training=True)
            loss = self.replica_loss(y, y_pred, sample_weight, local)
        else:
            trainable = self.model.trainable_variables
            with tf.GradientTape() as tape:
                y_pred = self._call_model(x, training=True)
                loss = self.replica_loss(y, y_pred, sample_weight, local)
                scaled_loss = self.optimizer.scale_loss(loss)
            gradients = tape.gradient(scaled_loss, trainable)
            self.optimizer.apply(gradients, trainable)  # sums the gradients over replicas
        self._update_metrics(y, y_pred, sample_weight)
        return loss, local

    def _step(self, data: Any, training: bool) -> tuple[Any, Any]:
        """One global step: every replica runs :meth:`_replica_step`, then the sums."""
        self.traces["train" if training else "validation"] += 1  # runs only while tracing
        loss, size = self.strategy.run(self._replica_step, args=(data, training))
        if not self.distributed:
            return loss, size
        return (
            self.strategy.reduce(_SUM, loss, axis=None),
            self.strategy.reduce(_SUM, size, axis=None),
        )

    def _train_step(self, data: Any) -> tuple[Any, Any]:
        return self._step(data, training=True)

    def _test_step(self, data: Any) -> tuple[Any, Any]:
        return self._step(data, training=False)

    def _finish(self, steps_run: Any, loss_sum: Any, count: Any) -> tuple[Any, dict[str, Any]]:
        # The loss is summed in the loop (weighted by batch size, as Model.fit's loss tracker
        # does) and handed to the tracker once per call: fewer ops per step.
        self.loss_tracker.update_state(tf.math.divide_no_nan(loss_sum, count), sample_weight=count)
        return steps_run, self.results()

    # --- compiled multi-step functions ------------------------------------------------------

    def _function(self, kind: str, data: Data) -> Any:
        """The compiled multi-step function for ``kind`` ("train"/"validation") over ``data``."""
        key = (kind, id(data))
        if key not in self._functions:
            step = self._train_step if kind == "train" else self._test_step
            guard = kind == "train"
            if isinstance(data, ArrayData) and not self.distributed:
                self._functions[key] = self._chunk_function(step, data, guard=guard)
            else:
                exact = data.steps is not None
                self._functions[key] = self._iterator_function(step, exact=exact, guard=guard)
        return self._functions[key]

    def _chunk_function(self, step: Callable[[Any], Any], data: ArrayData, guard: bool) -> Any:
        floatx = keras.config.floatx()

        def run_chunk(*args: Any) -> tuple[Any, dict[str, Any]]:
            *arrays, rows = args

            def cond(i: Any, loss_sum: Any, samples: Any) -> Any:
                return tf.logical_and(i < rows, tf.math.is_finite(loss_sum)) if guard else i < rows

            def body(i: Any, loss_sum: Any, samples: Any) -> tuple[Any, Any, Any]:
                loss, size = step(tuple(a[i] for a in arrays))
                return i + 1, loss_sum + loss * size, samples + size

            zero = tf.constant(0.0, floatx)
            state = tf.while_loop(cond, body, (tf.constant(0), zero, zero))
            return self._finish(*state)

        # No autograph: the loop is already graph code (tf.while_loop), as in Model.fit.
        return _compiled(
            tf.autograph.experimental.do_not_convert(run_chunk),
            input_signature=data.signature(),
            jit_compile=self.jit_compile,
        )

    def _iterator_function(self, raw_step: Callable[[Any], Any], exact: bool, guard: bool) -> Any:
        floatx = keras.config.floatx()
        # One step is its own tf.function (with XLA if asked): traced once, called from
        # several places of the unrolled loop.
        step = _compiled(
            tf.autograph.experimental.do_not_convert(raw_step),
            jit_compile=self.jit_compile,
            reduce_retracing=True,
        )

        def run_exact_steps(iterator: Any, num_steps: Any) -> tuple[Any, dict[str, Any]]:
            def steps(count: int) -> Callable[..., tuple[Any, Any, Any, Any]]:
                def body(i: Any, loss_sum: Any, samples: Any, finite: Any) -> tuple[Any, ...]:
                    for _ in range(count):
                        loss, batch = step(iterator.get_next())
                        loss_sum, samples = loss_sum + loss * batch, samples + batch
                        if guard:  # steps so far with a finite running sum
                            finite += tf.cast(tf.math.is_finite(loss_sum), tf.int32)
                    return i + count, loss_sum, samples, finite

                return body

            def running(limit: Any) -> Callable[..., Any]:
                def cond(i: Any, loss_sum: Any, *_: Any) -> Any:
                    more = i < limit
                    return tf.logical_and(more, tf.math.is_finite(loss_sum)) if guard else more

                return cond

            # _UNROLL steps per loop iteration, then the remainder one at a time: fewer loop
            # iterations for the executor to schedule.
            zero = tf.constant(0.0, floatx)
            unrolled = num_steps - num_steps % _UNROLL
            initial = (tf.constant(0), zero, zero, tf.constant(0))
            state = tf.while_loop(running(unrolled), steps(_UNROLL), initial)
            steps_run, loss_sum, samples, finite = tf.while_loop(
                running(num_steps), steps(1), state
            )
            if guard:  # an unrolled iteration runs on past a non-finite step: report that step
                steps_run = tf.where(tf.math.is_finite(loss_sum), steps_run, finite + 1)
            return self._finish(steps_run, loss_sum, samples)

        def run_until_exhausted(iterator: Any, num_steps: Any) -> tuple[Any, dict[str, Any]]:
            def cond(i: Any, exhausted: Any, loss_sum: Any, count: Any) -> Any:
                more = tf.logical_and(i < num_steps, tf.logical_not(exhausted))
                return tf.logical_and(more, tf.math.is_finite(loss_sum)) if guard else more

            def body(i: Any, exhausted: Any, loss_sum: Any, count: Any) -> tuple[Any, ...]:
                batch = iterator.get_next_as_optional()

                def run() -> tuple[Any, ...]:
                    loss, size = step(batch.get_value())
                    return i + 1, tf.constant(False), loss_sum + loss * size, count + size

                def stop() -> tuple[Any, ...]:
                    return i, tf.constant(True), loss_sum, count

                return tf.cond(batch.has_value(), run, stop)  # type: ignore[no-any-return]

            zero = tf.constant(0.0, floatx)
            initial = (tf.constant(0), tf.constant(False), zero, zero)
            steps_run, _, loss_sum, count = tf.while_loop(cond, body, initial)
            return self._finish(steps_run, loss_sum, count)

        # No autograph: the loops above are already graph code (tf.while_loop, tf.cond).
        function = tf.autograph.experimental.do_not_convert(
            run_exact_steps if exact else run_until_exhausted
        )
        return _compiled(function, reduce_retracing=True)

    # --- one epoch: the calls of the compiled function --------------------------------------

    def _int(self, value: int) -> Any:
        if value not in self._int_tensors:
            self._int_tensors[value] = tf.constant(value, dtype=tf.int32)
        return self._int_tensors[value]

    def _make_iterator(self, dataset: tf.data.Dataset) -> Any:
        if not self.distributed:
            return iter(dataset)
        if id(dataset) not in self._distributed_datasets:
            self._distributed_datasets[id(dataset)] = self.strategy.experimental_distribute_dataset(
                dataset
            )
        return iter(self._distributed_datasets[id(dataset)])

    def calls(self, kind: str, data: Data, epoch: int) -> Iterator[Call]:
        """One epoch of ``data`` as calls of the compiled function, each returning
        ``(steps_run, logs)``; the caller runs each call (and the callbacks around it)."""
        function = self._function(kind, data)
        if isinstance(data, ArrayData) and not self.distributed:
            for group in data.chunk_groups(epoch, self.steps_per_execution):
                yield self._chunk_call(function, group)
            return
        if isinstance(data, ArrayData):
            dataset = data.epoch_dataset(epoch)
            iterator = iter(self.strategy.experimental_distribute_dataset(dataset))
            total: int | None = data.steps
        else:
            iterator, total = data.epoch_iterator(self._make_iterator)
        seen = 0
        while total is None or seen < total:
            wanted = (
                self.steps_per_execution
                if total is None
                else min(self.steps_per_execution, total - seen)
            )
            outcome: list[int] = []
            yield self._iterator_call(function, iterator, wanted, outcome)
            if not outcome:  # the caller stopped before running this call
                return
            seen += outcome[0]
            if outcome[0] < wanted:  # the iterator ran dry, or a non-finite loss
                break
        if isinstance(data, DatasetData):
            data.epoch_done(seen, total)

    def _chunk_call(self, function: Any, group: list[tuple[tuple[Any, ...], int]]) -> Call:
        def call() -> tuple[int, dict[str, Any]]:
            total, logs = 0, {}
            for arrays, rows in group:
                steps_run, logs = function(*arrays, self._int(rows))
                total += int(steps_run)
                if int(steps_run) < rows:  # stopped at a non-finite loss
                    break
            return total, logs

        return call

    def _iterator_call(self, function: Any, iterator: Any, wanted: int, outcome: list[int]) -> Call:
        def call() -> tuple[int, dict[str, Any]]:
            steps_run, logs = function(iterator, self._int(wanted))
            outcome.append(int(steps_run))
            return outcome[0], logs

        return call
