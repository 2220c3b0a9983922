"""The training loop of :func:`kerasguide.fit` on Keras's JAX backend, written the JAX way.

The same step as on TensorFlow (forward pass, loss with ``model.losses``, gradients, optimizer
update, metrics), but stateless, as in Keras's own JAX trainer
(``keras/src/backend/jax/trainer.py``) and the keras.io guide "Writing a training loop from
scratch in JAX":

- the state is four lists of arrays: trainable and non-trainable variables of the model, the
  optimizer's variables, the metrics' variables; the step takes it and returns the new state;
- ``model.stateless_call`` for the forward pass, ``jax.value_and_grad(..., has_aux=True)`` for the
  loss and its gradients, ``optimizer.stateless_apply`` for the update and
  ``metric.stateless_update_state`` for the metrics;
- one ``jax.jit`` call runs a whole chunk of batches (shape ``(steps, batch, ...)``) in a
  ``lax.while_loop``, which stops early at the first non-finite loss (the NaN guard). ``jit``
  compiles once per chunk shape: full chunks, and a short last batch, both in the first epoch;
  later epochs reuse them;
- the call also returns the metrics' results (the logs of the batch callbacks), and its input
  state is donated (``donate_argnums``, as in Keras's JAX trainer): one dispatch per chunk and
  one copy of the state in memory. Arrays of up to ``JAX_DEVICE_BYTES`` live on the device
  for the whole ``fit`` (:mod:`kerasguide.training._data`): a call then takes the chunk's
  sample indices, and each step gathers its batch on the device;
- between calls the state lives here, as in Keras's JAX trainer, and is written back to the
  Keras variables at the end of every epoch (before validation, callbacks and checkpoints
  read the model) and when the loss stops being finite.

With a ``keras.distribution`` set (``keras.distribution.DataParallel`` and the others), every
chunk is placed with the distribution's data layout before the call, on one process or
several (:mod:`kerasguide.training._jax_distribution`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import jax
import keras
import numpy as np

import kerasguide._resolve as _resolve
import kerasguide.training._jax_distribution as _jax_distribution
from kerasguide.training._compile import compile_on_batch
from kerasguide.training._data import ArrayData, Data, DatasetData, IndexedChunk

__all__ = ["JaxTrainLoop"]

Call = Callable[[], tuple[int, dict[str, Any]]]


def _unpack(data: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    return (data[0], data[1], data[2] if len(data) == 3 else None)


def _batch_size(batch: tuple[Any, ...]) -> int:
    # x may be nested (a dict of named inputs): every input has the batch axis first.
    return int(jax.tree_util.tree_leaves(batch[0])[0].shape[0])


def _batch(arrays: tuple[Any, ...], indices: Any, i: Any) -> tuple[Any, ...]:
    """Batch ``i`` of a chunk: row ``i`` of chunk arrays, or the rows ``indices[i]`` of the
    whole arrays (an :class:`IndexedChunk`)."""
    if indices is None:
        return tuple(jax.tree_util.tree_map(lambda a: jax.numpy.asarray(a[i]), arrays))
    rows = indices[i]
    return tuple(jax.tree_util.tree_map(lambda a: a[rows], arrays))


def _shapes(batch: Any) -> list[tuple[int, ...]]:
    return [np.shape(leaf) for leaf in jax.tree_util.tree_leaves(batch)]


class JaxTrainLoop:
    """Stateless compiled steps over the model's variables (same interface as ``TrainLoop``)."""

    distributed = False  # tf.distribute strategies are TensorFlow's; see keras.distribution

    def __init__(
        self,
        model: keras.Model,
        loss_fn: Any,
        optimizer: Any,
        metrics: list[keras.metrics.Metric],
        weighted_metrics: list[keras.metrics.Metric],
        *,
        steps_per_execution: int,
        jit_compile: bool,
    ) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.metrics = metrics
        self.weighted_metrics = weighted_metrics
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.steps_per_execution = steps_per_execution
        self.jit_compile = jit_compile
        self.call_kwargs = (
            {"training": True} if "training" in inspect.signature(model.call).parameters else {}
        )
        self.traces: dict[str, int] = {"train": 0, "validation": 0}
        self._functions: dict[str, Any] = {}
        self._results_fn: Any = None
        self._copy_fn: Any = None
        self._live: tuple[list[Any], ...] | None = None
        self._logs: dict[str, Any] | None = None  # the last call's results (of the live state)
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
        strategy: Any,
        steps_per_execution: int,
        jit_compile: bool | str,
    ) -> JaxTrainLoop:
        compiled = compile_on_batch(
            model, sample, loss=loss, metric_ids=metric_ids,
            weighted_metric_ids=weighted_metric_ids, optimizer=optimizer,
        )  # fmt: skip
        return cls(
            model,
            compiled.loss_fn,
            compiled.optimizer,
            compiled.metrics,
            compiled.weighted_metrics,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile is not False,  # "auto": JAX always compiles with XLA
        )

    # --- metrics ----------------------------------------------------------------------------

    def all_metrics(self) -> list[keras.metrics.Metric]:
        return [self.loss_tracker, *self.metrics, *self.weighted_metrics]

    def reset_metrics(self) -> None:
        self.sync()
        for metric in self.all_metrics():
            metric.reset_state()

    def results(self) -> dict[str, Any]:
        """The metrics' results: those the last call computed, else from the variables."""
        if self._live is not None and self._logs is not None:
            return self._logs
        if self._results_fn is None:
            self._results_fn = jax.jit(self._compute_results)
        values = self._results_fn(self._state()[3])
        return dict(zip(self.log_names, values, strict=True))

    def _compute_results(self, metric_vars: Any) -> list[Any]:
        metrics = self.all_metrics()
        return [m.stateless_result(v) for m, v in zip(metrics, metric_vars, strict=True)]

    # --- state --------------------------------------------------------------------------------
    # Between calls the state lives here, as Keras's JAX trainer keeps it; `sync` writes it back
    # to the Keras variables (fit calls it at every epoch end, before validation and callbacks
    # read the model). After a sync the next call reads the variables again, so what callbacks
    # change there (a learning rate, restored weights) is what the next step uses.

    def sync(self) -> None:
        """Write the live state back to the model's, optimizer's and metrics' variables."""
        if self._live is not None:
            self._write_back(self._live)
            self._live = None
            self._logs = None

    def _state(self, own: bool = False) -> tuple[list[Any], ...]:
        """The live state, else the variables' values (copies if ``own``: a compiled call
        donates its input state, and the variables must keep their buffers)."""
        if self._live is not None:
            return self._live
        state = (
            [v.value for v in self.model.trainable_variables],
            [v.value for v in self.model.non_trainable_variables],
            [v.value for v in self.optimizer.variables],
            [[v.value for v in m.variables] for m in self.all_metrics()],
        )
        if own:
            if self._copy_fn is None:  # one compiled call copies it all (not one per array)
                self._copy_fn = jax.jit(lambda t: jax.tree_util.tree_map(jax.numpy.copy, t))
            state = self._copy_fn(state)
        return state

    def _write_back(self, state: tuple[list[Any], ...]) -> None:
        trainable, non_trainable, optimizer_vars, metric_vars = state
        pairs = [
            *zip(self.model.trainable_variables, trainable, strict=True),
            *zip(self.model.non_trainable_variables, non_trainable, strict=True),
            *zip(self.optimizer.variables, optimizer_vars, strict=True),
        ]
        for metric, values in zip(self.all_metrics(), metric_vars, strict=True):
            pairs.extend(zip(metric.variables, values, strict=True))
        for variable, value in pairs:
            variable.assign(value)

    # --- one step (pure) ----------------------------------------------------------------------

    def _loss(
        self, trainable: Any, non_trainable: Any, optimizer_vars: Any, data: Any, training: bool
    ) -> tuple[Any, tuple[Any, Any, Any]]:
        x, y, sample_weight = _unpack(data)
        kwargs = {"training": training} if self.call_kwargs else {}
        y_pred, non_trainable, losses = self.model.stateless_call(
            trainable, non_trainable, x, return_losses=True, **kwargs
        )
        floatx = keras.config.floatx()
        loss = keras.ops.cast(self.loss_fn(y, y_pred, sample_weight), floatx)
        for extra in losses:  # regularizers, add_loss: as Model.compute_loss
            loss = loss + keras.ops.sum(keras.ops.cast(extra, floatx))
        unscaled = loss
        if training and isinstance(self.optimizer, keras.optimizers.LossScaleOptimizer):
            mapping = list(zip(self.optimizer.variables, optimizer_vars, strict=True))
            with keras.StatelessScope(state_mapping=mapping):
                loss = self.optimizer.scale_loss(loss)
        return loss, (unscaled, y_pred, non_trainable)

    def _update_metrics(self, metric_vars: Any, data: Any, y_pred: Any) -> list[Any]:
        """The compiled metrics' new variables (the loss tracker is updated once per call)."""
        _, y, sample_weight = _unpack(data)
        tracker, *rest = metric_vars
        plain, weighted = rest[: len(self.metrics)], rest[len(self.metrics) :]
        new = [tracker]
        for metric, values in zip(self.metrics, plain, strict=True):
            new.append(metric.stateless_update_state(values, y, y_pred))
        for metric, values in zip(self.weighted_metrics, weighted, strict=True):
            new.append(
                metric.stateless_update_state(values, y, y_pred, sample_weight=sample_weight)
            )
        return new

    def _train_step(self, state: Any, data: Any) -> tuple[Any, Any]:
        trainable, non_trainable, optimizer_vars, metric_vars = state
        grad_fn = jax.value_and_grad(self._loss, has_aux=True)
        (_, (loss, y_pred, non_trainable)), grads = grad_fn(
            trainable, non_trainable, optimizer_vars, data, True
        )
        trainable, optimizer_vars = self.optimizer.stateless_apply(optimizer_vars, grads, trainable)
        metric_vars = self._update_metrics(metric_vars, data, y_pred)
        return loss, (trainable, non_trainable, optimizer_vars, metric_vars)

    def _test_step(self, state: Any, data: Any) -> tuple[Any, Any]:
        trainable, non_trainable, optimizer_vars, metric_vars = state
        _, (loss, y_pred, non_trainable) = self._loss(
            trainable, non_trainable, optimizer_vars, data, False
        )
        metric_vars = self._update_metrics(metric_vars, data, y_pred)
        return loss, (trainable, non_trainable, optimizer_vars, metric_vars)

    # --- compiled chunk function ------------------------------------------------------------

    def _function(self, kind: str) -> Any:
        if kind in self._functions:
            return self._functions[kind]
        step = self._train_step if kind == "train" else self._test_step
        guard = kind == "train"

        def run_chunk(
            state: Any, arrays: tuple[Any, ...], indices: Any, rows: Any
        ) -> tuple[Any, Any, Any]:
            self.traces[kind] += 1  # runs only while jax traces (once per chunk shape)

            def cond(carry: Any) -> Any:
                i, loss_sum, _, _ = carry
                finite = jax.numpy.isfinite(loss_sum)
                return jax.numpy.logical_and(i < rows, finite) if guard else i < rows

            def body(carry: Any) -> Any:
                i, loss_sum, samples, state = carry
                batch = _batch(arrays, indices, i)
                loss, state = step(state, batch)
                size = jax.numpy.asarray(_batch_size(batch), loss.dtype)
                return i + 1, loss_sum + loss * size, samples + size, state

            zero = jax.numpy.asarray(0.0, keras.config.floatx())
            steps_run, loss_sum, samples, state = jax.lax.while_loop(
                cond, body, (jax.numpy.asarray(0), zero, zero, state)
            )
            state = self._track_loss(state, loss_sum, samples)
            # The logs come out of the same call: no second call (and no wait) per chunk.
            return steps_run, self._compute_results(state[3]), state

        def run_chunk_eagerly(
            state: Any, arrays: tuple[Any, ...], indices: Any, rows: Any
        ) -> tuple[Any, Any, Any]:
            # jit_compile=False: step by step in Python, each operation run as it comes (for
            # debugging with print and breakpoints, as Model.fit(jit_compile=False) on JAX).
            loss_sum = jax.numpy.asarray(0.0, keras.config.floatx())
            samples = jax.numpy.asarray(0.0, keras.config.floatx())
            steps_run = 0
            with jax.disable_jit():
                for i in range(int(rows)):
                    batch = _batch(arrays, indices, i)
                    loss, state = step(state, batch)
                    size = _batch_size(batch)
                    loss_sum, samples, steps_run = loss_sum + loss * size, samples + size, i + 1
                    if guard and not bool(jax.numpy.isfinite(loss_sum)):
                        break
                state = self._track_loss(state, loss_sum, samples)
                return steps_run, self._compute_results(state[3]), state

        # The input state is donated (as in Keras's JAX trainer): its buffers are reused for
        # the new state instead of holding two copies of the model and optimizer.
        compiled = jax.jit(run_chunk, donate_argnums=0) if self.jit_compile else run_chunk_eagerly
        self._functions[kind] = compiled
        return compiled

    def _track_loss(self, state: Any, loss_sum: Any, samples: Any) -> Any:
        # The loss tracker gets the call's mean loss once, weighted by its samples, as
        # Model.fit's tracker would from each step: fewer ops per step.
        trainable, non_trainable, optimizer_vars, (tracker, *rest) = state
        tracker = self.loss_tracker.stateless_update_state(
            tracker, loss_sum / jax.numpy.maximum(samples, 1.0), sample_weight=samples
        )
        return (trainable, non_trainable, optimizer_vars, [tracker, *rest])

    # --- one epoch ------------------------------------------------------------------------------

    def _run(self, kind: str, arrays: Any, rows: int) -> tuple[int, dict[str, Any]]:
        if isinstance(arrays, IndexedChunk):  # on the device: batches gathered in the call
            arrays, indices = arrays.arrays, arrays.indices
        else:
            arrays, indices = _jax_distribution.place(arrays), None
        steps_run, values, state = self._function(kind)(
            self._state(own=self.jit_compile), arrays, indices, np.int32(rows)
        )
        self._live = state
        self._logs = dict(zip(self.log_names, values, strict=True))
        return int(steps_run), self._logs

    def calls(self, kind: str, data: Data, epoch: int) -> Iterator[Call]:
        if isinstance(data, ArrayData):
            for group in data.chunk_groups(epoch, self.steps_per_execution):
                yield self._group_call(kind, group)
            return
        yield from self._dataset_calls(kind, data)

    def _group_call(self, kind: str, group: list[tuple[tuple[Any, ...], int]]) -> Call:
        def call() -> tuple[int, dict[str, Any]]:
            total: int = 0
            logs: dict[str, Any] = {}
            for arrays, rows in group:
                steps_run, logs = self._run(kind, arrays, rows)
                total += steps_run
                if steps_run < rows:  # stopped at a non-finite loss
                    break
            return total, logs

        return call

    def _dataset_calls(self, kind: str, data: DatasetData) -> Iterator[Call]:
        iterator, total = data.epoch_iterator(lambda dataset: dataset.as_numpy_iterator())
        seen = 0
        exhausted = False
        while not exhausted and (total is None or seen < total):
            wanted = self.steps_per_execution
            if total is not None:
                wanted = min(wanted, total - seen)
            batches = []
            for _ in range(wanted):
                batch = next(iterator, None)
                if batch is None:
                    exhausted = True
                    break
                batches.append(tuple(batch))
            if not batches:
                break
            outcome: list[int] = []
            yield self._batches_call(kind, batches, outcome)
            if not outcome:
                return
            seen += outcome[0]
            if outcome[0] < len(batches):  # a non-finite loss
                break
        data.epoch_done(seen, total)

    def _batches_call(self, kind: str, batches: list[Any], outcome: list[int]) -> Call:
        def call() -> tuple[int, dict[str, Any]]:
            total: int = 0
            logs: dict[str, Any] = {}
            # Batches of one shape go into one chunk; a short batch gets its own call.
            start = 0
            while start < len(batches):
                end = start + 1
                shape = _shapes(batches[start])
                while end < len(batches) and _shapes(batches[end]) == shape:
                    end += 1
                group = batches[start:end]
                # Padded to steps_per_execution rows (rows says how many to use): one compiled
                # shape per batch shape, whatever the number of batches left.
                padded = group + [group[0]] * (self.steps_per_execution - len(group))
                arrays = jax.tree_util.tree_map(lambda *leaves: np.stack(leaves), *padded)
                steps_run, logs = self._run(kind, arrays, len(group))
                total += steps_run
                if steps_run < len(group):
                    break
                start = end
            outcome.append(total)
            return total, logs

        return call
