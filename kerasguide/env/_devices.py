"""텐서플로가 장치를 초기화하기 전의 장치 설정: 메모리 증가와 혼합 정밀도."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

from kerasguide._checks import argument_error
from kerasguide._errors import DevicesAlreadyInitializedError
from kerasguide.env._detect import _gpu_infos, _resolve_probe
from kerasguide.env._model import (
    _MIN_CAPABILITY,
    _MIXED_POLICIES,
    NvidiaSmiInfo,
)
from kerasguide.env._probe import EnvProbe

# --------------------------------------------------------------------------- helpers


def _too_late(action: str, err: BaseException) -> DevicesAlreadyInitializedError:
    return DevicesAlreadyInitializedError(
        f"텐서플로가 이미 장치를 초기화해서 {action} 설정을 바꿀 수 없다. 이 함수는 노트북이나 "
        "스크립트의 맨 위에서, 텐서나 모델을 하나라도 만들기 전에 불러야 한다. 주피터나 코랩에서는 "
        "런타임(커널)을 다시 시작한 뒤 이 함수를 가장 먼저 부른다. "
        f"(텐서플로의 메시지: {err})"
    )


def _is_too_late(err: BaseException) -> bool:
    return isinstance(err, RuntimeError) and "after being initialized" in str(err)


_JAX_MEMORY_NOTE = (
    "케라스 백엔드가 'jax'이다. enable_memory_growth 는 텐서플로의 설정이라 JAX 가 잡는 GPU "
    "메모리는 바꾸지 않는다. JAX 는 처음 계산할 때 GPU 메모리의 75%를 미리 잡는다. 필요한 "
    "만큼만 잡게 하려면 환경 변수 XLA_PYTHON_CLIENT_PREALLOCATE=false 를, 미리 잡는 비율을 "
    "바꾸려면 XLA_PYTHON_CLIENT_MEM_FRACTION=.50 (새 JAX 에서는 XLA_CLIENT_MEM_FRACTION)을 "
    "설정한다. JAX 가 GPU를 쓰기 전에(파이썬을 시작할 때나 keras 와 jax 를 가져오기 전에) "
    "설정해야 하므로, 이미 계산을 했다면 설정한 뒤 파이썬(런타임)을 다시 시작한다."
)


def _jax_grows(environ: Mapping[str, str]) -> bool:
    """Whether JAX already allocates as needed (the switches jaxlib's GPU client reads)."""
    preallocate = environ.get("XLA_PYTHON_CLIENT_PREALLOCATE", "").strip()
    allocator = environ.get("XLA_PYTHON_CLIENT_ALLOCATOR", "").strip().lower()
    return preallocate in ("false", "False", "0") or allocator == "platform"


def enable_memory_growth(
    gpus: Sequence[int] | None = None, *, probe: EnvProbe | None = None
) -> list[str]:
    """GPU 메모리 증가(memory growth)를 켠다.

    텐서플로는 기본적으로 GPU 메모리를 처음에 거의 다 잡는다. 메모리 증가를 켜면 필요한
    만큼만 조금씩 늘려 잡으므로, 한 GPU를 여러 노트북이나 프로그램이 나눠 쓸 수 있다.
    텐서플로가 장치를 초기화하기 전(텐서를 하나도 만들기 전)에 불러야 한다. GPU가 없으면
    아무것도 하지 않고 빈 리스트를 돌려준다. 같은 설정을 다시 부르는 것(노트북 셀 재실행)은
    초기화 뒤에도 괜찮다.

    텐서플로의 설정이므로 케라스 백엔드가 JAX 이면 JAX 가 잡는 GPU 메모리는 바뀌지 않는다
    (텐서플로가 없으면 빈 리스트, 있으면 텐서플로의 GPU에만 켠다). 그래서 JAX 백엔드에서는
    ``UserWarning`` 으로 JAX 의 스위치를 알려 준다. JAX 는 처음 계산할 때 GPU 메모리의 75%를
    미리 잡는데, 환경 변수 ``XLA_PYTHON_CLIENT_PREALLOCATE=false`` 를 주면 필요한 만큼만 잡고,
    ``XLA_PYTHON_CLIENT_MEM_FRACTION=.50`` (새 JAX 에서는 ``XLA_CLIENT_MEM_FRACTION``)은 미리
    잡는 비율을 바꾼다. 둘 다 JAX 가 GPU를 쓰기 전에, 곧 파이썬을 시작할 때나 노트북 맨 위에서
    ``keras`` 와 ``jax`` 를 가져오기 전에 설정해야 한다. ``XLA_PYTHON_CLIENT_PREALLOCATE=false``
    가 이미 설정되어 있으면 경고하지 않는다.

    Args:
        gpus: 메모리 증가를 켤 GPU 번호들(``tf.config.list_physical_devices("GPU")`` 의
            순서). ``None`` 이면 모든 GPU.
        probe: 탐침. ``None`` 이면 :class:`SystemProbe`.

    Returns:
        메모리 증가를 켠 물리 장치 이름들. 예: ``["/physical_device:GPU:0"]``.

    Raises:
        TypeError: ``gpus`` 가 정수의 시퀀스가 아닌 경우.
        ValueError: ``gpus`` 에 없는 GPU 번호가 있는 경우.
        DevicesAlreadyInitializedError: 텐서플로가 이미 장치를 초기화한 경우.

    Warns:
        UserWarning: 케라스 백엔드가 JAX 인 경우(위의 JAX 의 환경 변수를 알려 준다).

    Example:
        >>> from kerasguide import env
        >>> env.enable_memory_growth()  # doctest: +SKIP
        ['/physical_device:GPU:0']
    """
    probe = _resolve_probe(probe)
    if probe.keras_backend() == "jax" and not _jax_grows(probe.environ()):
        warnings.warn(_JAX_MEMORY_NOTE, UserWarning, stacklevel=2)
    names = list(probe.physical_devices("GPU"))
    if gpus is None:
        selected = names
    else:
        if isinstance(gpus, str | bytes) or not isinstance(gpus, Sequence):
            raise argument_error(
                "gpus",
                gpus,
                "GPU 번호(int)의 시퀀스(예: [0, 1])나 None 이어야 한다",
                error=TypeError,
            )
        selected = []
        for index in gpus:
            if isinstance(index, bool) or not isinstance(index, int):
                raise argument_error(
                    "gpus 의 원소",
                    index,
                    f"GPU 번호(int)여야 한다 (gpus={gpus!r})",
                    error=TypeError,
                )
            if not 0 <= index < len(names):
                available = f"0부터 {len(names) - 1}까지" if names else "없음(GPU가 보이지 않는다)"
                raise argument_error(
                    "gpus",
                    list(gpus),
                    f"있는 GPU 의 번호만 담아야 한다 (고를 수 있는 번호: {available})",
                )
            if names[index] not in selected:
                selected.append(names[index])
    for name in selected:
        try:
            probe.set_memory_growth(name, True)
        except RuntimeError as err:
            if _is_too_late(err):
                raise _too_late("GPU 메모리 증가", err) from err
            raise
    return selected


def enable_mixed_precision(
    policy: str = "mixed_float16", *, force: bool = False, probe: EnvProbe | None = None
) -> str:
    """케라스 전역 dtype 정책을 혼합 정밀도(mixed precision)로 바꾼다.

    혼합 정밀도는 계산을 16비트로, 가중치를 32비트(float32)로 한다. 텐서 코어가 있는 GPU
    (연산 능력 7.0 이상)와 TPU에서 훈련이 빨라지고 메모리를 덜 쓴다. 정책은 이 함수를 부른
    *뒤에* 만드는 층에만 적용된다. 이미 만든 층과 모델은 이전 정책을 그대로 쓰므로 모델을
    만들기 전에 부른다(텐서플로 장치 초기화와는 상관없어서 그 때문에 실패하지는 않는다).

    GPU도 TPU도 보이지 않으면 정책을 바꾸지 않고 ``RuntimeError`` 를 일으킨다. CPU에서
    16비트 계산은 float32보다 느려서, 이 경우 혼합 정밀도를 켜는 것은 대개 실수(예: 코랩
    런타임 유형을 GPU로 바꾸지 않음)이기 때문이다. CPU에서 혼합 정밀도 코드를 시험하려면
    ``force=True`` 를 준다. 효과가 없을 GPU(``mixed_float16`` 에 연산 능력 7.0 미만,
    ``mixed_bfloat16`` 에 8.0 미만)나 TPU에 ``mixed_float16`` 을 쓰면 경고한다.
    원래대로 돌리려면 ``keras.mixed_precision.set_global_policy("float32")`` 를 부른다.

    정책은 케라스 전체의 설정이라 텐서플로와 JAX 백엔드에서 똑같이 동작한다
    (:func:`kerasguide.fit` 은 두 백엔드 모두에서 ``mixed_float16`` 모델의 옵티마이저를
    ``LossScaleOptimizer`` 로 감싼다). JAX 백엔드에서는 JAX 가 보는 GPU와 TPU도 가속기로 센다.

    Args:
        policy: ``"mixed_float16"`` (NVIDIA GPU) 또는 ``"mixed_bfloat16"`` (TPU, 연산 능력
            8.0 이상의 GPU).
        force: GPU나 TPU가 없어도 정책을 바꾼다.
        probe: 탐침. ``None`` 이면 :class:`SystemProbe`.

    Returns:
        설정한 정책 이름.

    Raises:
        ValueError: ``policy`` 가 두 혼합 정밀도 정책이 아닌 경우.
        TypeError: ``force`` 가 bool 이 아닌 경우.
        RuntimeError: GPU도 TPU도 없는데 ``force=True`` 가 아닌 경우.

    Example:
        >>> from kerasguide import env
        >>> env.enable_mixed_precision()  # doctest: +SKIP
        'mixed_float16'
    """
    if not isinstance(policy, str) or policy not in _MIXED_POLICIES:
        raise argument_error(
            "policy",
            policy,
            f"{' 또는 '.join(repr(p) for p in _MIXED_POLICIES)} 이어야 한다",
            hint="float32로 돌아가려면 keras.mixed_precision.set_global_policy('float32') 를 쓴다.",
        )
    if not isinstance(force, bool):
        raise argument_error("force", force, "True 나 False 여야 한다", error=TypeError)
    probe = _resolve_probe(probe)
    gpu_names = list(probe.physical_devices("GPU"))
    tpus = list(probe.physical_devices("TPU"))
    # On JAX, JAX's own devices count (TensorFlow may be a CPU-only build beside jax[cuda12]).
    jax_accelerators = [d for d in probe.jax_devices() if not d.startswith("cpu")]
    gpu_names += [d for d in jax_accelerators if d.startswith(("gpu", "cuda", "rocm"))]
    tpus += [d for d in jax_accelerators if d.startswith("tpu")]
    if not gpu_names and not tpus and not force:
        raise RuntimeError(
            f"GPU도 TPU도 보이지 않아 혼합 정밀도 정책 {policy!r} 를 설정하지 않았다. CPU에서는 "
            "float16 계산이 float32보다 느리고 bfloat16도 최신 CPU에서만 빠르다. "
            "코랩이라면 런타임 유형을 GPU로 바꾼다. "
            "CPU에서 혼합 정밀도 코드를 시험하려는 것이라면 force=True 를 준다."
        )
    if policy == "mixed_float16" and tpus and not gpu_names:
        warnings.warn(
            "TPU에서는 mixed_float16 대신 mixed_bfloat16 을 쓴다.", UserWarning, stacklevel=2
        )
    minimum = _MIN_CAPABILITY[policy]
    for gpu in _gpu_infos(probe, NvidiaSmiInfo(status="missing")):
        if gpu.compute_capability is not None and gpu.compute_capability < minimum:
            warnings.warn(
                f"GPU {gpu.index}({gpu.device_name})의 연산 능력 "
                f"{gpu.compute_capability[0]}.{gpu.compute_capability[1]}에서는 {policy} 로 "
                f"빨라지지 않는다({minimum[0]}.{minimum[1]} 이상이 필요하다).",
                UserWarning,
                stacklevel=2,
            )
    import keras

    keras.mixed_precision.set_global_policy(policy)
    return policy
