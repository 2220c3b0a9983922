"""GPU 작업환경 점검(강의 3.4 딥러닝 작업환경).

- :func:`report`: 파이썬·텐서플로·케라스 버전, 케라스 백엔드, CUDA 빌드 정보, 케라스가 쓰는
  GPU와 TPU(텐서플로 백엔드에서는 텐서플로가, JAX 백엔드에서는 JAX 가 보는 장치), 실행
  환경(코랩, WSL, 리눅스, macOS, 윈도우), ``nvidia-smi`` 가 알려 주는 NVIDIA 드라이버,
  분산 방식(``tf.distribute`` 전략이나 JAX 의 ``keras.distribution``)을 모아 :class:`EnvReport`
  로 돌려주고, 빠진 것이 있으면 한국어 조언을 붙인다.
- :func:`enable_memory_growth`, :func:`enable_mixed_precision`, :func:`select_strategy`:
  GPU 메모리 증가, 혼합 정밀도, ``tf.distribute`` 전략을 켜는 도우미.

바깥 세계는 모두 탐침(:class:`EnvProbe`)을 거쳐 살핀다. 기본 탐침은 이 컴퓨터를 보는
:class:`SystemProbe` 이고, :class:`StaticProbe` 를 넘기면 GPU가 없는 곳에서도 GPU, TPU, 코랩,
WSL 환경의 보고서를 만들어 볼 수 있다. 이 모듈을 가져오기만 해서는 텐서플로를 불러오지 않고
아무 전역 설정도 바꾸지 않는다. 보고서는 텐서플로의 물리 장치 목록만 읽으므로 장치를
초기화하지 않는다. 그래서 :func:`report` 다음에도 메모리 증가나 논리 장치를 설정할 수 있다.
케라스 백엔드가 JAX 이면 보고서는 ``jax.devices()`` 로 JAX 를 시작한다(JAX 의 GPU 메모리 설정은
그 전에 환경 변수로 한다. :func:`enable_memory_growth` 참고).

Example:
    >>> from kerasguide import env
    >>> rep = env.report()  # doctest: +SKIP
    >>> print(rep)  # doctest: +SKIP
    kerasguide 작업환경 보고서
    ...
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kerasguide._errors import DevicesAlreadyInitializedError

if TYPE_CHECKING:
    from kerasguide.env._devices import enable_memory_growth, enable_mixed_precision
    from kerasguide.env._model import (
        DistributionInfo,
        EnvReport,
        GpuInfo,
        NvidiaGpu,
        NvidiaSmiInfo,
        StrategyChoice,
    )
    from kerasguide.env._probe import EnvProbe, StaticProbe, SystemProbe
    from kerasguide.env._report import report
    from kerasguide.env._strategy import choose_strategy, select_strategy

# Each name loads its own module on first use, so that a page (or a program) that calls one
# helper depends on that helper's modules only (docs/_ext/library_dependency.py re-executes a
# page when a module it loaded changes).
_LAZY = {
    "enable_memory_growth": "kerasguide.env._devices",
    "enable_mixed_precision": "kerasguide.env._devices",
    "DistributionInfo": "kerasguide.env._model",
    "EnvReport": "kerasguide.env._model",
    "GpuInfo": "kerasguide.env._model",
    "NvidiaGpu": "kerasguide.env._model",
    "NvidiaSmiInfo": "kerasguide.env._model",
    "StrategyChoice": "kerasguide.env._model",
    "EnvProbe": "kerasguide.env._probe",
    "StaticProbe": "kerasguide.env._probe",
    "SystemProbe": "kerasguide.env._probe",
    "report": "kerasguide.env._report",
    "choose_strategy": "kerasguide.env._strategy",
    "select_strategy": "kerasguide.env._strategy",
}

__all__ = [
    "DevicesAlreadyInitializedError",
    "DistributionInfo",
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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kerasguide.env' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
