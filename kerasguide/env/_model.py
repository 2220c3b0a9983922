"""보고서의 데이터: :class:`EnvReport` 와 그 안의 기록(GPU, nvidia-smi, 전략, JAX 의 분산)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Literal

from kerasguide.env._table import display_width, format_rows, wrap

Runtime = Literal["colab", "wsl", "linux", "macos", "windows", "other"]
NvidiaSmiStatus = Literal["ok", "missing", "failed", "timeout"]
StrategyKind = Literal["tpu", "mirrored", "one_device"]

_RUNTIME_LABELS: dict[str, str] = {
    "colab": "구글 코랩(Colab)",
    "wsl": "WSL(윈도우용 리눅스 하위 시스템)",
    "linux": "리눅스",
    "macos": "macOS",
    "windows": "윈도우",
    "other": "기타",
}
_COLAB_ENV_VARS = ("COLAB_RELEASE_TAG", "COLAB_GPU", "COLAB_TPU_ADDR")
_NVIDIA_SMI_ARGS = (
    "--query-gpu=index,name,memory.total,driver_version",
    "--format=csv,noheader,nounits",
)
_MIXED_POLICIES = ("mixed_float16", "mixed_bfloat16")
# Below these compute capabilities the policy runs but is not faster (Tensor Cores).
_MIN_CAPABILITY = {"mixed_float16": (7, 0), "mixed_bfloat16": (8, 0)}
_TABLE_TITLE = "kerasguide 작업환경 보고서"
# JAX's platform names for GPUs (``jax.Device.platform``).
_JAX_GPU_PLATFORMS = ("gpu", "cuda", "rocm")
DATA_PARALLEL_CALL = "keras.distribution.set_distribution(keras.distribution.DataParallel())"
_ADVICE_WIDTH = 76


# --------------------------------------------------------------------------- data


_CODE_SPAN = re.compile(r"`([^`]+)`")  # `pip install ...` in advice texts


@dataclass(frozen=True)
class GpuInfo:
    """텐서플로가 보는 물리 GPU 하나(:attr:`EnvReport.jax_gpus` 에서는 JAX 가 보는 GPU 하나).

    Attributes:
        name: 텐서플로 물리 장치 이름(예: ``"/physical_device:GPU:0"``), JAX 의 GPU는
            JAX 의 장치 이름(예: ``"gpu:0"``).
        device_name: 제품 이름. 예: ``"Tesla T4"``. 모르면 ``None``.
        compute_capability: NVIDIA 연산 능력(compute capability). 예: ``(7, 5)``.
        memory_mb: 전체 메모리(MiB). ``nvidia-smi`` 에서 같은 이름의 GPU를 찾아 채운다.
    """

    name: str
    device_name: str | None = None
    compute_capability: tuple[int, int] | None = None
    memory_mb: int | None = None

    @property
    def index(self) -> int:
        """장치 번호(``/gpu:N`` 의 N)."""
        return int(self.name.rsplit(":", 1)[-1])

    def describe(self) -> str:
        """표에 쓰는 한 줄 설명. 예: ``"Tesla T4, 연산 능력 7.5, 메모리 15360 MiB"``."""
        parts = [self.device_name or "이름 모름"]
        if self.compute_capability is not None:
            major, minor = self.compute_capability
            parts.append(f"연산 능력 {major}.{minor}")
        if self.memory_mb is not None:
            parts.append(f"메모리 {self.memory_mb} MiB")
        return ", ".join(parts)


@dataclass(frozen=True)
class NvidiaGpu:
    """``nvidia-smi`` 가 보는 GPU 하나(텐서플로와 번호 매기는 순서가 다를 수 있다)."""

    index: int
    name: str
    memory_mb: int | None


@dataclass(frozen=True)
class NvidiaSmiInfo:
    """``nvidia-smi`` 를 실행한 결과.

    Attributes:
        status: ``"ok"`` (성공), ``"missing"`` (명령이 없다), ``"failed"`` (오류로 끝났다),
            ``"timeout"`` (제한 시간 안에 끝나지 않았다).
        driver_version: NVIDIA 드라이버 버전. 성공했을 때만 있다.
        gpus: 드라이버가 보는 GPU들.
        message: 실패했을 때 그 까닭(한국어).
    """

    status: NvidiaSmiStatus
    driver_version: str | None = None
    gpus: tuple[NvidiaGpu, ...] = ()
    message: str | None = None

    def describe(self) -> str:
        """표의 "NVIDIA 드라이버" 칸에 쓰는 설명."""
        if self.status == "ok":
            version = self.driver_version or "버전 모름"
            return f"{version} (nvidia-smi 가 보는 GPU {len(self.gpus)}개)"
        if self.status == "missing":
            return "없음 (nvidia-smi 를 찾지 못했다)"
        return f"알 수 없음 ({self.message})"


def take_smi_memory(unmatched: list[NvidiaGpu], device_name: str | None) -> int | None:
    """``unmatched`` 에서 이름이 ``device_name`` 인 첫 GPU를 빼내고 그 메모리(MiB)를 돌려준다.

    텐서플로·JAX(CUDA 순서)와 ``nvidia-smi`` (PCI 순서)는 GPU 번호를 다르게 매길 수 있으므로
    번호가 아니라 제품 이름으로 맞춘다. 같은 이름의 GPU가 여럿이면 하나씩 차례로 맞춘다.
    """
    if device_name is None:
        return None
    for smi_gpu in unmatched:
        if smi_gpu.name == device_name:
            unmatched.remove(smi_gpu)
            return smi_gpu.memory_mb
    return None


@dataclass(frozen=True)
class StrategyChoice:
    """:func:`choose_strategy` 가 고른 ``tf.distribute`` 전략(아직 만들지 않은 상태).

    Attributes:
        kind: ``"tpu"``, ``"mirrored"``, ``"one_device"``.
        devices: 전략이 쓸 장치. 예: ``("/gpu:0", "/gpu:1")``. TPU는 연결하기 전에는 코어를
            알 수 없으므로 빈 튜플이다.
        reason: 이 전략을 고른 까닭(한국어).
        tpu_address: ``TPUClusterResolver(tpu=...)`` 에 넘길 주소. TPU일 때만 있다.
        cpu_devices: CPU를 나눌 논리 장치 수. ``select_strategy(cpu_devices=N)`` 일 때만 있다.
    """

    kind: StrategyKind
    devices: tuple[str, ...]
    reason: str
    tpu_address: str | None = None
    cpu_devices: int | None = None

    @property
    def class_name(self) -> str:
        """전략 클래스 이름. 예: ``"MirroredStrategy"``."""
        return {
            "tpu": "TPUStrategy",
            "mirrored": "MirroredStrategy",
            "one_device": "OneDeviceStrategy",
        }[self.kind]

    def describe(self) -> str:
        """코드처럼 읽히는 한 줄. 예: ``"MirroredStrategy(['/gpu:0', '/gpu:1'])"``."""
        if self.kind == "tpu":
            return f"TPUStrategy(TPUClusterResolver(tpu={self.tpu_address!r}))"
        if self.kind == "mirrored":
            return f"MirroredStrategy({list(self.devices)!r})"
        return f"OneDeviceStrategy({self.devices[0]!r})"

    def __str__(self) -> str:
        return f"{self.describe()}: {self.reason}"


@dataclass(frozen=True)
class DistributionInfo:
    """케라스 백엔드가 JAX 일 때 훈련을 장치에 나누는 방식(``keras.distribution``).

    :func:`kerasguide.fit` 과 ``Model.fit`` 은 JAX 에서 ``keras.distribution.distribution()`` 에
    설정된 분산을 따른다. 설정이 없으면 JAX 의 기본 장치(``jax.devices()[0]``) 하나에서
    훈련한다. 여러 장치에 배치를 나누려면 모델을 만들기 전에
    ``keras.distribution.set_distribution(keras.distribution.DataParallel())`` 을 부른다.

    Attributes:
        class_name: 설정된 분산의 클래스 이름(예: ``"DataParallel"``). 설정이 없으면 ``None``.
        devices: 훈련에 쓰는 장치(예: ``("gpu:0", "gpu:1")``). 설정이 있으면 그 장치 메시의
            장치들, 없으면 JAX 의 기본 장치 하나(JAX 가 장치를 보지 못하면 빈 튜플).
        available: JAX 가 보는 장치 수(``len(jax.devices())``).
        mesh_shape: 장치 메시의 모양(예: ``(2,)``). 설정이 없으면 빈 튜플.
        axis_names: 장치 메시의 축 이름(예: ``("batch",)``). 설정이 없으면 빈 튜플.
        processes: 함께 훈련하는 프로세스 수.
    """

    class_name: str | None
    devices: tuple[str, ...]
    available: int
    mesh_shape: tuple[int, ...] = ()
    axis_names: tuple[str, ...] = ()
    processes: int = 1

    @property
    def unused_devices(self) -> bool:
        """설정이 없어서 JAX 가 보는 장치 가운데 하나만 쓰는가."""
        return self.class_name is None and self.available > 1

    def describe(self) -> str:
        """표의 첫 줄. 예: ``"DataParallel(장치 2개)"``."""
        if self.class_name is None:
            device = self.devices[0] if self.devices else "JAX 의 기본 장치"
            return f"keras.distribution 설정 없음: 장치 하나({device})"
        processes = f", 프로세스 {self.processes}개" if self.processes > 1 else ""
        return f"{self.class_name}(장치 {len(self.devices)}개{processes})"

    @property
    def reason(self) -> str:
        """무엇을 쓰는지와 그 까닭(한국어). 여러 줄일 수 있다."""
        if self.class_name is not None:
            seen = (
                f" (JAX 가 보는 장치는 {self.available}개)"
                if self.available > len(self.devices)
                else ""
            )
            count = len(self.devices)
            return f"kerasguide.fit 과 Model.fit 이 장치 {count}개에 나눠 훈련한다{seen}."
        if self.unused_devices:
            return (
                f"JAX 가 보는 장치 {self.available}개 가운데 하나만 쓴다.\n"
                "모두 쓰려면 모델을 만들기 전에 다음을 부른다:\n" + DATA_PARALLEL_CALL
            )
        return "kerasguide.fit 과 Model.fit 이 JAX 의 기본 장치 하나에서 훈련한다."


@dataclass(frozen=True)
class EnvReport:
    """:func:`report` 가 돌려주는 작업환경 보고서.

    ``str(report)`` (또는 :meth:`format_table`)는 한국어 표를, :meth:`to_dict` 는 JSON으로
    바꿀 수 있는 사전을 돌려준다. 주피터에서 셀의 마지막 값으로 두면 표가 출력된다.

    Attributes:
        python_version: 파이썬 버전.
        tensorflow_version: 텐서플로 버전(``tf.__version__``). 설치되지 않았으면 ``None``
            (JAX 백엔드는 텐서플로 없이도 동작한다).
        keras_version: 케라스 버전(``keras.__version__``).
        keras_backend: 케라스 백엔드(``keras.backend.backend()``).
        cuda_build: 텐서플로가 CUDA를 지원하도록 빌드되었는가.
        cuda_version: 빌드에 쓴 CUDA 버전(``tf.sysconfig.get_build_info()``). 없으면 ``None``.
        cudnn_version: 빌드에 쓴 cuDNN 버전. 없으면 ``None``.
        runtime: 실행 환경: ``"colab"``, ``"wsl"``, ``"linux"``, ``"macos"``, ``"windows"``,
            ``"other"``.
        platform: 운영체제를 자세히 적은 문자열(``platform.platform()``).
        gpus: 텐서플로가 보는 물리 GPU들(케라스가 JAX 에서 돌 때 쓰는 GPU는 :attr:`jax_gpus`).
        tpus: 텐서플로가 보는 물리 TPU 장치 이름들.
        nvidia_smi: ``nvidia-smi`` 결과(NVIDIA 드라이버 버전 포함).
        strategy: 이 환경에서 :func:`select_strategy` 가 고를 ``tf.distribute`` 전략
            (텐서플로 백엔드용이다. JAX 백엔드에서는 :attr:`distribution` 을 본다).
        advice: 빠진 것을 채우는 방법(한국어). 문제가 없으면 빈 튜플.
        jax_version: 설치된 JAX 버전. 설치되지 않았으면 ``None``.
        jax_devices: 케라스가 JAX 백엔드일 때 JAX 가 보는 장치들(``"gpu:0 NVIDIA H100"``).
            다른 백엔드에서는 JAX 를 시작하지 않으므로 빈 튜플이다.
        distribution: 케라스가 JAX 에서 돌 때 훈련을 장치에 나누는 방식
            (:class:`DistributionInfo`). 다른 백엔드에서는 ``None``.

    케라스 백엔드가 JAX 이면 표의 GPU, TPU 줄은 JAX 가 보는 장치를 보여 주고(케라스와
    :func:`kerasguide.fit` 이 쓰는 장치다), ``tf.distribute`` 전략 줄 대신 "분산 설정" 줄이
    :attr:`distribution` 을 보여 준다. 텐서플로의 CUDA 빌드 줄은 "텐서플로 CUDA 빌드"가 되고,
    텐서플로가 없으면 빠진다.
    """

    python_version: str
    tensorflow_version: str | None
    keras_version: str
    keras_backend: str
    cuda_build: bool
    cuda_version: str | None
    cudnn_version: str | None
    runtime: Runtime
    platform: str
    gpus: tuple[GpuInfo, ...]
    tpus: tuple[str, ...]
    nvidia_smi: NvidiaSmiInfo
    strategy: StrategyChoice
    advice: tuple[str, ...]
    jax_version: str | None = None
    jax_devices: tuple[str, ...] = ()
    distribution: DistributionInfo | None = None

    @property
    def runtime_label(self) -> str:
        """실행 환경의 한국어 이름. 예: ``"구글 코랩(Colab)"``."""
        return _RUNTIME_LABELS[self.runtime]

    @property
    def nvidia_driver(self) -> str | None:
        """NVIDIA 드라이버 버전. ``nvidia-smi`` 가 없거나 실패하면 ``None``."""
        return self.nvidia_smi.driver_version

    @property
    def jax_gpus(self) -> tuple[GpuInfo, ...]:
        """JAX 가 보는 GPU들(``GpuInfo.name`` 은 ``"gpu:0"``). 메모리는 ``nvidia-smi`` 에서
        같은 이름의 GPU를 찾아 채운다. 케라스가 JAX 에서 돌지 않으면 빈 튜플."""
        unmatched = list(self.nvidia_smi.gpus)
        gpus: list[GpuInfo] = []
        for name, kind in map(_split_jax_device, self.jax_devices):
            if name.split(":", 1)[0] not in _JAX_GPU_PLATFORMS:
                continue
            gpus.append(GpuInfo(name, kind, None, take_smi_memory(unmatched, kind)))
        return tuple(gpus)

    @property
    def jax_tpus(self) -> tuple[str, ...]:
        """JAX 가 보는 TPU 장치들(``"tpu:0 TPU v5 lite"``). 없으면 빈 튜플."""
        return tuple(d for d in self.jax_devices if d.startswith("tpu"))

    def to_dict(self) -> dict[str, Any]:
        """JSON으로 바꿀 수 있는 사전(튜플은 리스트로 바꾼다)."""
        data = _plain(self)
        assert isinstance(data, dict)
        data["runtime_label"] = self.runtime_label
        data["strategy"]["class_name"] = self.strategy.class_name
        data["strategy"]["description"] = self.strategy.describe()
        if self.distribution is not None:
            data["distribution"]["description"] = self.distribution.describe()
            data["distribution"]["reason"] = self.distribution.reason
        return data

    def rows(self) -> list[tuple[str, str]]:
        """표의 (항목, 값) 행들."""
        if self.cuda_build:
            cuda = f"예 (CUDA {self.cuda_version or '모름'}, cuDNN {self.cudnn_version or '모름'})"
        elif self.tensorflow_version is None:
            cuda = "모름 (텐서플로가 설치되지 않음)"
        else:
            cuda = "아니오 (CPU 전용 빌드)"
        cuda_rows = [("CUDA 빌드", cuda)]
        if self.keras_backend == "jax":
            # The CUDA build is TensorFlow's, which Keras does not use on JAX: say whose it is,
            # and leave it out where TensorFlow is not installed.
            cuda_rows = [("텐서플로 CUDA 빌드", cuda)] if self.tensorflow_version else []
        rows: list[tuple[str, str]] = [
            ("파이썬", self.python_version),
            ("텐서플로", self.tensorflow_version or "설치되지 않음"),
            ("케라스", self.keras_version),
            ("케라스 백엔드", self.keras_backend),
            ("JAX", self.jax_version or "설치되지 않음"),
            *cuda_rows,
            ("실행 환경", f"{self.runtime_label} ({self.platform})"),
            ("NVIDIA 드라이버", self.nvidia_smi.describe()),
        ]
        if self.keras_backend == "jax":
            # What Keras and kerasguide.fit use: JAX's devices and keras.distribution.
            rows.extend(_gpu_rows(self.jax_gpus))
            rows.append(("TPU", _tpu_row(self.jax_tpus)))
            rows.append(("JAX 장치", ", ".join(self.jax_devices) or "없음"))
            if self.distribution is not None:
                rows.append(
                    ("분산 설정", f"{self.distribution.describe()}\n{self.distribution.reason}")
                )
            return rows
        rows.extend(_gpu_rows(self.gpus))
        rows.append(("TPU", f"{len(self.tpus)}개" if self.tpus else "없음"))
        rows.append(("분산 전략", f"{self.strategy.describe()}\n{self.strategy.reason}"))
        return rows

    def format_table(self) -> str:
        """고정폭 글꼴에서 줄이 맞는 한국어 표(노트북 출력과 터미널용)."""
        body = format_rows(self.rows())
        advice: list[str] = []
        if self.advice:
            for number, text in enumerate(self.advice, start=1):
                prefix = f"{number}. "
                for i, line in enumerate(wrap(text, _ADVICE_WIDTH - len(prefix))):
                    advice.append((prefix if i == 0 else " " * len(prefix)) + line)
        else:
            advice.append("없음: 필요한 것이 모두 갖춰졌다.")
        width = max(display_width(line) for line in [_TABLE_TITLE, *body, *advice])
        return "\n".join([_TABLE_TITLE, "=" * width, *body, "-" * width, "조언", *advice])

    def __str__(self) -> str:
        return self.format_table()

    def _repr_html_(self) -> str:
        # Jupyter and the course site: an HTML table lines up whatever the reader's fonts
        # (the text table needs a monospace font that draws Hangul two columns wide).
        cells = "".join(
            f"<tr><th>{html.escape(label)}</th>"
            f"<td>{html.escape(value).replace(chr(10), '<br>')}</td></tr>"
            for label, value in self.rows()
        )
        advice = "".join(
            "<li>" + _CODE_SPAN.sub(r"<code>\1</code>", html.escape(text)) + "</li>"
            for text in self.advice
        )
        advice_html = f"<ol>{advice}</ol>" if advice else "<p>없음: 필요한 것이 모두 갖춰졌다.</p>"
        return (
            f'<div class="kerasguide-env-report"><table><caption>{_TABLE_TITLE}</caption>'
            f"<tbody>{cells}</tbody></table><p><strong>조언</strong></p>{advice_html}</div>"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # IPython/Jupyter: show the table when the report is a cell's last value.
        printer.text("EnvReport(...)" if cycle else self.format_table())


def _split_jax_device(text: str) -> tuple[str, str | None]:
    """``"gpu:0 NVIDIA H200"`` -> ``("gpu:0", "NVIDIA H200")``; no kind -> ``None``."""
    name, _, kind = text.strip().partition(" ")
    return name, kind.strip() or None


def _gpu_rows(gpus: tuple[GpuInfo, ...]) -> list[tuple[str, str]]:
    if not gpus:
        return [("GPU", "없음")]
    return [(f"GPU {gpu.index}", gpu.describe()) for gpu in gpus]


def _tpu_row(tpus: tuple[str, ...]) -> str:
    if not tpus:
        return "없음"
    kinds = sorted({kind for _, kind in map(_split_jax_device, tpus) if kind is not None})
    return f"{len(tpus)}개 ({', '.join(kinds)})" if kinds else f"{len(tpus)}개"


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value
