"""작업환경 진단: :func:`report` 와 거기에 붙는 한국어 조언."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kerasguide.env._detect import (
    _detect_runtime,
    _gpu_infos,
    _optional_str,
    _query_nvidia_smi,
    _resolve_probe,
)
from kerasguide.env._model import (
    DATA_PARALLEL_CALL,
    DistributionInfo,
    EnvReport,
    GpuInfo,
    NvidiaSmiInfo,
    Runtime,
)
from kerasguide.env._probe import EnvProbe
from kerasguide.env._strategy import _choose


def report(*, probe: EnvProbe | None = None) -> EnvReport:
    """작업환경을 살펴 보고서를 만든다.

    텐서플로 장치를 초기화하지 않으므로, 보고서를 만든 뒤에도 :func:`enable_memory_growth`
    와 :func:`select_strategy` 의 논리 장치 설정을 부를 수 있다. ``nvidia-smi`` 는 제한 시간
    (기본 10초) 안에서 한 번 실행한다.

    케라스 백엔드가 JAX 이면 GPU, TPU 줄과 조언은 JAX 가 보는 장치(``jax.devices()``)를 따르고,
    ``tf.distribute`` 전략 대신 케라스의 분산 설정(``keras.distribution.distribution()``)을
    :attr:`EnvReport.distribution` 에 담는다. 케라스와 :func:`kerasguide.fit` 이 실제로 쓰는
    것이 그것이기 때문이다. 이때 JAX 가 시작된다(GPU 메모리를 잡는다).

    Args:
        probe: 바깥 세계를 살필 탐침. ``None`` 이면 이 컴퓨터를 보는 :class:`SystemProbe`.
            시험이나 예시에서는 :class:`StaticProbe` 를 넘긴다.

    Returns:
        :class:`EnvReport`. ``print`` 하면 한국어 표가, ``to_dict()`` 하면 사전이 나온다.

    Raises:
        TypeError: ``probe`` 가 :class:`EnvProbe` 가 아닌 경우.

    Example:
        >>> from kerasguide import env
        >>> rep = env.report()  # doctest: +SKIP
        >>> rep.keras_backend  # doctest: +SKIP
        'tensorflow'
    """
    probe = _resolve_probe(probe)
    build = probe.build_info()
    cuda_build = bool(build.get("is_cuda_build", False))
    smi = _query_nvidia_smi(probe)
    gpus = _gpu_infos(probe, smi)
    tpus = tuple(probe.physical_devices("TPU"))
    environ = probe.environ()
    system = probe.system()
    runtime = _detect_runtime(system, probe.proc_version(), environ)
    backend = probe.keras_backend()
    jax_devices = tuple(probe.jax_devices())
    distribution = (
        _distribution_info(probe.keras_distribution(), jax_devices) if backend == "jax" else None
    )
    cuda_version = _optional_str(build.get("cuda_version"))
    return EnvReport(
        python_version=probe.python_version(),
        tensorflow_version=probe.tensorflow_version(),
        keras_version=probe.keras_version(),
        keras_backend=backend,
        cuda_build=cuda_build,
        cuda_version=cuda_version,
        cudnn_version=_optional_str(build.get("cudnn_version")),
        runtime=runtime,
        platform=probe.platform(),
        gpus=gpus,
        tpus=tpus,
        nvidia_smi=smi,
        strategy=_choose(probe, cpu_devices=None, tpu=None),
        jax_version=probe.jax_version(),
        jax_devices=jax_devices,
        distribution=distribution,
        advice=_advice(
            backend=backend,
            jax_devices=jax_devices,
            distribution=distribution,
            runtime=runtime,
            cuda_build=cuda_build,
            cuda_version=cuda_version,
            gpus=gpus,
            tpus=tpus,
            smi=smi,
            environ=environ,
        ),
    )


def _distribution_info(
    raw: Mapping[str, Any] | None, jax_devices: Sequence[str]
) -> DistributionInfo:
    if raw is None:  # JAX's default device: the first of jax.devices()
        default = jax_devices[0].split(" ", 1)[0] if jax_devices else None
        return DistributionInfo(None, (default,) if default else (), available=len(jax_devices))
    return DistributionInfo(
        class_name=str(raw["class_name"]),
        devices=tuple(str(device) for device in raw.get("devices", ())),
        available=len(jax_devices),
        mesh_shape=tuple(int(size) for size in raw.get("mesh_shape", ())),
        axis_names=tuple(str(name) for name in raw.get("axis_names", ())),
        processes=int(raw.get("processes", 1)),
    )


# --------------------------------------------------------------------------- advice

_COLAB_NO_GPU = (
    "코랩의 런타임 유형이 GPU가 아니다. 메뉴 [런타임] > [런타임 유형 변경]에서 하드웨어 "
    "가속기를 GPU(예: T4 GPU)로 고르고 저장한 뒤, 노트북을 처음부터 다시 실행한다."
)
# JAX's installation guide; kerasguide's own extra `kerasguide[jax-cuda12]` installs the same.
_JAX_CUDA_INSTALL = "`pip install -U 'jax[cuda12]'`"


def _advice(
    *,
    backend: str,
    jax_devices: tuple[str, ...],
    distribution: DistributionInfo | None,
    runtime: Runtime,
    cuda_build: bool,
    cuda_version: str | None,
    gpus: tuple[GpuInfo, ...],
    tpus: tuple[str, ...],
    smi: NvidiaSmiInfo,
    environ: Mapping[str, str],
) -> tuple[str, ...]:
    advice: list[str] = []
    if backend == "jax":
        advice.append(
            "케라스 백엔드가 'jax'이다. kerasguide.fit 과 SimpleDense 는 JAX 에서도 동작하지만, "
            "강의 페이지의 텐서플로 코드(tf.GradientTape, tf.distribute, 메모리 증가)는 텐서플로 "
            "백엔드를 가정한다. 그 코드를 실행하려면 keras 를 가져오기 전에 "
            "`KERAS_BACKEND=tensorflow`를 설정하고 파이썬(런타임)을 다시 시작한다."
        )
    elif backend != "tensorflow":
        advice.append(
            f"케라스 백엔드가 '{backend}'이다. 이 교재의 코드와 kerasguide.fit 은 텐서플로와 JAX "
            "백엔드에서 동작하므로, keras 를 가져오기 전에 환경 변수 "
            "`KERAS_BACKEND=tensorflow`(또는 jax)를 설정하고 파이썬(런타임)을 다시 시작한다."
        )
    jax_accelerators = [d for d in jax_devices if not d.startswith("cpu")]
    if backend == "jax":
        # Keras trains on JAX's devices: TensorFlow's (if installed) do not matter here.
        if not jax_accelerators:
            advice.append(
                "JAX 가 GPU를 찾지 못했다(TPU도 보이지 않는다). 모든 계산을 CPU에서 하므로 "
                "이 교재의 작은 예제는 돌아가지만 큰 모델의 훈련은 느리다."
            )
            advice.extend(_no_jax_gpu_advice(runtime, smi, environ))
        elif len(jax_accelerators) > 1 and distribution is not None and distribution.unused_devices:
            advice.append(
                f"JAX 가 가속기 {len(jax_accelerators)}개를 보지만 keras.distribution 이 설정되지 "
                "않아 kerasguide.fit 과 Model.fit 은 그 가운데 하나만 쓴다. 모두 쓰려면 모델을 "
                f"만들기 전에 `{DATA_PARALLEL_CALL}`을 부른다(배치를 장치마다 나눠 계산한다)."
            )
    elif not gpus and not tpus:
        advice.append(
            "텐서플로가 GPU를 찾지 못했다. 모든 계산을 CPU에서 하므로 이 교재의 작은 예제는 "
            "돌아가지만 큰 모델의 훈련은 느리다."
        )
        advice.extend(_no_gpu_advice(runtime, cuda_build, cuda_version, smi, environ))
    if smi.status in ("failed", "timeout"):
        advice.append(
            f"{smi.message}. 드라이버가 GPU와 통신하지 못하는 상태일 수 있다. 드라이버를 다시 "
            "설치하거나 컴퓨터를 다시 시작한 뒤 터미널에서 nvidia-smi 를 직접 실행해 본다."
        )
    # TensorFlow's GPUs know their compute capability; on JAX they count only where JAX
    # sees GPUs too (the same cards), so that no line speaks of a GPU the table does not show.
    jax_sees_gpu = any(d.startswith(("gpu", "cuda", "rocm")) for d in jax_devices)
    for gpu in gpus if backend != "jax" or jax_sees_gpu else ():
        if gpu.compute_capability is not None and gpu.compute_capability < (7, 0):
            major, minor = gpu.compute_capability
            advice.append(
                f"GPU {gpu.index}({gpu.device_name})의 연산 능력이 {major}.{minor}로 7.0보다 "
                "낮아서 텐서 코어가 없다. 혼합 정밀도(mixed_float16)를 켜도 빨라지지 않는다."
            )
    return tuple(advice)


def _no_gpu_advice(
    runtime: Runtime,
    cuda_build: bool,
    cuda_version: str | None,
    smi: NvidiaSmiInfo,
    environ: Mapping[str, str],
) -> list[str]:
    driver_sees_gpu = smi.status == "ok" and bool(smi.gpus)
    if runtime == "colab":
        if driver_sees_gpu:
            return [
                "코랩 런타임에는 GPU가 있지만 텐서플로가 보지 못한다. pip로 텐서플로 버전을 "
                "바꿨다면 코랩의 기본 버전으로 되돌리고, 메뉴 [런타임] > [세션 다시 시작]을 "
                "한다."
            ]
        return [_COLAB_NO_GPU]
    if runtime == "windows":
        return [
            "텐서플로 2.11부터는 윈도우에서 직접(네이티브로) GPU를 쓸 수 없다. NVIDIA GPU를 "
            "쓰려면 WSL2에 리눅스(예: Ubuntu)를 설치하고 그 안에서 "
            "`pip install 'tensorflow[and-cuda]'`로 텐서플로를 설치한다."
        ]
    if runtime == "macos":
        return [
            "macOS에서는 CUDA(NVIDIA GPU)를 쓸 수 없다. 애플 실리콘 GPU는 애플이 배포하는 "
            "tensorflow-metal 플러그인으로 쓸 수 있고, 강의 실습은 코랩의 GPU 런타임을 "
            "쓰면 된다."
        ]
    hidden = _gpus_hidden_advice(environ, "텐서플로")
    if hidden:
        return hidden
    if driver_sees_gpu:
        if not cuda_build:
            return [
                f"nvidia-smi 는 GPU {len(smi.gpus)}개를 보지만 설치된 텐서플로가 CUDA 없이 "
                "빌드되었다(CPU 전용). `pip install 'tensorflow[and-cuda]'`로 GPU를 쓰는 "
                "텐서플로를 설치한다."
            ]
        cuda = f"CUDA {cuda_version}" if cuda_version else "CUDA"
        return [
            f"nvidia-smi 는 GPU {len(smi.gpus)}개를 보지만 텐서플로는 하나도 보지 못한다. "
            f"텐서플로가 기대하는 {cuda} 라이브러리와 cuDNN 라이브러리가 없거나 맞지 않을 수 있다. "
            "`pip install 'tensorflow[and-cuda]'`로 맞는 라이브러리를 함께 설치하고, "
            "드라이버가 그 CUDA 버전을 지원하는지 확인한다."
        ]
    return _driver_missing_advice(runtime, smi)


def _gpus_hidden_advice(environ: Mapping[str, str], framework: str) -> list[str]:
    """``CUDA_VISIBLE_DEVICES`` 가 GPU를 모두 감추면 그 조언 한 줄(텐서플로와 JAX 가 같다)."""
    hidden = environ.get("CUDA_VISIBLE_DEVICES")
    if hidden is None or hidden.strip() not in ("", "-1", "none", "NoDevFiles"):
        return []
    return [
        f"환경 변수 `CUDA_VISIBLE_DEVICES={hidden!r}`가 {framework}에게서 GPU를 감추고 있다. "
        "이 변수를 지우거나 GPU 번호로(예: `CUDA_VISIBLE_DEVICES=0`) 설정한 뒤 "
        "파이썬을 다시 시작한다."
    ]


def _driver_missing_advice(runtime: Runtime, smi: NvidiaSmiInfo) -> list[str]:
    if smi.status != "missing":
        return []
    if runtime == "wsl":
        return [
            "nvidia-smi 를 찾지 못했다. WSL2에서는 윈도우 쪽에 WSL을 지원하는 NVIDIA "
            "드라이버를 설치한다(WSL 안에는 리눅스용 드라이버를 설치하지 않는다)."
        ]
    return [
        "nvidia-smi 를 찾지 못했다. NVIDIA GPU가 없거나 드라이버가 설치되지 않았다. "
        "GPU가 있다면 NVIDIA 드라이버를 설치하고, 없다면 코랩의 GPU 런타임을 쓴다."
    ]


def _no_jax_gpu_advice(
    runtime: Runtime, smi: NvidiaSmiInfo, environ: Mapping[str, str]
) -> list[str]:
    """Why JAX sees no GPU, after JAX's installation guide (``jax[cuda12]`` on Linux and WSL2)."""
    driver_sees_gpu = smi.status == "ok" and bool(smi.gpus)
    platforms = environ.get("JAX_PLATFORMS", "").strip()
    if platforms and not any(p in platforms.lower() for p in ("gpu", "cuda", "rocm", "tpu")):
        return [
            f"환경 변수 `JAX_PLATFORMS={platforms}`가 JAX 를 CPU에 묶어 두고 있다. 이 변수를 "
            "지우고 파이썬(런타임)을 다시 시작한다."
        ]
    if runtime == "colab":
        if driver_sees_gpu:
            return [
                "코랩 런타임에는 GPU가 있지만 JAX 가 보지 못한다. pip로 jax 나 jaxlib 의 버전을 "
                "바꿨다면 코랩의 기본 버전으로 되돌리고, 메뉴 [런타임] > [세션 다시 시작]을 한다."
            ]
        return [_COLAB_NO_GPU]
    if runtime == "windows":
        return [
            "JAX 는 윈도우에서 직접(네이티브로) NVIDIA GPU를 쓰지 못한다(CPU 전용). GPU를 "
            "쓰려면 WSL2에 리눅스(예: Ubuntu)를 설치하고 그 안에서 "
            f"{_JAX_CUDA_INSTALL}로 JAX 를 설치한다."
        ]
    if runtime == "macos":
        return [
            "macOS에서는 CUDA(NVIDIA GPU)를 쓸 수 없다. GPU로 훈련하려면 코랩의 GPU 런타임을 쓴다."
        ]
    hidden = _gpus_hidden_advice(environ, "JAX ")
    if hidden:
        return hidden
    if driver_sees_gpu:
        return [
            f"nvidia-smi 는 GPU {len(smi.gpus)}개를 보지만 JAX 는 CPU만 본다. CPU용 JAX 만 "
            "설치되었거나 JAX 의 CUDA 플러그인이 드라이버와 맞지 않을 수 있다. "
            f"{_JAX_CUDA_INSTALL}로 NVIDIA GPU용 JAX 를 설치하고 파이썬을 다시 시작한다."
        ]
    return _driver_missing_advice(runtime, smi)
