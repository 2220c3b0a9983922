"""이 컴퓨터의 장치에 맞는 ``tf.distribute`` 전략 고르기."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kerasguide._checks import argument_error

if TYPE_CHECKING:
    import tensorflow as tf

from kerasguide.env._detect import _resolve_probe
from kerasguide.env._devices import _is_too_late, _too_late
from kerasguide.env._model import (
    StrategyChoice,
)
from kerasguide.env._probe import EnvProbe, SystemProbe


def choose_strategy(
    *,
    cpu_devices: int | None = None,
    tpu: str | None = None,
    probe: EnvProbe | None = None,
) -> StrategyChoice:
    """이 환경에 맞는 ``tf.distribute`` 전략을 고른다(만들지는 않는다).

    :func:`select_strategy` 가 만들 전략을 미리 보여 준다. 고르는 순서는 다음과 같다.

    1. ``cpu_devices=N`` 을 주면 GPU가 있어도 CPU를 쓴다. ``N == 1`` 이면
       ``OneDeviceStrategy('/cpu:0')``, ``N >= 2`` 이면 CPU 하나를 논리 장치 N개로 나눈
       ``MirroredStrategy`` (분산 훈련 코드를 GPU 없이 시험하거나 실습할 때 쓴다. 빨라지지는
       않는다).
    2. ``tpu`` 를 주었거나, TPU 장치가 보이거나(``tpu='local'``, 코랩 TPU 런타임), 환경 변수
       ``COLAB_TPU_ADDR``/``TPU_NAME`` 이 있으면 ``TPUStrategy``.
    3. GPU가 두 개 이상이면 모든 GPU에 복제하는 ``MirroredStrategy``.
    4. GPU가 하나면 ``OneDeviceStrategy('/gpu:0')``.
    5. 아무것도 없으면 ``OneDeviceStrategy('/cpu:0')``.

    Args:
        cpu_devices: CPU를 나눌 논리 장치 수(1 이상). ``None`` 이면 장치를 보고 고른다.
        tpu: ``TPUClusterResolver(tpu=...)`` 에 넘길 TPU 이름이나 주소(예: ``"local"``).
        probe: 탐침. ``None`` 이면 :class:`SystemProbe`.

    Returns:
        :class:`StrategyChoice`.

    Raises:
        TypeError: ``cpu_devices`` 가 int 가 아니거나 ``tpu`` 가 문자열이 아닌 경우.
        ValueError: ``cpu_devices`` 가 1보다 작거나, ``tpu`` 가 빈 문자열이거나, 둘을 함께 준
            경우.
    """
    _check_strategy_args(cpu_devices, tpu)
    return _choose(_resolve_probe(probe), cpu_devices=cpu_devices, tpu=tpu)


def _check_strategy_args(cpu_devices: int | None, tpu: str | None) -> None:
    if cpu_devices is not None:
        if isinstance(cpu_devices, bool) or not isinstance(cpu_devices, int):
            raise argument_error(
                "cpu_devices",
                cpu_devices,
                "논리 CPU 장치 수(int)나 None 이어야 한다",
                error=TypeError,
            )
        if cpu_devices < 1:
            raise argument_error("cpu_devices", cpu_devices, "1 이상이어야 한다")
    if tpu is not None:
        if not isinstance(tpu, str):
            raise argument_error(
                "tpu", tpu, "TPU 이름이나 주소(str)나 None 이어야 한다", error=TypeError
            )
        if not tpu.strip():
            raise argument_error(
                "tpu",
                tpu,
                "빈 문자열이 아니어야 한다",
                hint="같은 컴퓨터에 붙은 TPU는 'local'이다.",
            )
    if cpu_devices is not None and tpu is not None:
        raise ValueError(
            f"cpu_devices={cpu_devices!r} 와 tpu={tpu!r} 를 함께 줄 수 없다. 하나만 준다."
        )


def _choose(probe: EnvProbe, *, cpu_devices: int | None, tpu: str | None) -> StrategyChoice:
    if cpu_devices == 1:
        return StrategyChoice(
            "one_device", ("/cpu:0",), "cpu_devices=1 로 CPU 하나를 쓰라고 했다.", cpu_devices=1
        )
    if cpu_devices is not None:
        return StrategyChoice(
            "mirrored",
            tuple(f"/cpu:{i}" for i in range(cpu_devices)),
            f"cpu_devices={cpu_devices} 로 CPU 하나를 논리 장치 {cpu_devices}개로 나누어 복제한다"
            "(분산 코드 시험용; 빨라지지는 않는다).",
            cpu_devices=cpu_devices,
        )
    tpus = list(probe.physical_devices("TPU"))
    environ = probe.environ()
    if tpu is not None:
        return StrategyChoice("tpu", (), f"tpu={tpu!r} 를 주었다.", tpu_address=tpu)
    if tpus:
        return StrategyChoice(
            "tpu", (), f"이 컴퓨터에 붙은 TPU 장치 {len(tpus)}개가 보인다.", tpu_address="local"
        )
    if environ.get("COLAB_TPU_ADDR"):
        return StrategyChoice(
            "tpu",
            (),
            "환경 변수 COLAB_TPU_ADDR 가 TPU 주소를 알려 준다.",
            tpu_address=f"grpc://{environ['COLAB_TPU_ADDR']}",
        )
    if environ.get("TPU_NAME"):
        return StrategyChoice(
            "tpu", (), "환경 변수 TPU_NAME 이 TPU를 알려 준다.", tpu_address=environ["TPU_NAME"]
        )
    gpus = list(probe.physical_devices("GPU"))
    if len(gpus) > 1:
        return StrategyChoice(
            "mirrored",
            tuple(f"/gpu:{i}" for i in range(len(gpus))),
            f"GPU {len(gpus)}개에 모델을 복제해 배치를 나눠 계산한다.",
        )
    if gpus:
        return StrategyChoice("one_device", ("/gpu:0",), "GPU 하나가 보인다.")
    return StrategyChoice("one_device", ("/cpu:0",), "GPU와 TPU가 보이지 않아 CPU를 쓴다.")


def select_strategy(
    *, cpu_devices: int | None = None, tpu: str | None = None
) -> tf.distribute.Strategy:
    """이 환경에 맞는 ``tf.distribute`` 전략을 만든다.

    무엇을 고르는지는 :func:`choose_strategy` 에 적혀 있다. 모델과 옵티마이저는
    ``with strategy.scope():`` 안에서 만든다. TPU는 ``TPUClusterResolver`` 로 연결하고
    초기화한 뒤 ``TPUStrategy`` 를 만든다. ``cpu_devices=N`` (N >= 2)은 CPU를 논리 장치 N개로
    나누므로, 텐서플로가 장치를 초기화하기 전(노트북 맨 위)에 불러야 한다. 같은 N으로 다시
    부르는 것은 초기화 뒤에도 괜찮다.

    Args:
        cpu_devices: CPU를 나눌 논리 장치 수(1 이상). ``None`` 이면 장치를 보고 고른다.
        tpu: ``TPUClusterResolver(tpu=...)`` 에 넘길 TPU 이름이나 주소(예: ``"local"``).

    Returns:
        ``tf.distribute.Strategy``. ``strategy.num_replicas_in_sync`` 가 복제본 수다.

    Raises:
        TypeError: 인자의 형이 틀린 경우.
        ValueError: 인자의 값이 틀린 경우(:func:`choose_strategy` 참고).
        RuntimeError: 케라스 백엔드가 텐서플로가 아닌 경우.
        DevicesAlreadyInitializedError: ``cpu_devices`` 로 논리 장치를 나누려는데 텐서플로가
            이미 장치를 다르게 초기화한 경우.

    Example:
        >>> from kerasguide import env
        >>> strategy = env.select_strategy()  # doctest: +SKIP
        >>> with strategy.scope():  # doctest: +SKIP
        ...     model = build_model()
    """
    _check_strategy_args(cpu_devices, tpu)
    probe = SystemProbe()
    backend = probe.keras_backend()
    if backend != "tensorflow":
        raise RuntimeError(
            f"tf.distribute 전략은 케라스의 텐서플로 백엔드에서만 쓸 수 있는데 지금 백엔드는 "
            f"'{backend}'이다. keras 를 가져오기 전에 `KERAS_BACKEND=tensorflow`를 설정하거나, "
            "JAX 에서는 케라스의 분산 API 를 쓴다: 모델을 만들기 전에 "
            "keras.distribution.set_distribution(keras.distribution.DataParallel()) 을 부르면 "
            "kerasguide.fit 과 Model.fit 이 모든 장치에 배치를 나눠 훈련한다."
        )
    choice = _choose(probe, cpu_devices=cpu_devices, tpu=tpu)

    import tensorflow as tf

    if choice.kind == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=choice.tpu_address)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    if choice.cpu_devices is not None and choice.cpu_devices > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        config = [tf.config.LogicalDeviceConfiguration() for _ in range(choice.cpu_devices)]
        try:
            tf.config.set_logical_device_configuration(cpu, config)
        except RuntimeError as err:
            if _is_too_late(err):
                raise _too_late(f"CPU를 논리 장치 {choice.cpu_devices}개로 나누는", err) from err
            raise
    if choice.kind == "mirrored":
        return tf.distribute.MirroredStrategy(devices=list(choice.devices))
    return tf.distribute.OneDeviceStrategy(choice.devices[0])
