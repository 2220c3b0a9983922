"""GPU 작업환경 점검(강의 3.4 딥러닝 작업환경).

- :func:`report`: 파이썬·텐서플로·케라스 버전, 케라스 백엔드, CUDA 빌드 정보, 텐서플로가 보는
  GPU와 TPU, 실행 환경(코랩, WSL, 리눅스, macOS, 윈도우), ``nvidia-smi`` 가 알려 주는 NVIDIA
  드라이버를 모아 :class:`EnvReport` 로 돌려주고, 빠진 것이 있으면 한국어 조언을 붙인다.
- :func:`enable_memory_growth`, :func:`enable_mixed_precision`, :func:`select_strategy`:
  GPU 메모리 증가, 혼합 정밀도, ``tf.distribute`` 전략을 켜는 도우미.

바깥 세계는 모두 탐침(:class:`EnvProbe`)을 거쳐 살핀다. 기본 탐침은 이 컴퓨터를 보는
:class:`SystemProbe` 이고, :class:`StaticProbe` 를 넘기면 GPU가 없는 곳에서도 GPU, TPU, 코랩,
WSL 환경의 보고서를 만들어 볼 수 있다. 이 모듈을 가져오기만 해서는 텐서플로를 불러오지 않고
아무 전역 설정도 바꾸지 않는다. 보고서는 텐서플로의 물리 장치 목록만 읽으므로 장치를
초기화하지 않는다. 그래서 :func:`report` 다음에도 메모리 증가나 논리 장치를 설정할 수 있다.

Example:
    >>> from kerasguide import env
    >>> rep = env.report()  # doctest: +SKIP
    >>> print(rep)  # doctest: +SKIP
    kerasguide 작업환경 보고서
    ...
"""

from __future__ import annotations

import csv
import html
import io
import re
import subprocess
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any, Literal

from kerasguide._env_probe import EnvProbe, StaticProbe, SystemProbe
from kerasguide._table import display_width, format_rows, wrap

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = [
    "DevicesAlreadyInitializedError",
    "EnvProbe",
    "EnvReport",
    "GpuInfo",
    "NvidiaGpu",
    "NvidiaSmiInfo",
    "StaticProbe",
    "StrategyChoice",
    "SystemProbe",
    "choose_strategy",
    "enable_memory_growth",
    "enable_mixed_precision",
    "report",
    "select_strategy",
]

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
_ADVICE_WIDTH = 76


class DevicesAlreadyInitializedError(RuntimeError):
    """텐서플로가 장치를 이미 초기화한 뒤에 장치 설정을 바꾸려 할 때 일어난다.

    메모리 증가와 논리 장치 설정은 텐서플로가 처음 연산을 실행하며 장치를 초기화하기 전에만
    바꿀 수 있다. 노트북 맨 위에서 부르거나, 런타임(커널)을 다시 시작한 뒤 가장 먼저 부른다.
    원래 텐서플로 오류는 ``__cause__`` 에 남는다.
    """


# --------------------------------------------------------------------------- data


_CODE_SPAN = re.compile(r"`([^`]+)`")  # `pip install ...` in advice texts


@dataclass(frozen=True)
class GpuInfo:
    """텐서플로가 보는 물리 GPU 하나.

    Attributes:
        name: 텐서플로 물리 장치 이름. 예: ``"/physical_device:GPU:0"``.
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
class EnvReport:
    """:func:`report` 가 돌려주는 작업환경 보고서.

    ``str(report)`` (또는 :meth:`format_table`)는 한국어 표를, :meth:`to_dict` 는 JSON으로
    바꿀 수 있는 사전을 돌려준다. 주피터에서 셀의 마지막 값으로 두면 표가 출력된다.

    Attributes:
        python_version: 파이썬 버전.
        tensorflow_version: 텐서플로 버전(``tf.__version__``).
        keras_version: 케라스 버전(``keras.__version__``).
        keras_backend: 케라스 백엔드(``keras.backend.backend()``).
        cuda_build: 텐서플로가 CUDA를 지원하도록 빌드되었는가.
        cuda_version: 빌드에 쓴 CUDA 버전(``tf.sysconfig.get_build_info()``). 없으면 ``None``.
        cudnn_version: 빌드에 쓴 cuDNN 버전. 없으면 ``None``.
        runtime: 실행 환경: ``"colab"``, ``"wsl"``, ``"linux"``, ``"macos"``, ``"windows"``,
            ``"other"``.
        platform: 운영체제를 자세히 적은 문자열(``platform.platform()``).
        gpus: 텐서플로가 보는 물리 GPU들.
        tpus: 텐서플로가 보는 물리 TPU 장치 이름들.
        nvidia_smi: ``nvidia-smi`` 결과(NVIDIA 드라이버 버전 포함).
        strategy: 이 환경에서 :func:`select_strategy` 가 고를 전략.
        advice: 빠진 것을 채우는 방법(한국어). 문제가 없으면 빈 튜플.
    """

    python_version: str
    tensorflow_version: str
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

    @property
    def runtime_label(self) -> str:
        """실행 환경의 한국어 이름. 예: ``"구글 코랩(Colab)"``."""
        return _RUNTIME_LABELS[self.runtime]

    @property
    def nvidia_driver(self) -> str | None:
        """NVIDIA 드라이버 버전. ``nvidia-smi`` 가 없거나 실패하면 ``None``."""
        return self.nvidia_smi.driver_version

    def to_dict(self) -> dict[str, Any]:
        """JSON으로 바꿀 수 있는 사전(튜플은 리스트로 바꾼다)."""
        data = _plain(self)
        assert isinstance(data, dict)
        data["runtime_label"] = self.runtime_label
        data["strategy"]["class_name"] = self.strategy.class_name
        data["strategy"]["description"] = self.strategy.describe()
        return data

    def rows(self) -> list[tuple[str, str]]:
        """표의 (항목, 값) 행들."""
        if self.cuda_build:
            cuda = f"예 (CUDA {self.cuda_version or '모름'}, cuDNN {self.cudnn_version or '모름'})"
        else:
            cuda = "아니오 (CPU 전용 빌드)"
        rows: list[tuple[str, str]] = [
            ("파이썬", self.python_version),
            ("텐서플로", self.tensorflow_version),
            ("케라스", self.keras_version),
            ("케라스 백엔드", self.keras_backend),
            ("CUDA 빌드", cuda),
            ("실행 환경", f"{self.runtime_label} ({self.platform})"),
            ("NVIDIA 드라이버", self.nvidia_smi.describe()),
        ]
        if self.gpus:
            rows.extend((f"GPU {gpu.index}", gpu.describe()) for gpu in self.gpus)
        else:
            rows.append(("GPU", "없음"))
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


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


# --------------------------------------------------------------------------- probing


def _resolve_probe(probe: EnvProbe | None) -> EnvProbe:
    if probe is None:
        return SystemProbe()
    if not isinstance(probe, EnvProbe):
        raise TypeError(
            "probe 는 EnvProbe 프로토콜을 따르는 객체(SystemProbe, StaticProbe 등)나 None 이어야 "
            f"한다. 받은 값: {probe!r}"
        )
    return probe


def _optional_str(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _detect_runtime(system: str, proc_version: str | None, environ: Mapping[str, str]) -> Runtime:
    """운영체제 이름, ``/proc/version``, 환경 변수로 실행 환경을 판단한다."""
    if any(name in environ for name in _COLAB_ENV_VARS):
        return "colab"
    if system == "Linux":
        if "WSL_DISTRO_NAME" in environ or "microsoft" in (proc_version or "").lower():
            return "wsl"
        return "linux"
    if system == "Darwin":
        return "macos"
    if system == "Windows":
        return "windows"
    return "other"


def _query_nvidia_smi(probe: EnvProbe) -> NvidiaSmiInfo:
    try:
        output = probe.nvidia_smi(_NVIDIA_SMI_ARGS)
    except FileNotFoundError:
        return NvidiaSmiInfo(status="missing")
    except subprocess.TimeoutExpired as err:
        return NvidiaSmiInfo(
            status="timeout", message=f"nvidia-smi 가 {err.timeout:g}초 안에 끝나지 않았다"
        )
    except subprocess.CalledProcessError as err:
        detail = _first_line(err.stderr) or _first_line(err.output)
        message = f"nvidia-smi 가 종료 코드 {err.returncode}로 끝났다"
        return NvidiaSmiInfo(status="failed", message=f"{message}: {detail}" if detail else message)
    except OSError as err:
        return NvidiaSmiInfo(status="failed", message=f"nvidia-smi 를 실행하지 못했다: {err}")
    return _parse_nvidia_smi(output)


def _first_line(text: object) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return ""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:160]
    return ""


def _parse_nvidia_smi(output: str) -> NvidiaSmiInfo:
    gpus: list[NvidiaGpu] = []
    drivers: list[str] = []
    for row in csv.reader(io.StringIO(output), skipinitialspace=True):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 4 or not row[0].strip().isdigit():
            return NvidiaSmiInfo(
                status="failed",
                message=f"nvidia-smi 출력을 읽지 못했다: {', '.join(row)[:160]!r}",
            )
        index, name, memory, driver = (cell.strip() for cell in row)
        gpus.append(
            NvidiaGpu(
                index=int(index), name=name, memory_mb=int(memory) if memory.isdigit() else None
            )
        )
        drivers.append(driver)
    return NvidiaSmiInfo(
        status="ok", driver_version=drivers[0] if drivers else None, gpus=tuple(gpus)
    )


def _gpu_infos(probe: EnvProbe, smi: NvidiaSmiInfo) -> tuple[GpuInfo, ...]:
    unmatched = list(smi.gpus)
    infos: list[GpuInfo] = []
    for name in probe.physical_devices("GPU"):
        try:
            details = probe.device_details(name)
        except (ValueError, RuntimeError):
            details = {}
        device_name = _optional_str(details.get("device_name"))
        capability = details.get("compute_capability")
        compute_capability: tuple[int, int] | None = None
        if isinstance(capability, tuple | list) and len(capability) == 2:
            compute_capability = (int(capability[0]), int(capability[1]))
        memory_mb = None
        # TensorFlow (CUDA order) and nvidia-smi (PCI order) may number GPUs differently,
        # so match by product name, not by index.
        for smi_gpu in unmatched:
            if device_name is not None and smi_gpu.name == device_name:
                memory_mb = smi_gpu.memory_mb
                unmatched.remove(smi_gpu)
                break
        infos.append(GpuInfo(name, device_name, compute_capability, memory_mb))
    return tuple(infos)


def report(*, probe: EnvProbe | None = None) -> EnvReport:
    """작업환경을 살펴 보고서를 만든다.

    텐서플로 장치를 초기화하지 않으므로, 보고서를 만든 뒤에도 :func:`enable_memory_growth`
    와 :func:`select_strategy` 의 논리 장치 설정을 부를 수 있다. ``nvidia-smi`` 는 제한 시간
    (기본 10초) 안에서 한 번 실행한다.

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
        advice=_advice(
            backend=backend,
            runtime=runtime,
            cuda_build=cuda_build,
            cuda_version=cuda_version,
            gpus=gpus,
            tpus=tpus,
            smi=smi,
            environ=environ,
        ),
    )


# --------------------------------------------------------------------------- advice


def _advice(
    *,
    backend: str,
    runtime: Runtime,
    cuda_build: bool,
    cuda_version: str | None,
    gpus: tuple[GpuInfo, ...],
    tpus: tuple[str, ...],
    smi: NvidiaSmiInfo,
    environ: Mapping[str, str],
) -> tuple[str, ...]:
    advice: list[str] = []
    if backend != "tensorflow":
        advice.append(
            f"케라스 백엔드가 '{backend}'이다. 이 교재의 코드와 kerasguide 는 텐서플로 백엔드를 "
            "가정하므로, keras 를 가져오기 전에 환경 변수 `KERAS_BACKEND=tensorflow`를 설정하고 "
            "파이썬(런타임)을 다시 시작한다."
        )
    if not gpus and not tpus:
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
    for gpu in gpus:
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
        return [
            "코랩의 런타임 유형이 GPU가 아니다. 메뉴 [런타임] > [런타임 유형 변경]에서 하드웨어 "
            "가속기를 GPU(예: T4 GPU)로 고르고 저장한 뒤, 노트북을 처음부터 다시 실행한다."
        ]
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
    hidden = environ.get("CUDA_VISIBLE_DEVICES")
    if hidden is not None and hidden.strip() in ("", "-1", "none", "NoDevFiles"):
        return [
            f"환경 변수 `CUDA_VISIBLE_DEVICES={hidden!r}`가 텐서플로에게서 GPU를 감추고 있다. "
            "이 변수를 지우거나 GPU 번호로(예: `CUDA_VISIBLE_DEVICES=0`) 설정한 뒤 "
            "파이썬을 다시 시작한다."
        ]
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
            f"텐서플로가 기대하는 {cuda}와 cuDNN 라이브러리가 없거나 맞지 않을 수 있다. "
            "`pip install 'tensorflow[and-cuda]'`로 맞는 라이브러리를 함께 설치하고, "
            "드라이버가 그 CUDA 버전을 지원하는지 확인한다."
        ]
    if smi.status == "missing":
        if runtime == "wsl":
            return [
                "nvidia-smi 를 찾지 못했다. WSL2에서는 윈도우 쪽에 WSL을 지원하는 NVIDIA "
                "드라이버를 설치한다(WSL 안에는 리눅스용 드라이버를 설치하지 않는다)."
            ]
        return [
            "nvidia-smi 를 찾지 못했다. NVIDIA GPU가 없거나 드라이버가 설치되지 않았다. "
            "GPU가 있다면 NVIDIA 드라이버를 설치하고, 없다면 코랩의 GPU 런타임을 쓴다."
        ]
    return []


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


def enable_memory_growth(
    gpus: Sequence[int] | None = None, *, probe: EnvProbe | None = None
) -> list[str]:
    """GPU 메모리 증가(memory growth)를 켠다.

    텐서플로는 기본적으로 GPU 메모리를 처음에 거의 다 잡는다. 메모리 증가를 켜면 필요한
    만큼만 조금씩 늘려 잡으므로, 한 GPU를 여러 노트북이나 프로그램이 나눠 쓸 수 있다.
    텐서플로가 장치를 초기화하기 전(텐서를 하나도 만들기 전)에 불러야 한다. GPU가 없으면
    아무것도 하지 않고 빈 리스트를 돌려준다. 같은 설정을 다시 부르는 것(노트북 셀 재실행)은
    초기화 뒤에도 괜찮다.

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

    Example:
        >>> from kerasguide import env
        >>> env.enable_memory_growth()  # doctest: +SKIP
        ['/physical_device:GPU:0']
    """
    probe = _resolve_probe(probe)
    names = list(probe.physical_devices("GPU"))
    if gpus is None:
        selected = names
    else:
        if isinstance(gpus, str | bytes) or not isinstance(gpus, Sequence):
            raise TypeError(
                f"gpus 는 GPU 번호(int)의 시퀀스(예: [0, 1])나 None 이어야 한다. 받은 값: {gpus!r}"
            )
        selected = []
        for index in gpus:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(
                    f"gpus 의 원소는 GPU 번호(int)여야 한다. 받은 값: {index!r} (gpus={gpus!r})"
                )
            if not 0 <= index < len(names):
                available = f"0부터 {len(names) - 1}까지" if names else "없음(GPU가 보이지 않는다)"
                raise ValueError(
                    f"gpus 에 없는 GPU 번호 {index} 가 있다(gpus={list(gpus)!r}). "
                    f"고를 수 있는 번호: {available}."
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
        raise ValueError(
            f"policy 는 {' 또는 '.join(repr(p) for p in _MIXED_POLICIES)} 이어야 한다. "
            f"받은 값: {policy!r}. float32로 돌아가려면 "
            "keras.mixed_precision.set_global_policy('float32') 를 쓴다."
        )
    if not isinstance(force, bool):
        raise TypeError(f"force 는 True 나 False 여야 한다. 받은 값: {force!r}")
    probe = _resolve_probe(probe)
    gpu_names = list(probe.physical_devices("GPU"))
    tpus = list(probe.physical_devices("TPU"))
    if not gpu_names and not tpus and not force:
        raise RuntimeError(
            f"GPU도 TPU도 보이지 않아 혼합 정밀도 정책 {policy!r} 를 설정하지 않았다. CPU에서는 "
            "16비트 계산이 float32보다 느려서 훈련이 빨라지지 않는다. 코랩이라면 런타임 유형을 "
            "GPU로 바꾼다. CPU에서 혼합 정밀도 코드를 시험하려는 것이라면 force=True 를 준다."
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


# --------------------------------------------------------------------------- strategies


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
            raise TypeError(
                f"cpu_devices 는 논리 CPU 장치 수(int)나 None 이어야 한다. 받은 값: {cpu_devices!r}"
            )
        if cpu_devices < 1:
            raise ValueError(f"cpu_devices 는 1 이상이어야 한다. 받은 값: {cpu_devices!r}")
    if tpu is not None:
        if not isinstance(tpu, str):
            raise TypeError(f"tpu 는 TPU 이름이나 주소(str)나 None 이어야 한다. 받은 값: {tpu!r}")
        if not tpu.strip():
            raise ValueError(
                f"tpu 는 빈 문자열일 수 없다. 받은 값: {tpu!r}. "
                "같은 컴퓨터에 붙은 TPU는 'local'이다."
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
            f"'{backend}'이다. keras 를 가져오기 전에 `KERAS_BACKEND=tensorflow`를 설정한다."
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
