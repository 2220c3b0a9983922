"""``tf.GradientTape`` 로 처음부터 작성한 훈련 반복(training loop) :func:`fit`.

강의의 "훈련 반복: 미니 배치 경사하강법 실행"을 그대로 코드로 옮기고, 케라스의
``Model.fit`` 보다 빠르게 돌도록 다듬었다. 흐름은 다음과 같다.

1. 인자 검사: 잘못된 값은 훈련을 시작하기 전에 ``ValueError``/``TypeError`` 로 알린다.
2. 데이터 준비: 넘파이 배열은 텐서로 통째로 두고, 에포크마다 샘플 번호를 섞어(shuffle)
   배치 단위로 자른다. ``tf.data.Dataset`` 은 반복자(iterator)로 읽는다.
3. 컴파일된 "여러 스텝 훈련" 함수: ``tf.function`` 한 번의 호출이 ``steps_per_execution``
   스텝을 ``tf.while_loop`` 로 실행한다. 배열 입력이면 한 호출 분량의 배치를 묶음(chunk)으로
   받고, XLA 를 쓰면 그 스텝 전체가 하나의 컴파일된 프로그램이 된다. 데이터셋이면
   반복자에서 배치를 꺼낸다. 입력 명세의 배치 축이 ``None`` 이라서 마지막 짧은 배치도 다시
   추적(retracing)하지 않는다.
4. 에포크 반복: 지표 초기화, 진행 막대(progress bar), 에포크 끝의 검증. 손실이 NaN 이나
   무한대가 되면 그 스텝에서 멈추고 :class:`~kerasguide.NonFiniteLossError` 를 낸다.
   ``checkpoint_dir`` 를 주면 에포크 끝마다 체크포인트를 저장하고, 다시 부르면 마지막
   체크포인트에서 이어 간다(``kerasguide/_checkpoint.py``).
5. ``strategy`` (또는 열려 있는 ``strategy.scope()``)가 있으면 같은 반복을 ``tf.distribute`` 로
   복제본마다 실행한다(``kerasguide/_distribute.py``).
"""

from __future__ import annotations

import inspect
import math
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerasguide import _checkpoint
from kerasguide import _validation as check
from kerasguide._errors import NonFiniteLossError

__all__ = ["History", "fit"]

_INFINITE = int(tf.data.INFINITE_CARDINALITY)
# Steps per iteration of the compiled loop when the number of steps is known.
_UNROLL = 4


class History:
    """:func:`fit` 의 결과. 케라스 ``Model.fit`` 이 돌려주는 ``History`` 와 같은 모양이다.

    Attributes:
        history: ``"loss"``, 각 지표, 그리고 검증 데이터가 있으면 ``"val_loss"`` 와
            ``"val_<지표>"`` 를 에포크별 값의 리스트로 담은 사전.
        epoch: 에포크 번호(0부터) 리스트.
        params: ``{"verbose", "epochs", "steps", "batch_size", "steps_per_execution",
            "jit_compile"}``. ``steps`` 는 에포크당 스텝 수(모르면 ``None``).
        model: 훈련한 모델.
        traces: 훈련 스텝과 검증 스텝(순전파·손실·역전파를 담은 ``tf.function``)이 추적
            (trace)된 횟수. ``{"train": 1, "validation": 1}`` 이면 에포크가 몇 번이든,
            마지막 배치가 짧든 다시 추적하지 않았다는 뜻이다.
        epoch_seconds: 에포크별 벽시계 시간(초, 검증 포함). 첫 에포크에는 추적과 컴파일
            시간이 들어 있다.
        initial_epoch: 이번 호출이 시작한 에포크(0부터). ``checkpoint_dir`` 의 체크포인트에서
            이어서 훈련했으면 이미 끝난 에포크 수이고, 그때 ``history``, ``epoch``,
            ``epoch_seconds`` 에는 체크포인트에 저장된 앞 에포크들의 값도 들어 있다.
    """

    def __init__(self, model: keras.Model, params: dict[str, Any]) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params = params
        self.model = model
        self.traces: dict[str, int] = {"train": 0, "validation": 0}
        self.epoch_seconds: list[float] = []
        self.initial_epoch = 0

    def _resume(self, state: _checkpoint.ResumeState) -> None:
        self.initial_epoch = state.epochs_done
        self.epoch = list(range(state.epochs_done))
        self.history = {name: list(values) for name, values in state.history.items()}
        self.epoch_seconds = list(state.epoch_seconds)

    def _record(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        self.epoch.append(epoch)
        self.epoch_seconds.append(seconds)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"<History epochs={len(self.epoch)} keys=[{keys}]>"


def fit(
    model: keras.Model,
    x: Any,
    y: Any = None,
    *,
    loss: Any,
    optimizer: Any,
    metrics: list[Any] | tuple[Any, ...] | None = None,
    epochs: int = 1,
    batch_size: int = 32,
    validation_data: Any = None,
    shuffle: bool = True,
    seed: int | None = None,
    verbose: int | str = "auto",
    steps_per_execution: int = 32,
    jit_compile: bool | str = "auto",
    checkpoint_dir: str | os.PathLike[str] | None = None,
    strategy: tf.distribute.Strategy | None = None,
) -> History:
    """모델을 미니 배치 경사하강법으로 훈련한다. ``tf.GradientTape`` 로 직접 구현했다.

    한 스텝은 순전파 → 손실(모델 자신의 손실 ``model.losses`` 포함) → 그레이디언트 →
    ``optimizer.apply`` → 지표 갱신이다. 지표는 스텝마다 갱신하고 에포크마다 초기화한다.
    ``steps_per_execution`` 스텝을 컴파일된 함수 한 번으로 실행해서 파이썬 왕복 비용을 줄인다.

    Args:
        model: 훈련할 ``keras.Model`` (``Sequential``, 함수형, 서브클래싱 모두 된다).
            아직 만들어지지(built) 않았으면 첫 배치로 만든다.
        x: 입력. 넘파이 배열이나 ``tf.Tensor`` (첫 축이 샘플 축), 또는 ``(x, y)`` 배치를
            내놓는 ``tf.data.Dataset``. 데이터셋은 이미 배치로 묶여 있어야 하며 이때
            ``batch_size``, ``shuffle``, ``seed`` 는 쓰지 않는다 (``Model.fit`` 과 같다).
            실수(float) 배열은 ``keras.config.floatx()`` 로 바꾼다 (``Model.fit`` 과 같다).
        y: 타깃. ``x`` 가 배열이면 필요하고, 데이터셋이면 ``None`` 이어야 한다.
        loss: ``Model.compile`` 과 같은 값. ``"mse"`` 같은 이름, ``keras.losses.Loss`` 객체,
            또는 ``loss(y_true, y_pred)`` 함수.
        optimizer: ``Model.compile`` 과 같은 값. ``"adam"`` 같은 이름이나
            ``keras.optimizers.Optimizer`` 객체. 모델의 정책이 ``mixed_float16`` 이면
            ``Model.compile`` 처럼 ``LossScaleOptimizer`` 로 감싼다.
        metrics: ``Model.compile`` 과 같은 지표 리스트. ``"accuracy"`` 는 타깃과 출력의
            모양을 보고 이진/희소/범주 정확도 중 하나로 정한다.
        epochs: 에포크 수 (1 이상).
        batch_size: 배열 입력의 배치 크기 (1 이상). 분산 훈련에서는 전역 배치 크기(global
            batch size)다: 복제본이 N 개면 한 배치를 N 조각으로 나누어 계산한다.
        validation_data: 에포크 끝마다 평가할 ``(x_val, y_val)`` 배열 튜플이나 배치로 묶인
            ``tf.data.Dataset``. ``None`` 이면 검증하지 않는다.
        shuffle: 배열 입력을 에포크마다 섞을지 여부.
        seed: 섞는 순서의 시드. 같은 시드면 같은 순서다. ``None`` 이면 텐서플로의 전역 시드를
            따른다 (``keras.utils.set_random_seed`` 로 고정된다). 가중치 초기화에는 쓰지
            않는다.
        verbose: ``"auto"`` (=1), 0(출력 없음), 1(진행 막대), 2(에포크마다 한 줄).
        steps_per_execution: 컴파일된 함수 한 번이 실행하는 스텝 수 (1 이상). 진행 막대도
            이만큼의 스텝마다 갱신된다.
        jit_compile: ``True`` 면 XLA 로 컴파일한다. 배열 입력은 한 호출 분량의 스텝 전체가,
            데이터셋 입력은 한 스텝이 하나의 XLA 프로그램이 된다. ``"auto"`` (기본값)는 모델의
            모든 층이 XLA 를 지원하고(``layer.supports_jit``) 연산 결정론
            (``tf.config.experimental.enable_op_determinism``)이 꺼져 있으면 XLA 를 쓴다.
            ``Model.fit`` 의 ``"auto"`` 와 달리 CPU 에서도 쓴다: 이 저장소의
            ``benchmarks/bench_fit.py`` 에서 CPU 에서도 더 빨랐다. 첫 에포크에는 컴파일 시간이
            들고, 새 배치 모양(짧은 마지막 배치)마다 XLA 가 한 번 더 컴파일한다(재추적은 아니다).
            분산 훈련에서 ``"auto"`` 는 ``Model.fit`` 처럼 XLA 를 쓰지 않는다.
        checkpoint_dir: 체크포인트 디렉터리. 주면 에포크가 끝날 때마다 모델의 모든 변수
            (가중치, ``Dropout`` 같은 층의 난수 상태 포함), 옵티마이저 상태, 끝난 에포크 수,
            데이터를 섞는 시드, 지금까지의 기록을 ``ckpt-<에포크>`` 로 저장하고 마지막 3개를
            남긴다. 같은 디렉터리로 다시 부르면 마지막 체크포인트를 복원하고 남은 에포크만
            훈련한다(``epochs`` 는 전체 에포크 수다). 저장 도중에 프로세스가 죽어도 앞의
            체크포인트는 멀쩡하고, 끝까지 읽을 수 없는 체크포인트는 경고와 함께 건너뛴다. 배열
            입력은 이어서 훈련해도 데이터 순서가 끊기지 않은 훈련과 같다. 데이터셋 입력의
            순서는 데이터셋이 정한다.
        strategy: ``tf.distribute.Strategy``. 주면 스텝을 ``strategy.run`` 으로 복제본마다
            실행하고 손실과 그레이디언트를 복제본에 걸쳐 합친다. ``None`` 이고
            ``with strategy.scope():`` 안에서 부르면 그 전략을 쓴다. 모델과 (객체로 넘기는)
            옵티마이저·지표는 그 전략의 ``scope()`` 안에서 만들어야 한다.
            :func:`kerasguide.env.select_strategy` 가 환경에 맞는 전략을 만든다.

    Returns:
        :class:`History`. ``history.history`` 는 ``Model.fit`` 처럼 ``"loss"``, 각 지표,
        ``"val_"`` 이 붙은 검증 값을 에포크별 리스트로 담는다. 체크포인트에서 이어서
        훈련했으면 앞 에포크의 값도 들어 있다(``history.initial_epoch``).

    Raises:
        ValueError: ``x`` 와 ``y`` 의 길이가 다르거나, ``batch_size`` 같은 정수 인자가
            범위를 벗어나거나, 케라스가 모르는 손실/지표/옵티마이저 이름이거나, 훈련할
            가중치가 없는 모델인 경우, ``checkpoint_dir`` 의 체크포인트가 다른 모양의 모델이나
            다른 옵티마이저에서 저장된 경우, 모델이 ``strategy`` 의 ``scope()`` 밖에서
            만들어진 경우. 모두 훈련을 시작하기 전에 검사한다.
        TypeError: ``model`` 이 ``keras.Model`` 이 아니거나 ``x`` 가 배열/데이터셋이 아니거나
            ``strategy`` 가 ``tf.distribute.Strategy`` 가 아닌 경우.
        NonFiniteLossError: 훈련 손실이 NaN 이나 무한대가 된 경우. 에포크와 스텝을 알려 주며,
            그 에포크의 체크포인트는 저장하지 않는다.

    Example:
        >>> import numpy as np, keras, kerasguide
        >>> model = keras.Sequential([keras.Input((4,)), kerasguide.SimpleDense(1)])
        >>> x, y = np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32")
        >>> history = kerasguide.fit(model, x, y, loss="mse", optimizer="sgd",
        ...                          epochs=2, verbose=0)
        >>> sorted(history.history)
        ['loss']
    """
    # 1. Arguments: everything that can be checked without the model, before any work.
    if not isinstance(model, keras.Model):
        raise TypeError(
            "model 은 keras.Model 이어야 한다 (Sequential, 함수형, 서브클래싱 모델). "
            f"받은 값: model={model!r} ({type(model).__name__})."
        )
    epochs = check.check_int("epochs", epochs, minimum=1)
    batch_size = check.check_int("batch_size", batch_size, minimum=1)
    steps_per_execution = check.check_int("steps_per_execution", steps_per_execution, minimum=1)
    shuffle = check.check_bool("shuffle", shuffle)
    jit_compile = check.check_jit_compile(jit_compile)
    verbose_level = check.check_verbose(verbose)
    seed = check.check_seed(seed)
    checkpoint_dir = _checkpoint.check_checkpoint_dir(checkpoint_dir)
    check.check_loss(loss)
    metric_ids = check.check_metrics(metrics)
    resolved_optimizer = check.resolve_optimizer(optimizer)

    # 2. Datasets.
    train = _make_dataset(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, names=("x", "y"))
    validation = None
    if validation_data is not None:
        validation = _make_validation_dataset(validation_data, batch_size=batch_size)

    # 3. Model, loss, metrics, optimizer (needs a batch to build the model and to resolve
    #    "accuracy"/"crossentropy" like Model.compile does).
    strategy = _strategy(strategy)
    if strategy is None:
        loop = _TrainLoop.create(
            model,
            train.sample,
            loss=loss,
            metric_ids=metric_ids,
            optimizer=resolved_optimizer,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
        )
    else:
        from kerasguide import _distribute  # imports this module, so not at the top

        loop = _distribute.create_loop(
            strategy,
            model,
            train.sample,
            loss=loss,
            metric_ids=metric_ids,
            optimizer=optimizer,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
        )
    jit_compile = loop.jit_compile

    params = {
        "verbose": verbose_level,
        "epochs": epochs,
        "steps": train.steps,
        "batch_size": batch_size if isinstance(train, _ArrayData) else None,
        "steps_per_execution": steps_per_execution,
        "jit_compile": jit_compile,
    }
    history = History(model, params)
    loop.traces = history.traces

    # 4. Checkpoint: resume from the last good one in checkpoint_dir, if any.
    saver = None
    if checkpoint_dir is not None:
        saver = _checkpoint.TrainingCheckpoint(
            checkpoint_dir, model, loop.optimizer, strategy=strategy
        )
        try:
            resumed = saver.restore()
        except ValueError as error:  # another model's checkpoint: the message names it all
            raise error.with_traceback(None) from None
        if resumed is not None:
            history._resume(resumed)
            if isinstance(train, _ArrayData):
                train.shuffle_seed = resumed.shuffle_seed
            if verbose_level:
                _print_resumed(resumed, epochs)

    # 5. Epochs.
    for epoch in range(history.initial_epoch, epochs):
        start = time.perf_counter()
        if verbose_level:
            print(f"Epoch {epoch + 1}/{epochs}", flush=True)
        progbar = keras.utils.Progbar(
            target=train.steps, verbose=verbose_level, stateful_metrics=loop.log_names()
        )
        try:
            logs, seen = loop.run_epoch("train", train, epoch=epoch, progbar=progbar)
        except _NonFiniteLoss as bad:
            raise NonFiniteLossError(
                epoch=epoch + 1,
                epochs=epochs,
                step=bad.step,
                steps=train.steps,
                loss=bad.loss,
                checkpoint=saver.latest if saver is not None else None,
            ) from None
        if seen == 0:
            raise ValueError(
                "훈련 데이터셋이 배치를 하나도 내놓지 않았다. x 가 비어 있지 않은지 본다."
            )
        if validation is not None:
            val_logs, _ = loop.run_epoch("validation", validation, epoch=epoch, progbar=None)
            logs.update({f"val_{name}": value for name, value in val_logs.items()})
        history._record(epoch, logs, time.perf_counter() - start)
        progbar.update(seen, list(logs.items()), finalize=True)
        if saver is not None:
            saver.save(
                epochs_done=epoch + 1,
                shuffle_seed=train.shuffle_seed if isinstance(train, _ArrayData) else None,
                history=history.history,
                epoch_seconds=history.epoch_seconds,
            )
    return history


def _strategy(strategy: Any) -> tf.distribute.Strategy | None:
    """The ``tf.distribute`` strategy to train with, or ``None`` for the single-device loop."""
    if strategy is None and not tf.distribute.has_strategy():
        return None
    from kerasguide import _distribute  # imports this module, so not at the top

    return _distribute.resolve_strategy(strategy)


def _print_resumed(resumed: _checkpoint.ResumeState, epochs: int) -> None:
    name = os.path.basename(resumed.path)
    if resumed.epochs_done >= epochs:
        print(
            f"체크포인트 {name} 에 에포크 {resumed.epochs_done} 까지 끝나 있어 더 훈련하지 않는다 "
            f"(epochs={epochs}).",
            flush=True,
        )
    else:
        print(
            f"체크포인트 {name} 에서 이어서 훈련한다: 에포크 {resumed.epochs_done}/{epochs} 까지 "
            "끝났다.",
            flush=True,
        )


class _NonFiniteLoss(Exception):
    """Raised by ``run_epoch``; ``fit`` turns it into a ``NonFiniteLossError`` with context."""

    def __init__(self, step: int, loss: float) -> None:
        super().__init__(step, loss)
        self.step = step
        self.loss = loss


def _supports_jit(model: keras.Model) -> bool:
    """``jit_compile="auto"``: Keras's ``model_supports_jit`` rule, without its CPU exception."""
    # Every layer, nested ones included (Layer._flatten_layers is what Keras itself uses).
    layers = model._flatten_layers() if hasattr(model, "_flatten_layers") else model.layers
    if not all(getattr(layer, "supports_jit", True) for layer in layers):
        return False
    # XLA does not support every op under op determinism (Keras turns XLA off there too).
    return not _op_determinism_enabled()


def _op_determinism_enabled() -> bool:
    # Only a setter is public (tf.config.experimental.enable_op_determinism); Keras reads the
    # flag from the same private module.
    try:
        from tensorflow.python.framework.config import is_op_determinism_enabled
    except ImportError:  # pragma: no cover - other TensorFlow versions
        return False
    return bool(is_op_determinism_enabled())


def _batch_size(x: Any, dtype: Any) -> Any:
    # x may be nested (a dict of inputs from a dataset): every input has the batch axis first.
    return tf.cast(tf.shape(tf.nest.flatten(x)[0])[0], dtype)


class _ArrayData:
    """Arrays, kept whole as tensors and cut into chunks of batches every epoch.

    Each epoch takes a permutation of the sample indices (or ``0..n-1`` without shuffling),
    cuts it into full batches, and gathers them in chunks of ``steps_per_execution`` batches:
    ``x`` of shape ``(steps_per_execution, batch_size, ...)`` (the last chunk padded and told
    how many rows to use), then a short last batch as a chunk of one. The compiled function
    runs all the steps of a chunk in one call; with XLA they are one compiled program. Only
    the chunk, never the whole array, goes into the compiled function (and to a GPU).
    """

    def __init__(self, x: Any, y: Any, *, batch_size: int, shuffle: bool, seed: int | None) -> None:
        self.x, self.y = x, y
        self.size = int(x.shape[0])
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.steps: int | None = math.ceil(self.size / batch_size)
        self.sample = (x[:batch_size], y[:batch_size])  # builds the model before tracing
        self._base_seed: int | None = None

    def signature(self) -> list[tf.TensorSpec]:
        """Input signature of the compiled chunk function: unknown chunk and batch sizes."""
        return [
            tf.TensorSpec([None, None, *self.x.shape[1:]], self.x.dtype, name="x"),
            tf.TensorSpec([None, None, *self.y.shape[1:]], self.y.dtype, name="y"),
            tf.TensorSpec([], tf.int32, name="rows"),
        ]

    @property
    def shuffle_seed(self) -> int | None:
        """The seed of every epoch's order (with the epoch number); saved in checkpoints."""
        return self._base_seed

    @shuffle_seed.setter
    def shuffle_seed(self, value: int | None) -> None:
        self._base_seed = value

    def _order(self, epoch: int) -> Any:
        indices = tf.range(self.size, dtype=tf.int64)
        if not self.shuffle:
            return indices
        if self._base_seed is None:
            # seed=None: one draw from TensorFlow's global generator, so that
            # keras.utils.set_random_seed (or tf.random.set_seed) fixes the order.
            self._base_seed = (
                self.seed
                if self.seed is not None
                else int(tf.random.uniform([], maxval=2**31 - 1, dtype=tf.int64))
            )
        return tf.random.experimental.stateless_shuffle(indices, seed=[self._base_seed, epoch])

    def chunk_indices(self, epoch: int, steps_per_execution: int) -> Iterator[tuple[Any, int]]:
        """``(indices, rows_to_use)`` pairs covering one epoch; ``indices`` is 2-D."""
        order = self._order(epoch)
        full_batches, remainder = divmod(self.size, self.batch_size)
        if full_batches:
            chunks = math.ceil(full_batches / steps_per_execution)
            padding = (chunks * steps_per_execution - full_batches) * self.batch_size
            used = order[: full_batches * self.batch_size]
            padded = tf.pad(used, [[0, padding]]) if padding else used
            blocks = tf.reshape(padded, [chunks, steps_per_execution, self.batch_size])
            for chunk in range(chunks):
                rows = min(steps_per_execution, full_batches - chunk * steps_per_execution)
                yield blocks[chunk], rows
        if remainder:
            yield tf.reshape(order[full_batches * self.batch_size :], [1, remainder]), 1

    def chunks(self, epoch: int, steps_per_execution: int) -> Iterator[tuple[Any, Any, int]]:
        """``(x_chunk, y_chunk, rows_to_use)`` covering one epoch."""
        for indices, rows in self.chunk_indices(epoch, steps_per_execution):
            yield tf.gather(self.x, indices), tf.gather(self.y, indices), rows


class _DatasetData:
    """A batched ``tf.data.Dataset`` of ``(x, y)``, read through an iterator."""

    def __init__(self, dataset: tf.data.Dataset, sample: tuple[Any, Any], steps: int | None):
        self.dataset = dataset
        self.sample = sample  # one real batch, to build the model before tracing
        self.steps = steps


_Data = _ArrayData | _DatasetData


def _standardize_array(value: Any) -> Any:
    """Float arrays to ``floatx`` like Keras's array adapter; everything else unchanged."""
    dtype = tf.as_dtype(value.dtype)
    if dtype.is_floating and dtype.name != keras.config.floatx():
        return tf.cast(value, keras.config.floatx())
    return tf.convert_to_tensor(value)


def _make_dataset(
    x: Any, y: Any, *, batch_size: int, shuffle: bool, seed: int | None, names: tuple[str, str]
) -> _Data:
    x_name, y_name = names
    if isinstance(x, tf.data.Dataset):
        if y is not None:
            raise ValueError(
                f"{x_name} 가 tf.data.Dataset 이면 {y_name} 는 None 이어야 한다 "
                f"(데이터셋이 (x, y) 배치를 내놓는다). 받은 값: {y_name}={check._short_repr(y)}."
            )
        return _from_dataset(x, x_name)
    check.check_array(x_name, x)
    if y is None:
        raise ValueError(f"{x_name} 가 배열이면 타깃 {y_name} 가 필요하다. 받은 값: {y_name}=None.")
    check.check_array(y_name, y)
    check.check_same_length(x_name, x, y_name, y)
    return _ArrayData(
        _standardize_array(x),
        _standardize_array(y),
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
    )


def _from_dataset(dataset: tf.data.Dataset, name: str) -> _DatasetData:
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) == 2):
        raise ValueError(
            f"{name} 데이터셋은 (x, y) 튜플 배치를 내놓아야 한다. "
            f"받은 원소 명세(element_spec): {spec}."
        )
    cardinality = int(dataset.cardinality())
    if cardinality == _INFINITE:
        raise ValueError(
            f"{name} 데이터셋이 끝없이 반복된다(repeat()). kerasguide.fit 은 에포크마다 "
            "데이터셋을 끝까지 한 번 돈다. repeat() 을 빼고 넘긴다."
        )
    sample = next(iter(dataset.take(1)), None)
    if sample is None:
        raise ValueError(f"{name} 데이터셋이 비어 있다 (배치가 하나도 없다).")
    steps = cardinality if cardinality >= 0 else None
    return _DatasetData(dataset, tuple(sample), steps)


def _make_validation_dataset(validation_data: Any, *, batch_size: int) -> _Data:
    if isinstance(validation_data, tf.data.Dataset):
        return _from_dataset(validation_data, "validation_data")
    if not (isinstance(validation_data, tuple | list) and len(validation_data) == 2):
        raise ValueError(
            "validation_data 는 (x_val, y_val) 튜플이나 (x, y) 배치를 내놓는 tf.data.Dataset "
            f"이어야 한다. 받은 값: validation_data={check._short_repr(validation_data)}."
        )
    x_val, y_val = validation_data
    return _make_dataset(
        x_val,
        y_val,
        batch_size=batch_size,
        shuffle=False,
        seed=None,
        names=("validation_data[0]", "validation_data[1]"),
    )


class _TrainLoop:
    """The compiled functions and the state (loss tracker, metrics) they update.

    Every compiled function runs several steps per call in a ``tf.while_loop`` and returns
    ``(steps_run, logs)``:

    - arrays: the function takes a chunk of batches, shape ``(steps, batch, ...)``.
      With XLA the whole chunk (all its steps) is one compiled program. Its signature has
      unknown dimensions, so it is traced once; XLA compiles once per chunk shape (full
      chunks, and a short last batch).
    - datasets: the function pulls batches from a ``tf.data`` iterator; one step is its own
      ``tf.function`` (XLA-compiled if asked). When the number of batches is known the loop
      asks for exactly the steps that remain (``get_next()``); otherwise it pulls
      ``get_next_as_optional()`` until the iterator is exhausted.

    A distributed version wraps the step in ``strategy.run`` and reduces the outputs; the
    epoch loop stays the same.
    """

    def __init__(
        self,
        model: keras.Model,
        loss_fn: Any,
        optimizer: Any,
        metrics: list[keras.metrics.Metric],
        *,
        steps_per_execution: int,
        jit_compile: bool,
    ) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.metrics = metrics
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.steps_per_execution = steps_per_execution
        self.call_has_training = "training" in inspect.signature(model.call).parameters
        self.traces: dict[str, int] = {"train": 0, "validation": 0}
        self.jit_compile = jit_compile
        self._functions: dict[tuple[str, int], Any] = {}
        self._int_tensors: dict[int, Any] = {}

    @classmethod
    def create(
        cls,
        model: keras.Model,
        sample: tuple[Any, Any],
        *,
        loss: Any,
        metric_ids: list[Any],
        optimizer: Any,
        steps_per_execution: int,
        jit_compile: bool | str,
    ) -> _TrainLoop:
        x_sample, y_sample = sample
        # An eager forward pass on one real batch builds an unbuilt model (as Model.fit's
        # symbolic build does), shows the output shape, and surfaces shape errors early.
        call_kwargs = (
            {"training": False} if "training" in inspect.signature(model.call).parameters else {}
        )
        y_pred = model(x_sample, **call_kwargs)
        if not model.trainable_variables:
            raise ValueError(
                f"모델 '{model.name}' 에 훈련할 가중치(trainable_variables)가 없다. "
                f"받은 모델의 가중치 수: 전체 {len(model.variables)}, 훈련 가능 0. "
                "층이 모두 trainable=False 인지(동결), 가중치가 있는 층을 넣었는지 확인한다."
            )
        y_shape, y_pred_shape = tuple(y_sample.shape), tuple(y_pred.shape)
        loss_fn = check.resolve_loss(loss, y_shape, y_pred_shape)
        metrics = [check.resolve_metric(m, y_shape, y_pred_shape) for m in metric_ids]
        loss_fn(y_sample, y_pred)  # a loss that does not fit y fails here, not mid-training
        if model.dtype_policy.name == "mixed_float16" and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer
        ):
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        return cls(
            model,
            loss_fn,
            optimizer,
            metrics,
            steps_per_execution=steps_per_execution,
            jit_compile=_supports_jit(model) if jit_compile == "auto" else bool(jit_compile),
        )

    def log_names(self) -> list[str]:
        names = ["loss", *(m.name for m in self.metrics)]
        return names + [f"val_{name}" for name in names]

    # --- one step ---------------------------------------------------------------------------

    def _call_model(self, x: Any, training: bool) -> Any:
        if self.call_has_training:
            return self.model(x, training=training)
        return self.model(x)

    def _total_loss(self, y: Any, y_pred: Any) -> Any:
        # Same arithmetic as Model.compute_loss: compiled loss plus each of model.losses
        # (regularizers, add_loss), each summed and cast to floatx.
        losses = [ops.cast(self.loss_fn(y, y_pred), keras.config.floatx())]
        for extra in self.model.losses:
            if not keras.backend.is_float_dtype(extra.dtype):
                extra = ops.cast(extra, keras.config.floatx())
            losses.append(ops.sum(extra))
        return losses[0] if len(losses) == 1 else ops.sum(losses)

    def _update_metrics(self, y: Any, y_pred: Any) -> None:
        for metric in self.metrics:
            metric.update_state(y, y_pred)

    def _train_step(self, data: Any) -> tuple[Any, Any]:
        """One step of mini-batch gradient descent; returns ``(loss, batch_size)``."""
        self.traces["train"] += 1  # called only while tracing a compiled function
        x, y = data
        trainable = self.model.trainable_variables
        with tf.GradientTape() as tape:
            y_pred = self._call_model(x, training=True)
            loss = self._total_loss(y, y_pred)
            scaled_loss = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled_loss, trainable)
        self.optimizer.apply(gradients, trainable)
        self._update_metrics(y, y_pred)
        return loss, _batch_size(x, loss.dtype)

    def _test_step(self, data: Any) -> tuple[Any, Any]:
        self.traces["validation"] += 1  # called only while tracing a compiled function
        x, y = data
        y_pred = self._call_model(x, training=False)
        loss = self._total_loss(y, y_pred)
        self._update_metrics(y, y_pred)
        return loss, _batch_size(x, loss.dtype)

    def _finish(self, steps_run: Any, loss_sum: Any, count: Any) -> tuple[Any, dict[str, Any]]:
        # The loss is summed in the loop (weighted by batch size, as Model.fit's loss tracker
        # does) and handed to the tracker once per call: fewer ops per step.
        self.loss_tracker.update_state(tf.math.divide_no_nan(loss_sum, count), sample_weight=count)
        results = {
            "loss": self.loss_tracker.result(),
            **{metric.name: metric.result() for metric in self.metrics},
        }
        return steps_run, results

    # --- compiled multi-step functions ------------------------------------------------------

    def _function(self, kind: str, data: _Data) -> Any:
        """The compiled multi-step function for ``kind`` ("train"/"validation") over ``data``."""
        key = (kind, id(data))
        if key not in self._functions:
            step = self._train_step if kind == "train" else self._test_step
            guard = kind == "train"
            if isinstance(data, _ArrayData):
                self._functions[key] = self._chunk_function(step, data, guard=guard)
            else:
                self._functions[key] = self._iterator_function(
                    step, exact=data.steps is not None, guard=guard
                )
        return self._functions[key]

    # With guard=True (training), a call stops after the first step whose loss is NaN or
    # infinite and reports that step as its last: the running loss sum is then not finite
    # either, which is all the loop condition checks. run_epoch raises _NonFiniteLoss.

    def _chunk_function(self, step: Callable[[Any], Any], data: _ArrayData, guard: bool) -> Any:
        floatx = keras.config.floatx()

        def run_chunk(x: Any, y: Any, rows: Any) -> tuple[Any, dict[str, Any]]:
            def cond(i: Any, loss_sum: Any, samples: Any) -> Any:
                return tf.logical_and(i < rows, tf.math.is_finite(loss_sum)) if guard else i < rows

            def body(i: Any, loss_sum: Any, samples: Any) -> tuple[Any, Any, Any]:
                loss, size = step((x[i], y[i]))
                return i + 1, loss_sum + loss * size, samples + size

            zero = tf.constant(0.0, floatx)
            state = tf.while_loop(cond, body, (tf.constant(0), zero, zero))
            return self._finish(*state)

        # No autograph: the loop is already graph code (tf.while_loop), as in Model.fit.
        return tf.function(
            tf.autograph.experimental.do_not_convert(run_chunk),
            input_signature=data.signature(),
            jit_compile=self.jit_compile,
        )

    def _iterator_function(self, raw_step: Callable[[Any], Any], exact: bool, guard: bool) -> Any:
        floatx = keras.config.floatx()
        # One step is its own tf.function (with XLA if asked): traced once, called from
        # several places of the unrolled loop.
        step = tf.function(
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
        return tf.function(function, reduce_retracing=True)

    # --- epochs -----------------------------------------------------------------------------

    def _int(self, value: int) -> Any:
        if value not in self._int_tensors:
            self._int_tensors[value] = tf.constant(value, dtype=tf.int32)
        return self._int_tensors[value]

    def _calls(self, kind: str, data: _Data, epoch: int) -> Iterator[tuple[int, dict[str, Any]]]:
        """Run the compiled function over one epoch of ``data``: ``(steps, logs)`` per call."""
        function = self._function(kind, data)
        if isinstance(data, _ArrayData):
            for x, y, rows in data.chunks(epoch, self.steps_per_execution):
                steps_run, results = function(x, y, self._int(rows))
                yield int(steps_run), results
            return
        yield from self._iterator_calls(function, iter(data.dataset), data.steps)

    def _iterator_calls(
        self, function: Any, iterator: Any, total_steps: int | None
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """Call ``function(iterator, n)`` until ``total_steps`` ran or the iterator ran dry."""
        seen = 0
        while total_steps is None or seen < total_steps:
            wanted = self.steps_per_execution
            if total_steps is not None:
                wanted = min(wanted, total_steps - seen)
            steps_run, results = function(iterator, self._int(wanted))
            steps = int(steps_run)
            seen += steps
            yield steps, results
            if steps < wanted:
                return

    def run_epoch(
        self, kind: str, data: _Data, *, epoch: int, progbar: keras.utils.Progbar | None
    ) -> tuple[dict[str, float], int]:
        """Reset the metrics and run one pass over ``data``; return the logs and steps run."""
        self.loss_tracker.reset_state()
        for metric in self.metrics:
            metric.reset_state()
        seen = 0
        results: dict[str, Any] = {}
        for steps, call_results in self._calls(kind, data, epoch):
            if not steps:
                continue
            seen += steps
            results = call_results
            if kind == "train" and not math.isfinite(loss := float(results["loss"])):
                raise _NonFiniteLoss(seen, loss)
            if progbar is not None:
                progbar.update(seen, [(k, float(v)) for k, v in results.items()], finalize=False)
        return {name: float(np.asarray(value)) for name, value in results.items()}, seen
