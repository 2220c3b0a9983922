"""바깥 세계(텐서플로, JAX, 케라스, 운영체제, 환경 변수, nvidia-smi)를 살피는 탐침(probe).

:mod:`kerasguide.env` 는 이 모듈의 :class:`EnvProbe` 프로토콜을 통해서만 바깥을 본다.
그래서 GPU가 없는 컴퓨터에서도 가짜 탐침(:class:`StaticProbe`)을 넣어 GPU, TPU, 코랩,
WSL 분기를 시험할 수 있다. 텐서플로와 케라스는 메서드 안에서 가져온다(import). 모듈을
가져오기만 해서는 텐서플로를 불러오지도, 전역 설정을 바꾸지도 않는다.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from kerasguide._checks import argument_error

__all__ = ["EnvProbe", "StaticProbe", "SystemProbe"]

# WSL2 puts the Windows driver's tools here; it is not always on PATH.
_WSL_NVIDIA_SMI = "/usr/lib/wsl/lib/nvidia-smi"


@runtime_checkable
class EnvProbe(Protocol):
    """:func:`kerasguide.env.report` 등이 바깥 세계를 살피는 통로.

    기본 구현은 :class:`SystemProbe`, 시험과 예시용 구현은 :class:`StaticProbe` 이다.
    장치 이름은 텐서플로의 물리 장치 이름(예: ``"/physical_device:GPU:0"``)을 쓴다.
    """

    def python_version(self) -> str:
        """파이썬 버전. 예: ``"3.11.9"``."""
        ...

    def tensorflow_version(self) -> str | None:
        """텐서플로 버전. 예: ``"2.21.0"``."""
        ...

    def keras_version(self) -> str:
        """케라스 버전. 예: ``"3.15.1"``."""
        ...

    def keras_backend(self) -> str:
        """케라스 백엔드 이름. 예: ``"tensorflow"``."""
        ...

    def jax_version(self) -> str | None:
        """JAX 의 버전. JAX 가 설치되어 있지 않으면 ``None``."""
        ...

    def jax_devices(self) -> Sequence[str]:
        """케라스가 JAX 에서 돌 때 JAX 의 장치(``"gpu:0 NVIDIA H100"``). 아니면 빈 목록."""
        ...

    def keras_distribution(self) -> Mapping[str, Any] | None:
        """케라스가 JAX 에서 돌 때 설정된 ``keras.distribution.distribution()`` 의 요약.

        설정이 없거나 백엔드가 JAX 가 아니면 ``None``. 있으면 ``{"class_name": "DataParallel",
        "devices": ["gpu:0", "gpu:1"], "mesh_shape": [2], "axis_names": ["batch"],
        "processes": 1}`` 처럼 클래스 이름, 장치 메시의 장치와 모양과 축 이름, 함께 훈련하는
        프로세스 수를 준다.
        """
        ...

    def build_info(self) -> Mapping[str, Any]:
        """``tf.sysconfig.get_build_info()`` 와 같은 빌드 정보."""
        ...

    def physical_devices(self, device_type: str) -> Sequence[str]:
        """``device_type`` (``"GPU"``, ``"TPU"``, ``"CPU"``) 물리 장치 이름들."""
        ...

    def device_details(self, name: str) -> Mapping[str, Any]:
        """``tf.config.experimental.get_device_details`` 와 같은 장치 세부 정보."""
        ...

    def set_memory_growth(self, name: str, enable: bool) -> None:
        """``tf.config.experimental.set_memory_growth`` 를 부른다(유일한 설정 동작)."""
        ...

    def environ(self) -> Mapping[str, str]:
        """환경 변수."""
        ...

    def system(self) -> str:
        """``platform.system()``: ``"Linux"``, ``"Darwin"``, ``"Windows"`` 등."""
        ...

    def platform(self) -> str:
        """``platform.platform()``: 운영체제를 자세히 적은 문자열."""
        ...

    def proc_version(self) -> str | None:
        """``/proc/version`` 의 내용. 없으면 ``None``."""
        ...

    def nvidia_smi(self, args: Sequence[str]) -> str:
        """``nvidia-smi ARGS`` 의 표준 출력.

        Raises:
            FileNotFoundError: nvidia-smi 가 없다.
            subprocess.TimeoutExpired: 제한 시간 안에 끝나지 않았다.
            subprocess.CalledProcessError: 0이 아닌 종료 코드로 끝났다.
        """
        ...


def _tensorflow() -> Any:
    """TensorFlow, or ``None`` where it is not installed (Keras on JAX needs none)."""
    try:
        import tensorflow as tf
    except ImportError:
        return None
    return tf


class SystemProbe:
    """이 컴퓨터를 실제로 살피는 탐침.

    텐서플로 장치는 물리 장치 목록만 읽고 런타임을 초기화하지 않는다. 그래서 보고서를 만든
    뒤에도 :func:`kerasguide.env.enable_memory_growth` 를 부를 수 있다.

    Args:
        nvidia_smi_timeout: nvidia-smi 를 기다리는 최대 시간(초). 양수.

    Raises:
        ValueError: ``nvidia_smi_timeout`` 이 양수가 아닌 경우.
    """

    def __init__(self, *, nvidia_smi_timeout: float = 10.0) -> None:
        if isinstance(nvidia_smi_timeout, bool) or not isinstance(nvidia_smi_timeout, int | float):
            raise argument_error(
                "nvidia_smi_timeout", nvidia_smi_timeout, "초 단위의 수여야 한다", error=TypeError
            )
        if not nvidia_smi_timeout > 0:
            raise argument_error("nvidia_smi_timeout", nvidia_smi_timeout, "0보다 커야 한다")
        self.nvidia_smi_timeout = float(nvidia_smi_timeout)

    def __repr__(self) -> str:
        return f"SystemProbe(nvidia_smi_timeout={self.nvidia_smi_timeout})"

    def python_version(self) -> str:
        return platform.python_version()

    def tensorflow_version(self) -> str | None:
        tf = _tensorflow()
        return None if tf is None else str(tf.__version__)

    def keras_version(self) -> str:
        import keras

        return str(keras.__version__)

    def keras_backend(self) -> str:
        import keras

        return str(keras.backend.backend())

    def jax_version(self) -> str | None:
        try:  # the installed version, without importing (and starting) JAX
            return importlib.metadata.version("jax")
        except importlib.metadata.PackageNotFoundError:
            return None

    def jax_devices(self) -> Sequence[str]:
        # Only when Keras runs on JAX: JAX takes most of a GPU's memory when it starts, which a
        # TensorFlow user does not want from a report.
        if self.keras_backend() != "jax":
            return []
        import jax

        return [f"{d.platform}:{d.id} {d.device_kind}" for d in jax.devices()]

    def keras_distribution(self) -> Mapping[str, Any] | None:
        # Keras's own global setting, read on JAX only (no TensorFlow on this path).
        if self.keras_backend() != "jax":
            return None
        import jax
        import keras
        import numpy as np

        distribution = keras.distribution.distribution()
        if distribution is None:
            return None
        mesh = distribution.device_mesh
        return {
            "class_name": type(distribution).__name__,
            "devices": [str(device) for device in np.asarray(mesh.devices).reshape(-1)],
            "mesh_shape": [int(size) for size in mesh.shape],
            "axis_names": [str(name) for name in mesh.axis_names],
            # The processes training together, as fit counts them (jax.process_count());
            # Distribution.num_processes is newer than the Keras floor (3.10).
            "processes": int(jax.process_count()),
        }

    def build_info(self) -> Mapping[str, Any]:
        tf = _tensorflow()
        return {} if tf is None else dict(tf.sysconfig.get_build_info())

    def _devices(self, device_type: str) -> dict[str, Any]:
        tf = _tensorflow()
        if tf is None:
            return {}
        return {d.name: d for d in tf.config.list_physical_devices(device_type)}

    def physical_devices(self, device_type: str) -> Sequence[str]:
        return list(self._devices(device_type))

    def device_details(self, name: str) -> Mapping[str, Any]:
        import tensorflow as tf

        device_type = name.rsplit(":", 2)[-2] if name.count(":") >= 2 else ""
        device = self._devices(device_type).get(name)
        if device is None:
            raise ValueError(f"물리 장치 {name!r} 가 없다.")
        return dict(tf.config.experimental.get_device_details(device))

    def set_memory_growth(self, name: str, enable: bool) -> None:
        import tensorflow as tf

        device = self._devices("GPU").get(name)
        if device is None:
            raise ValueError(f"물리 GPU {name!r} 가 없다.")
        tf.config.experimental.set_memory_growth(device, enable)

    def environ(self) -> Mapping[str, str]:
        return dict(os.environ)

    def system(self) -> str:
        return platform.system()

    def platform(self) -> str:
        return platform.platform()

    def proc_version(self) -> str | None:
        try:
            return Path("/proc/version").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def nvidia_smi(self, args: Sequence[str]) -> str:
        executable = shutil.which("nvidia-smi")
        if executable is None and Path(_WSL_NVIDIA_SMI).is_file():
            executable = _WSL_NVIDIA_SMI
        if executable is None:
            raise FileNotFoundError("nvidia-smi")
        completed = subprocess.run(
            [executable, *args],
            capture_output=True,
            text=True,
            timeout=self.nvidia_smi_timeout,
            check=True,
        )
        return completed.stdout


class StaticProbe:
    """정해 둔 값을 돌려주는 탐침. 시험과, GPU가 없는 곳에서 보고서 예시를 보일 때 쓴다.

    ``gpus`` 는 ``{물리 장치 이름: 세부 정보}`` 로, 세부 정보는 텐서플로처럼
    ``{"device_name": "Tesla T4", "compute_capability": (7, 5)}`` 형태로 준다.
    ``nvidia_smi_output`` 에 예외 객체를 주면 nvidia-smi 를 부를 때 그 예외를 일으킨다.
    ``set_memory_growth`` 는 호출을 ``memory_growth`` 에 기록하고, ``memory_growth_error``
    가 있으면 그 예외를 일으킨다(텐서플로가 이미 초기화된 경우를 흉내 낸다). 기본값은
    CUDA 12.5.1로 빌드된 텐서플로 2.21이 깔린, GPU와 nvidia-smi 가 없는 리눅스 컴퓨터다.

    Args:
        python: 파이썬 버전.
        tensorflow: 텐서플로 버전. ``None`` 이면 텐서플로가 설치되지 않은 컴퓨터(JAX 백엔드).
        keras: 케라스 버전.
        backend: 케라스 백엔드.
        jax: 설치된 JAX 버전(없으면 ``None``).
        jax_devices: JAX 가 보는 장치(``"gpu:0 NVIDIA H100"``). ``backend="jax"`` 일 때만 쓴다.
        distribution: ``keras.distribution`` 설정의 요약(:meth:`EnvProbe.keras_distribution`
            의 형태). ``backend="jax"`` 일 때만 쓴다. ``None`` 이면 설정이 없다.
        build: ``tf.sysconfig.get_build_info()`` 에 해당하는 사전.
        gpus: ``{물리 GPU 이름: 세부 정보}``.
        tpus: 물리 TPU 장치 이름들.
        environ: 환경 변수.
        system: ``platform.system()`` 값.
        platform: ``platform.platform()`` 값.
        proc_version: ``/proc/version`` 내용(없으면 ``None``).
        nvidia_smi_output: nvidia-smi 의 표준 출력, 또는 일으킬 예외
            (``FileNotFoundError``, ``subprocess.TimeoutExpired``,
            ``subprocess.CalledProcessError``). ``None`` 이면 ``FileNotFoundError``.
        memory_growth_error: ``set_memory_growth`` 가 일으킬 예외.

    Example:
        >>> from kerasguide import env
        >>> probe = env.StaticProbe(
        ...     gpus={"/physical_device:GPU:0": {"device_name": "Tesla T4",
        ...                                      "compute_capability": (7, 5)}},
        ...     environ={"COLAB_RELEASE_TAG": "release-colab-20260101"},
        ...     nvidia_smi_output="0, Tesla T4, 15360, 550.54.15\\n",
        ... )
        >>> env.report(probe=probe).runtime
        'colab'
    """

    def __init__(
        self,
        *,
        python: str = "3.11.9",
        tensorflow: str | None = "2.21.0",
        keras: str = "3.15.1",
        backend: str = "tensorflow",
        jax: str | None = None,
        jax_devices: Sequence[str] = (),
        distribution: Mapping[str, Any] | None = None,
        build: Mapping[str, Any] | None = None,
        gpus: Mapping[str, Mapping[str, Any]] | None = None,
        tpus: Sequence[str] = (),
        environ: Mapping[str, str] | None = None,
        system: str = "Linux",
        platform: str = "Linux-6.1.0-x86_64-with-glibc2.36",
        proc_version: str | None = "Linux version 6.1.0 (gcc 12.2.0)",
        nvidia_smi_output: str | BaseException | None = None,
        memory_growth_error: BaseException | None = None,
    ) -> None:
        self.python = python
        self.tensorflow = tensorflow
        self.keras = keras
        self.backend = backend
        self.jax = jax
        self.jax_device_names = tuple(jax_devices)
        self.distribution = dict(distribution) if distribution is not None else None
        self.build = (
            dict(build)
            if build is not None
            else {"is_cuda_build": True, "cuda_version": "12.5.1", "cudnn_version": "9"}
        )
        self.gpus = dict(gpus or {})
        self.tpus = tuple(tpus)
        self.environ_vars = dict(environ or {})
        self.system_name = system
        self.platform_name = platform
        self.proc_version_text = proc_version
        self.nvidia_smi_output = (
            nvidia_smi_output if nvidia_smi_output is not None else FileNotFoundError("nvidia-smi")
        )
        self.memory_growth: dict[str, bool] = {}
        self.memory_growth_error = memory_growth_error
        self.nvidia_smi_calls: list[tuple[str, ...]] = []

    def __repr__(self) -> str:
        return (
            f"StaticProbe(system={self.system_name!r}, gpus={list(self.gpus)!r}, "
            f"tpus={list(self.tpus)!r}, backend={self.backend!r})"
        )

    def python_version(self) -> str:
        return self.python

    def tensorflow_version(self) -> str | None:
        return self.tensorflow

    def keras_version(self) -> str:
        return self.keras

    def keras_backend(self) -> str:
        return self.backend

    def jax_version(self) -> str | None:
        return self.jax

    def jax_devices(self) -> Sequence[str]:
        return list(self.jax_device_names) if self.backend == "jax" else []

    def keras_distribution(self) -> Mapping[str, Any] | None:
        if self.backend != "jax" or self.distribution is None:
            return None
        return dict(self.distribution)

    def build_info(self) -> Mapping[str, Any]:
        return dict(self.build)

    def physical_devices(self, device_type: str) -> Sequence[str]:
        if device_type == "GPU":
            return list(self.gpus)
        if device_type == "TPU":
            return list(self.tpus)
        if device_type == "CPU":
            return ["/physical_device:CPU:0"]
        return []

    def device_details(self, name: str) -> Mapping[str, Any]:
        if name in self.gpus:
            return dict(self.gpus[name])
        if name in self.tpus or name == "/physical_device:CPU:0":
            return {}
        raise ValueError(f"물리 장치 {name!r} 가 없다.")

    def set_memory_growth(self, name: str, enable: bool) -> None:
        if name not in self.gpus:
            raise ValueError(f"물리 GPU {name!r} 가 없다.")
        if self.memory_growth_error is not None:
            raise self.memory_growth_error
        self.memory_growth[name] = enable

    def environ(self) -> Mapping[str, str]:
        return dict(self.environ_vars)

    def system(self) -> str:
        return self.system_name

    def platform(self) -> str:
        return self.platform_name

    def proc_version(self) -> str | None:
        return self.proc_version_text

    def nvidia_smi(self, args: Sequence[str]) -> str:
        self.nvidia_smi_calls.append(tuple(args))
        if isinstance(self.nvidia_smi_output, BaseException):
            raise self.nvidia_smi_output
        return self.nvidia_smi_output
