"""공개 함수 :func:`fit`: 인자, 데이터, 훈련기, 체크포인트, 콜백을 정하고 에포크를 돌린다."""

from __future__ import annotations

import contextlib
import functools
import os
from typing import TYPE_CHECKING, Any

import keras

import kerasguide._checks as check
import kerasguide.training._resolve as _resolve
from kerasguide._errors import UnsupportedBackendError
from kerasguide.training._backend import (
    create_trainer,
    jax_distribution,
    jax_processes,
    make_checkpoint,
    resolve_strategy,
    strategy_module,
)
from kerasguide.training._callbacks import check_callbacks, make_callback_list, terminates_on_nan
from kerasguide.training._data import ArrayData, make_data, unpack_validation
from kerasguide.training._epoch_iterator import EpochIterator
from kerasguide.training._epochs import run_epochs
from kerasguide.training._history import History
from kerasguide.training._model_compile import callbacks_see_current_state, model_compile_args

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = ["SUPPORTED_BACKENDS", "fit"]

SUPPORTED_BACKENDS = ("tensorflow", "jax")


def fit(
    model: keras.Model,
    x: Any,
    y: Any = None,
    *,
    loss: Any = None,
    optimizer: Any = None,
    metrics: list[Any] | tuple[Any, ...] | None = None,
    weighted_metrics: list[Any] | tuple[Any, ...] | None = None,
    epochs: int = 1,
    batch_size: int = 32,
    verbose: int | str = "auto",
    callbacks: list[keras.callbacks.Callback] | None = None,
    validation_split: float | None = None,
    validation_data: Any = None,
    shuffle: bool = True,
    class_weight: dict[int, float] | None = None,
    sample_weight: Any = None,
    initial_epoch: int = 0,
    steps_per_epoch: int | None = None,
    validation_steps: int | None = None,
    validation_batch_size: int | None = None,
    validation_freq: int | list[int] = 1,
    seed: int | None = None,
    steps_per_execution: int = 32,
    jit_compile: bool | str = "auto",
    checkpoint_dir: str | os.PathLike[str] | None = None,
    strategy: tf.distribute.Strategy | None = None,
) -> History:
    """모델을 미니 배치 경사하강법으로 훈련한다: 텐서플로와 JAX 백엔드에서 직접 구현한 반복.

    한 스텝은 정방향 패스 → 손실(모델 자신의 손실 ``model.losses`` 포함) → 그레이디언트(텐서플로는
    ``tf.GradientTape``, JAX 는 ``jax.value_and_grad``) →
    ``optimizer.apply`` → 지표 갱신이다. 지표는 스텝마다 갱신하고 에포크마다 초기화한다.
    ``steps_per_execution`` 스텝을 컴파일된 함수 한 번으로 실행해서 파이썬 왕복 비용을 줄인다.
    훈련 인자는 케라스 ``Model.fit`` 과 같은 뜻이다: ``Model.fit(...)`` 을 부르던 코드에서
    ``kerasguide.fit(model, ..., loss=..., optimizer=...)`` 로 바꿔 쓸 수 있다.

    ``fit`` 이 끝난 모델은 ``Model.compile`` 한 뒤 ``Model.fit`` 으로 훈련한 모델과 같다:
    ``fit`` 은 첫 스텝 전에 ``model.compile(optimizer=..., loss=..., metrics=...)`` 을 부르고
    (``"accuracy"`` 같은 이름은 ``Model.compile`` 처럼 푼 지표 객체로), 훈련 반복은 바로 그 지표
    객체와 옵티마이저를 쓴다. 그래서 훈련하는 동안과 그 뒤에 ``model.optimizer`` 는 훈련한
    옵티마이저(상태 포함), ``model.metrics`` 에는 훈련한 지표가 있고(``mode="auto"`` 인
    ``EarlyStopping`` 이나 ``ModelCheckpoint`` 가 ``"val_accuracy"`` 를 키워야 할지 안다),
    ``model.evaluate``, ``model.predict``, ``model.save`` (컴파일 설정과 옵티마이저 상태까지
    저장), 미세 조정을 위한 케라스의 ``model.fit`` 이 곧바로 된다. 이미 ``compile`` 한 모델에
    ``loss``, ``optimizer``, ``metrics``, ``weighted_metrics`` 를 하나도 주지 않으면 그 모델의
    ``compile`` 설정으로 훈련하고 그대로 둔다. 하나라도 주면 그것으로 다시 ``compile`` 한다
    (``steps_per_execution``, ``jit_compile`` 같은 앞선 ``compile`` 의 나머지 설정은 남는다).
    모델은 첫 배치의 모양으로 만든다(build). ``Model.fit`` 처럼 기호 텐서(``keras.KerasTensor``)
    로만 추적하므로 훈련 스텝 말고는 모델이 실행되지 않는다.

    Args:
        model: 훈련할 ``keras.Model`` (``Sequential``, 함수형, 서브클래싱 모두 된다).
            아직 만들어지지(built) 않았으면 첫 배치로 만든다.
        x: 입력. ``Model.fit`` 이 받는 모든 것: 넘파이 배열, 텐서, pandas
            ``DataFrame``/``Series``, 그것들의 dict 나 list(입력이 여럿인 모델), 또는 ``(x, y)``
            나 ``(x, y, sample_weight)`` 배치를 내놓는 ``tf.data.Dataset``,
            ``keras.utils.PyDataset`` (``workers``, ``use_multiprocessing`` 을 케라스의 데이터
            어댑터가 그대로 따른다), 파이썬 제너레이터(끝이 없으면 ``steps_per_epoch`` 로 에포크를
            정한다). 배열은 첫 축이 샘플 축이고, 실수 배열은 ``keras.config.floatx()`` 로
            바꾼다. 배열이 아닌 입력은 이미 배치로 묶여 있어야 하며 ``batch_size`` 와 ``seed``
            를 쓰지 않는다(``Model.fit`` 과 같다).
        y: 타깃. ``x`` 가 배열이면 필요하고, 아니면 ``None`` 이어야 한다.
        loss: ``Model.compile`` 과 같은 값. ``"mse"`` 같은 이름, ``keras.losses.Loss`` 객체,
            또는 ``loss(y_true, y_pred)`` 함수. ``compile`` 한 모델이면 생략할 수 있다(위).
        optimizer: ``Model.compile`` 과 같은 값. ``"adam"`` 같은 이름이나
            ``keras.optimizers.Optimizer`` 객체. 모델의 정책이 ``mixed_float16`` 이면
            ``Model.compile`` 처럼 ``LossScaleOptimizer`` 로 감싼다. 훈련하는 동안과 그 뒤에
            ``model.optimizer`` 가 이 옵티마이저다(콜백이 학습률을 읽고 바꾼다).
        metrics: ``Model.compile`` 과 같은 지표 리스트. ``"accuracy"`` 는 타깃과 출력의
            모양을 보고 이진/희소/범주 정확도 중 하나로 정한다. 샘플 가중치를 쓰지 않는다.
        weighted_metrics: ``Model.compile`` 과 같이, ``sample_weight`` 나 ``class_weight`` 로
            가중치를 주어 계산하는 지표 리스트. 같은 이름의 지표가 ``metrics`` 에도 있으면
            기록의 이름은 ``"weighted_<이름>"`` 이다.
        epochs: 마지막 에포크 번호(1 이상). ``initial_epoch`` 부터 ``epochs`` 까지 훈련한다.
        batch_size: 배열 입력의 배치 크기 (1 이상). 분산 훈련에서는 전역 배치 크기(global
            batch size)다: 복제본이 N 개면 한 배치를 N 조각으로 나누어 계산한다. JAX 에서
            프로세스 P 개가 함께 훈련하면(``keras.distribution.initialize``) 프로세스마다 각자의
            ``x`` 에서 ``batch_size / P`` 행씩 내어 전역 배치를 이룬다(P 의 배수여야 한다).
        verbose: ``"auto"`` (=1), 0(출력 없음), 1(진행 막대), 2(에포크마다 한 줄). 진행 막대는
            케라스의 ``ProgbarLogger`` 콜백이다.
        callbacks: ``keras.callbacks.Callback`` 리스트. ``Model.fit`` 처럼 케라스의
            ``CallbackList`` 로 부른다: ``callback.model`` 은 훈련하는 모델,
            ``callback.params`` 는 ``History.params`` 와 같다. 배치 훅(``on_train_batch_*``)은
            ``Model.fit`` 처럼 컴파일된 호출(``steps_per_execution`` 스텝)마다 한 번 불린다.
            검증 중에는 ``on_test_*`` 가 불린다. 어느 훅에서든 ``model.stop_training = True``
            로 훈련을 멈출 수 있다. ``EarlyStopping``, ``ModelCheckpoint``, ``CSVLogger``,
            ``ReduceLROnPlateau``, ``LearningRateScheduler``, ``TerminateOnNaN``,
            ``TensorBoard``, ``LambdaCallback`` 이 그대로 동작한다. ``TerminateOnNaN`` 이
            있으면 손실이 NaN 이 되어도 :class:`~kerasguide.NonFiniteLossError` 대신
            ``Model.fit`` 처럼 조용히 멈춘다. ``BackupAndRestore`` 는 ``checkpoint_dir`` 와 함께
            쓸 수 없다(같은 일을 하므로 ``ValueError``).
        validation_split: 0 과 1 사이의 비율. 배열의 마지막 이만큼을(섞기 전에) 검증 데이터로
            떼어 낸다(``Model.fit`` 과 같은 샘플). 데이터셋 입력에는 쓸 수 없다.
            ``None`` 이나 0 이면 떼지 않는다.
        validation_data: 에포크 끝마다 평가할 ``(x_val, y_val)`` 나
            ``(x_val, y_val, sample_weight_val)`` 튜플(``x`` 처럼 배열, 텐서, pandas, dict),
            또는 배치를 내놓는 ``tf.data.Dataset``, ``PyDataset``, 제너레이터.
            주면 ``validation_split`` 보다 먼저다.
        shuffle: 배열 입력을 에포크마다 섞을지 여부. ``PyDataset`` 은 ``Model.fit`` 처럼 배치의
            순서를 섞는다(파이썬의 ``random``). 데이터셋과 제너레이터는 스스로 순서를 정한다.
        class_weight: ``{클래스 번호: 가중치}``. 샘플마다 그 클래스의 가중치를 샘플 가중치로
            쓴다(``Model.fit`` 과 같다). 키는 타깃에 있는 클래스 번호여야 한다.
            ``sample_weight`` 와 함께 쓸 수 없다.
        sample_weight: 샘플마다의 가중치 배열(길이가 ``x`` 와 같다). 손실과
            ``weighted_metrics`` 에 쓴다. 데이터셋이면 데이터셋이 세 번째 원소로 내놓는다.
        initial_epoch: 시작 에포크(0부터, ``epochs`` 보다 작다). 앞선 훈련을 이어 갈 때 쓴다.
            ``history.epoch`` 는 이 번호부터다.
        steps_per_epoch: 배열이 아닌 입력의 에포크당 스텝 수. 주면 ``Model.fit`` 처럼 데이터셋
            반복자를 에포크 사이에 이어서 쓰고, ``repeat()`` 한 끝없는 데이터셋도 받는다.
        validation_steps: 배열이 아닌 검증 데이터에서 매번 읽을 배치 수(처음부터 다시 읽는다).
        validation_batch_size: 배열 검증 데이터의 배치 크기. ``None`` 이면 ``batch_size``.
        validation_freq: 몇 에포크마다 검증할지(정수), 또는 검증할 에포크 번호(1부터) 리스트.
        seed: 섞는 순서의 시드. 같은 시드면 같은 순서다. ``None`` 이면 텐서플로의 전역 시드를
            따른다 (``keras.utils.set_random_seed`` 로 고정된다). 가중치 초기화에는 쓰지
            않는다.
        steps_per_execution: 컴파일된 함수 한 번이 실행하는 스텝 수 (1 이상). 진행 막대와
            배치 콜백도 이만큼의 스텝마다 불린다.
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
        :class:`History` (``keras.callbacks.History``). ``history.history`` 는 ``Model.fit``
        처럼 ``"loss"``, 각 지표, ``"val_"`` 이 붙은 검증 값을 에포크별 리스트로 담는다.
        체크포인트에서 이어서 훈련했으면 앞 에포크의 값도 들어 있다(``history.initial_epoch``).

    Raises:
        ValueError: ``x`` 와 ``y`` (와 ``sample_weight``)의 길이가 다르거나, 정수 인자가
            범위를 벗어나거나, ``initial_epoch >= epochs`` 이거나, ``validation_split`` 이
            (0, 1) 밖이거나 데이터셋과 함께 왔거나, ``class_weight`` 의 키가 타깃의 클래스가
            아니거나, 케라스가 모르는 손실/지표/옵티마이저 이름이거나, ``compile`` 하지 않은
            모델에 ``loss`` 나 ``optimizer`` 가 없는 경우, ``checkpoint_dir`` 의 체크포인트가
            다른 모양의 모델이나 다른 옵티마이저에서 저장된 경우, 모델이 ``strategy`` 의
            ``scope()`` 밖에서 만들어진 경우. 모두 훈련을 시작하기 전에(아무것도 저장하기
            전에) 검사한다.
        TypeError: ``model`` 이 ``keras.Model`` 이 아니거나 ``x`` 가 배열/데이터셋이 아니거나
            콜백이 ``keras.callbacks.Callback`` 이 아니거나 ``strategy`` 가
            ``tf.distribute.Strategy`` 가 아닌 경우.
        NonFiniteLossError: 훈련 손실이 NaN 이나 무한대가 된 경우(``TerminateOnNaN`` 콜백이
            없을 때). 에포크와 스텝을 알려 주며, 그 에포크의 체크포인트는 저장하지 않는다.

    Example:
        >>> import numpy as np, keras, kerasguide
        >>> model = keras.Sequential([keras.Input((4,)), kerasguide.SimpleDense(1)])
        >>> x, y = np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32")
        >>> history = kerasguide.fit(model, x, y, loss="mse", optimizer="sgd", epochs=2,
        ...                          callbacks=[keras.callbacks.EarlyStopping("loss")],
        ...                          verbose=0)
        >>> sorted(history.history)
        ['loss']
    """
    # 1. Arguments: everything that can be checked without the model, before any work.
    backend = keras.backend.backend()
    if backend not in SUPPORTED_BACKENDS:
        raise UnsupportedBackendError(backend, SUPPORTED_BACKENDS)
    if not isinstance(model, keras.Model):
        raise check.argument_error(
            "model",
            model,
            "keras.Model 이어야 한다 (Sequential, 함수형, 서브클래싱 모델)",
            error=TypeError,
        )
    epochs = check.check_int("epochs", epochs, minimum=1)
    initial_epoch = check.check_int("initial_epoch", initial_epoch, minimum=0)
    if initial_epoch >= epochs:
        raise ValueError(
            f"initial_epoch 는 epochs 보다 작아야 한다 (initial_epoch 부터 epochs 까지 훈련한다). "
            f"받은 값: initial_epoch={initial_epoch}, epochs={epochs}."
        )
    batch_size = check.check_int("batch_size", batch_size, minimum=1)
    steps_per_execution = check.check_int("steps_per_execution", steps_per_execution, minimum=1)
    shuffle = check.check_bool("shuffle", shuffle)
    jit_compile = check.check_jit_compile(jit_compile)
    verbose_level = check.check_verbose(verbose)
    seed = check.check_seed(seed)
    checkpoint_dir = check.check_checkpoint_dir(checkpoint_dir)
    user_callbacks = check_callbacks(callbacks, checkpoint_dir=checkpoint_dir)
    split = None if validation_split in (None, 0, 0.0) else validation_split
    if split is not None:
        split = check.check_fraction("validation_split", split)
    validation_freq = check.check_validation_freq(validation_freq, epochs)
    class_weight = check.check_class_weight(class_weight)
    if steps_per_epoch is not None:
        steps_per_epoch = check.check_int("steps_per_epoch", steps_per_epoch, minimum=1)
    if validation_steps is not None:
        validation_steps = check.check_int("validation_steps", validation_steps, minimum=1)
    val_batch_size = batch_size
    if validation_batch_size is not None:
        val_batch_size = check.check_int("validation_batch_size", validation_batch_size, minimum=1)
    if loss is None and optimizer is None and metrics is None and weighted_metrics is None:
        # A model the user compiled trains with its compile, as under Model.fit.
        compiled = model_compile_args(model)
        if compiled is not None:
            loss, optimizer = compiled["loss"], compiled["optimizer"]
            metrics, weighted_metrics = compiled["metrics"], compiled["weighted_metrics"]
    for name, value in (("loss", loss), ("optimizer", optimizer)):
        if value is None:
            raise check.argument_error(
                name,
                value,
                "compile 하지 않은 모델에는 꼭 주어야 한다 (Model.compile 과 같은 값)",
                hint="예: loss='sparse_categorical_crossentropy', optimizer='adam'. 또는 fit "
                "앞에서 model.compile(...) 하고 fit 에는 loss, optimizer, metrics 를 주지 않는다.",
            )
    _resolve.check_loss(loss)
    metric_ids = _resolve.check_metrics(metrics)
    weighted_ids = _resolve.check_metrics(weighted_metrics, "weighted_metrics")
    # The strategy and the optimizer, decided once (a named optimizer is created in the scope).
    strategy, distributed = resolve_strategy(backend, strategy)
    with strategy.scope() if distributed else contextlib.nullcontext():
        if distributed and isinstance(optimizer, keras.optimizers.Optimizer):
            strategy_module().check_created_in_scope(strategy, optimizer=optimizer)
        optimizer = _resolve.resolve_optimizer(optimizer)

    # 2. Data: the training data and the validation data (validation_split's rows, if asked).
    # JAX processes training as one (keras.distribution) each give their share of every batch.
    processes = jax_processes() if backend == "jax" else 1
    local_batch, local_val_batch = batch_size, val_batch_size
    if processes > 1:
        local_batch = jax_distribution().local_batch_size("batch_size", batch_size, processes)
        name = "validation_batch_size" if validation_batch_size is not None else "batch_size"
        local_val_batch = jax_distribution().local_batch_size(name, val_batch_size, processes)
    train, split_rows = make_data(
        x,
        y,
        sample_weight,
        class_weight=class_weight,
        validation_split=split if validation_data is None else None,
        batch_size=local_batch,
        shuffle=shuffle,
        seed=seed,
        steps=steps_per_epoch,
    )
    validation = None
    if validation_data is not None or split_rows is not None:
        x_val, y_val, sw_val = unpack_validation(validation_data, split_rows)
        validation, _ = make_data(
            x_val,
            y_val,
            sw_val,
            names=("validation_data[0]", "validation_data[1]", "validation_data[2]")
            if split_rows is None
            else ("x", "y", "sample_weight"),
            batch_size=local_val_batch,
            shuffle=False,
            seed=None,
            steps=validation_steps,
            steps_name="validation_steps",
        )
    elif validation_steps is not None:
        raise check.argument_error(
            "validation_steps", validation_steps, "validation_data 와 함께만 쓴다"
        )

    if processes > 1:
        for name, data in (("x", train), ("validation_data", validation)):
            if isinstance(data, ArrayData):
                jax_distribution().check_same_rows(name, data.size)

    # 3. The trainer (builds the model on a batch, resolves "accuracy" like compile).
    trainer = create_trainer(
        backend,
        model,
        train.sample,
        loss=loss,
        metric_ids=metric_ids,
        weighted_metric_ids=weighted_ids,
        optimizer=optimizer,
        strategy=strategy,
        distributed=distributed,
        steps_per_execution=steps_per_execution,
        jit_compile=jit_compile,
    )
    epochs_of = functools.partial(
        EpochIterator,
        steps_per_execution=steps_per_execution,
        chunked=not distributed,
        tf_iterator=trainer.tf_iterator(),
    )
    train_epochs = epochs_of(train, steps_per_epoch=steps_per_epoch)
    val_epochs = None
    if validation is not None:
        val_epochs = epochs_of(validation, steps_per_epoch=validation_steps, carry_over=False)

    # 4. Checkpoint: resume from the last good one in checkpoint_dir, if any.
    history = History()
    trainer.traces = history.traces
    saver = None
    resumed_epochs = 0
    if checkpoint_dir is not None:
        saver = make_checkpoint(backend, checkpoint_dir, model, trainer, strategy, distributed)
        try:
            resumed = saver.restore()
        except ValueError as error:  # another model's checkpoint: the message names it all
            raise error.with_traceback(None) from None
        if resumed is not None:
            history.resume(resumed.epochs_done, resumed.history, resumed.epoch_seconds)
            train.shuffle_seed = resumed.shuffle_seed
            if verbose_level:
                print(resumed.describe(epochs), flush=True)
            resumed_epochs = resumed.epochs_done

    # 5. Callbacks and epochs, in the order Model.fit calls them.
    callback_list = make_callback_list(
        user_callbacks,
        history,
        model,
        verbose=verbose_level,
        epochs=epochs,
        steps=train_epochs.steps,
        batch_size=None if train.batch_size is None else batch_size,  # the global batch
        steps_per_execution=steps_per_execution,
        jit_compile=trainer.jit_compile,
    )
    model.stop_training = False
    try:
        callback_list.on_train_begin()
        # The first epoch, decided once: the argument, the checkpoint's, or where
        # keras.callbacks.BackupAndRestore restored to in on_train_begin (model._initial_epoch,
        # read as Model.fit reads it).
        first_epoch = max(initial_epoch, resumed_epochs)
        if any(isinstance(c, keras.callbacks.BackupAndRestore) for c in user_callbacks):
            first_epoch = getattr(model, "_initial_epoch", None) or first_epoch
        history.initial_epoch = first_epoch
        with callbacks_see_current_state(model, trainer):
            run_epochs(
                trainer,
                model,
                train_epochs,
                val_epochs,
                callback_list,
                initial_epoch=first_epoch,
                epochs=epochs,
                validation_freq=validation_freq,
                saver=saver,
                quiet_nan=terminates_on_nan(user_callbacks),
            )
    finally:
        train_epochs.close()
        if val_epochs is not None:
            val_epochs.close()
    return history
