""":func:`kerasguide.fit` 의 텐서플로 훈련기: 스텝 하나를 호출마다 여러 번 실행한다.

스텝은 강의의 미니 배치 경사하강법이다: 정방향 패스, 손실(모델 자신의 ``model.losses`` 포함),
``tf.GradientTape`` 로 그레이디언트, ``optimizer.apply``, 지표 갱신. 케라스 자신의 트레이너
(``keras/src/backend/tensorflow/trainer.py``)처럼 모든 스텝을 ``tf.distribute`` 전략의
``strategy.run`` 으로 실행하므로(전략을 주지 않으면 장치 하나의 기본 전략) 같은 스텝이 장치
하나와 여러 복제본을 모두 맡는다. 다른 것은 복제본에 걸친 손실 조정
(:mod:`kerasguide.training._strategy`)과 배치가 오는 길뿐이다.

함께 쓰는 상태(손실, 지표, 손실 추적기, ``traces``)는
:class:`~kerasguide.training._trainer.Trainer` 의 것이고, 이 모듈은 케라스의
``TensorFlowTrainer`` 처럼 스텝과 컴파일된 함수만 더한다. 컴파일된 함수는 호출 한 번에 여러
스텝을 ``tf.while_loop`` 로 실행하고 ``(실행한 스텝 수, 기록)`` 을 돌려준다.

- :class:`~kerasguide.training._epoch_iterator.Chunks` (장치 하나의 배열): 함수가 배치
  덩어리(모양 ``(steps, batch, ...)``)를 받는다. XLA 를 쓰면 덩어리 전체(모든 스텝)가 XLA
  프로그램 하나다. 시그니처의 차원을 정하지 않으므로 추적은 한 번이고, XLA 는 덩어리 모양마다
  한 번 컴파일한다.
- :class:`~kerasguide.training._epoch_iterator.Steps` (``tf.data`` 입력, 그리고 여러 복제본의
  모든 입력): 함수가 (분산) 반복자에서 배치를 꺼낸다. 스텝 하나가 따로 ``tf.function`` 이다
  (요청하면 XLA 로 컴파일).

훈련 중(``guard``)에는 손실이 NaN 이나 무한대가 된 첫 스텝 뒤에 멈추고 그 스텝을 마지막으로
보고한다: 그때는 손실의 누적 합도 유한하지 않으므로 반복 조건은 그것만 본다.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

import kerasguide.training._strategy as _strategy
from kerasguide.training._epoch_iterator import Chunks, Steps
from kerasguide.training._trainer import Trainer

__all__ = ["TensorFlowTrainer", "supports_jit"]

# Steps per iteration of the compiled loop when the number of steps is known.
_UNROLL = 4
_SUM = tf.distribute.ReduceOp.SUM


def supports_jit(model: keras.Model) -> bool:
    """``jit_compile="auto"``: 케라스의 ``model_supports_jit`` 규칙에서 CPU 예외만 뺐다."""
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
    """``tf.function(function, **options)``. 텐서플로의 잦은 재추적 경고는 끈다.

    ``fit`` 을 부를 때마다 같은 안쪽 파이썬 함수로 새 컴파일된 함수를 만들고, 텐서플로는
    추적을 함수의 코드 객체로 센다: ``fit`` 을 여러 번 부르는 페이지나 테스트는 함수마다 한
    번씩만 추적하는데도 "N out of the last M calls triggered tf.function retracing" 을 보게
    된다. 진짜 추적 수는 ``history.traces`` 가 센다. (``tf.function`` 의 비공개 속성이다.
    없으면 경고만 돌아온다.)
    """
    compiled = tf.function(function, **options)
    if hasattr(compiled, "_omit_frequent_tracing_warning"):
        compiled._omit_frequent_tracing_warning = True
    return compiled


def _batch_size(x: Any, dtype: Any) -> Any:
    # x may be nested (a dict of inputs from a dataset): every input has the batch axis first.
    return tf.cast(tf.shape(tf.nest.flatten(x)[0])[0], dtype)


class TensorFlowTrainer(Trainer):
    """컴파일된 함수와, 그것이 ``strategy.run`` 으로 실행하는 스텝.

    :meth:`create` (``strategy=``)로 만든다. 기본 전략이 아니면 ``strategy.scope()`` 안에서.
    """

    def _setup(self) -> None:
        self.strategy = self.strategy or tf.distribute.get_strategy()
        self.distributed = _strategy.is_distributed(self.strategy)
        self.replica_loss = _strategy.ReplicaLoss(self.strategy, self)
        self._functions: dict[tuple[str, str], Any] = {}
        self._int_tensors: dict[int, Any] = {}
        self._distributed_datasets: dict[int, tuple[Any, Any]] = {}

    @classmethod
    def resolve_jit_compile(
        cls, model: keras.Model, jit_compile: bool | str, strategy: Any
    ) -> bool:
        if jit_compile == "auto":
            # With tf.distribute, "auto" means no XLA, as in Model.fit.
            distributed = strategy is not None and _strategy.is_distributed(strategy)
            return supports_jit(model) and not distributed
        return bool(jit_compile)

    def _update_metrics(self, y: Any, y_pred: Any, sample_weight: Any) -> None:
        for metric in self.metrics:
            metric.update_state(y, y_pred)
        for metric in self.weighted_metrics:
            metric.update_state(y, y_pred, sample_weight=sample_weight)

    # --- one step ---------------------------------------------------------------------------

    def _call_model(self, x: Any, training: bool) -> Any:
        if self.call_has_training:
            return self.model(x, training=training)
        return self.model(x)

    def _replica_step(self, data: tuple[Any, ...], training: bool) -> tuple[Any, Any]:
        """복제본 하나의 스텝. 이 복제본의 ``(손실, 배치 크기)`` 를 돌려준다."""
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
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
            if not self.jit_compile:
                loss = _nan_unless_finite(loss, trainable)
        self._update_metrics(y, y_pred, sample_weight)
        return loss, local

    def _step(self, data: Any, training: bool) -> tuple[Any, Any]:
        """전역 스텝 하나: 복제본마다 :meth:`_replica_step` 을 실행하고 합을 낸다."""
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

    def _function(self, kind: str, batches: Chunks | Steps) -> Any:
        """``kind`` ("train"/"validation")와 ``batches`` 의 종류에 맞는 컴파일된 여러 스텝 함수."""
        key = (kind, type(batches).__name__)
        if key not in self._functions:
            step = self._train_step if kind == "train" else self._test_step
            guard = kind == "train"
            if isinstance(batches, Chunks):
                self._functions[key] = self._chunk_function(step, batches, guard=guard)
            else:
                self._functions[key] = self._iterator_function(step, batches.exact, guard=guard)
        return self._functions[key]

    def _chunk_function(self, step: Callable[[Any], Any], chunks: Chunks, guard: bool) -> Any:
        floatx = keras.config.floatx()

        def run_chunk(arrays: Any, rows: Any) -> tuple[Any, dict[str, Any]]:

            def cond(i: Any, loss_sum: Any, samples: Any) -> Any:
                return tf.logical_and(i < rows, tf.math.is_finite(loss_sum)) if guard else i < rows

            def body(i: Any, loss_sum: Any, samples: Any) -> tuple[Any, Any, Any]:
                loss, size = step(tf.nest.map_structure(lambda a: a[i], arrays))
                return i + 1, loss_sum + loss * size, samples + size

            zero = tf.constant(0.0, floatx)
            state = tf.while_loop(cond, body, (tf.constant(0), zero, zero))
            return self._finish(*state)

        # No autograph: the loop is already graph code (tf.while_loop), as in Model.fit.
        return _compiled(
            tf.autograph.experimental.do_not_convert(run_chunk),
            input_signature=_signature(chunks),
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

    # --- one call ----------------------------------------------------------------------------

    def _int(self, value: int) -> Any:
        if value not in self._int_tensors:
            self._int_tensors[value] = tf.constant(value, dtype=tf.int32)
        return self._int_tensors[value]

    def tf_iterator(self) -> Any:
        return self.make_iterator

    def make_iterator(self, dataset: tf.data.Dataset) -> Any:
        """컴파일된 함수가 배치를 꺼낼 반복자 (필요하면 분산 반복자)."""
        if not self.distributed:
            return iter(dataset)
        # The same dataset every epoch (a tf.data input) is distributed once; the entry keeps
        # the dataset alive, so that its id is not reused by another one.
        cached = self._distributed_datasets.get(id(dataset))
        if cached is None or cached[0] is not dataset:
            if len(self._distributed_datasets) > 4:
                self._distributed_datasets.clear()
            cached = (dataset, self.strategy.experimental_distribute_dataset(dataset))
            self._distributed_datasets[id(dataset)] = cached
        return iter(cached[1])

    def run(self, kind: str, batches: Any) -> tuple[int, dict[str, Any]]:
        function = self._function(kind, batches)
        if isinstance(batches, Steps):
            steps_run, logs = function(batches.iterator, self._int(batches.steps))
            return int(steps_run), logs
        total, logs = 0, {}
        for arrays, rows in batches.chunks:
            steps_run, logs = function(arrays, self._int(rows))
            total += int(steps_run)
            if int(steps_run) < rows:  # stopped at a non-finite loss
                break
        return total, logs


def _signature(chunks: Chunks) -> list[Any]:
    """덩어리 함수의 입력 시그니처: 덩어리와 배치의 크기를 정하지 않는다."""
    arrays = chunks.chunks[0][0]
    specs = tf.nest.map_structure(
        lambda a: tf.TensorSpec([None, None, *a.shape[2:]], a.dtype), arrays
    )
    return [specs, tf.TensorSpec([], tf.int32, name="rows")]


def _nan_unless_finite(loss: Any, variables: list[Any]) -> Any:
    """The loss, or NaN if the loss is finite but a weight became NaN or infinite in this step.

    Without XLA, TensorFlow's oneDNN kernels (on by default on x86) fuse MatMul, BiasAdd and
    ReLU, and the fused ReLU turns a NaN input into 0: the loss stays finite while the
    gradients, then the weights, go NaN. Checking the weights after the update catches it
    (the gradients would not do: under mixed precision a loss-scaled step may have infinite
    gradients on purpose, and the optimizer then skips it). XLA keeps NaN in the loss. One
    sum per variable and one finiteness test (NaN and infinity survive a sum) cost less than
    testing every element; a loss that is already NaN or infinite is reported as it is.
    """
    total = tf.add_n([tf.reduce_sum(tf.cast(v, tf.float32)) for v in variables])
    keep = tf.logical_or(tf.math.is_finite(total), tf.logical_not(tf.math.is_finite(loss)))
    return tf.where(keep, loss, tf.constant(float("nan"), loss.dtype))
