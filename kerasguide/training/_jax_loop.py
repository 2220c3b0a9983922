""":func:`kerasguide.fit` 의 JAX 훈련기: JAX 의 방식으로 쓴 스텝과 그 컴파일된 함수.

텐서플로와 같은 스텝(정방향 패스, ``model.losses`` 를 더한 손실, 그레이디언트, 옵티마이저 갱신,
지표)이지만, 케라스 자신의 JAX 트레이너(``keras/src/backend/jax/trainer.py``)와 keras.io
안내서 "Writing a training loop from scratch in JAX" 처럼 상태 없이(stateless) 쓴다.

- 상태는 배열 목록 넷이다: 모델의 훈련 가능/불가능 변수, 옵티마이저의 변수, 지표의 변수.
  스텝은 상태를 받아 새 상태를 돌려준다.
- 정방향 패스는 ``model.stateless_call``, 손실과 그레이디언트는
  ``jax.value_and_grad(..., has_aux=True)``, 갱신은 ``optimizer.stateless_apply``, 지표는
  ``metric.stateless_update_state``.
- 함께 쓰는 상태(손실, 지표, 손실 추적기, ``traces``)는
  :class:`~kerasguide.training._trainer.Trainer` 의 것이다(케라스의 ``JAXTrainer`` 가
  ``Trainer`` 를 넓히는 것과 같다).
- ``jax.jit`` 호출 한 번이 배치 덩어리(모양 ``(steps, batch, ...)``) 전체를
  ``lax.while_loop`` 로 실행하고, 처음으로 유한하지 않은 손실에서 멈춘다(NaN 검사). ``jit`` 은
  덩어리 모양마다 한 번 컴파일한다: 온전한 덩어리와 짧은 마지막 배치, 모두 첫 에포크에서다.
- 그 호출이 지표의 결과(배치 콜백의 로그)도 함께 돌려주고, 입력 상태는 넘겨준다
  (``donate_argnums``, 케라스의 JAX 트레이너와 같다): 덩어리마다 호출 한 번, 메모리에는 상태
  한 벌. 배열이 ``JAX_DEVICE_BYTES`` 이하면 ``fit`` 내내 장치에 두고
  (:mod:`kerasguide.training._data`), 호출은 덩어리의 샘플 번호만 받아 스텝마다 장치에서
  배치를 모은다.
- 호출 사이의 상태는 여기 둔다. :meth:`JaxTrainer.sync` 가 에포크 끝마다(검증, 콜백,
  체크포인트가 모델을 읽기 전에) 케라스 변수에 다시 쓴다.

``keras.distribution`` (``keras.distribution.DataParallel`` 등)이 설정되어 있으면 호출 전에
덩어리를 분산 설정의 데이터 배치(layout)대로 장치에 놓는다. 프로세스가 여럿이어도 된다
(:mod:`kerasguide.training._jax_distribution`).
"""

from __future__ import annotations

from typing import Any

import jax
import keras
import numpy as np

import kerasguide.training._jax_distribution as _jax_distribution
from kerasguide.training._data import IndexedChunk
from kerasguide.training._epoch_iterator import Batches, Chunks
from kerasguide.training._trainer import Trainer

__all__ = ["JaxTrainer"]


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


class JaxTrainer(Trainer):
    """모델의 변수 위에서 상태 없이 컴파일된 스텝 (JAX 의 ``Trainer.run``)."""

    def _setup(self) -> None:
        self._functions: dict[str, Any] = {}
        self._results_fn: Any = None
        self._copy_fn: Any = None
        self._live: tuple[list[Any], ...] | None = None
        self._logs: dict[str, Any] | None = None  # the last call's results (of the live state)

    @classmethod
    def resolve_jit_compile(
        cls, model: keras.Model, jit_compile: bool | str, strategy: Any
    ) -> bool:
        return jit_compile is not False  # "auto": JAX always compiles with XLA

    def results(self) -> dict[str, Any]:
        """지표의 결과: 마지막 호출이 함께 계산한 것, 없으면 변수에서 컴파일된 호출로."""
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
        """살아 있는 상태를 모델, 옵티마이저, 지표의 변수에 다시 쓴다."""
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
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        kwargs = {"training": training} if self.call_has_training else {}
        y_pred, non_trainable, losses = self.model.stateless_call(
            trainable, non_trainable, x, return_losses=True, **kwargs
        )
        loss = self.add_model_losses(self.loss_fn(y, y_pred, sample_weight), losses)
        unscaled = loss
        if training and isinstance(self.optimizer, keras.optimizers.LossScaleOptimizer):
            mapping = list(zip(self.optimizer.variables, optimizer_vars, strict=True))
            with keras.StatelessScope(state_mapping=mapping):
                loss = self.optimizer.scale_loss(loss)
        return loss, (unscaled, y_pred, non_trainable)

    def _update_metrics(self, metric_vars: Any, data: Any, y_pred: Any) -> list[Any]:
        """지표의 새 변수 (손실 추적기는 호출마다 한 번 갱신한다)."""
        _, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
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

    def run(self, kind: str, batches: Any) -> tuple[int, dict[str, Any]]:
        total: int = 0
        logs: dict[str, Any] = {}
        for arrays, rows in self._chunks(batches):
            steps_run, logs = self._run(kind, arrays, rows)
            total += steps_run
            if steps_run < rows:  # stopped at a non-finite loss
                break
        return total, logs

    def _chunks(self, batches: Chunks | Batches) -> Any:
        """한 호출의 덩어리: 배열의 덩어리 그대로, 또는 넘파이 배치를 쌓은 덩어리."""
        if isinstance(batches, Chunks):
            yield from batches.chunks
            return
        group = batches.batches
        # Batches of one shape go into one chunk; a short batch gets its own call.
        start = 0
        while start < len(group):
            end = start + 1
            shape = _shapes(group[start])
            while end < len(group) and _shapes(group[end]) == shape:
                end += 1
            same = group[start:end]
            # Padded to steps_per_execution rows (rows says how many to use): one compiled
            # shape per batch shape, whatever the number of batches left.
            padded = same + [same[0]] * (self.steps_per_execution - len(same))
            yield jax.tree_util.tree_map(lambda *leaves: np.stack(leaves), *padded), len(same)
            start = end
