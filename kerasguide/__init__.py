"""kerasguide: 케라스와 텐서플로 강의(3장)에서 실행하는 작은 라이브러리.

- :class:`SimpleDense`: 강의의 밀집층(``keras.ops`` 만으로 작성). ``__call__`` → ``build`` →
  ``call`` 순서를 :func:`trace_layer_call` 로 직접 관찰할 수 있다.
- :func:`fit`: 처음부터 작성한 훈련 반복(training loop). 텐서플로에서는 ``tf.GradientTape``,
  JAX 에서는 ``jax.value_and_grad`` 로 그레이디언트를 구한다. ``Model.fit`` 의 훈련 인자
  (콜백, 검증, 샘플/클래스 가중치, ``initial_epoch``)를 그대로 받고, 체크포인트와 이어서
  훈련하기, 분산 훈련(``tf.distribute``, ``keras.distribution``)을 지원하며, 손실이 NaN 이 되면
  :class:`NonFiniteLossError` 를 낸다.
- :mod:`kerasguide.env`: GPU 작업환경 점검(보고서, 메모리 증가, 혼합 정밀도, 분산 전략).
- :func:`use_korean_font`: matplotlib 그림의 한글 글꼴.

케라스 3의 텐서플로와 JAX 백엔드를 대상으로 한다(다른 백엔드에서 ``fit`` 은
:class:`UnsupportedBackendError` 를 낸다). 가져오기(import)만으로는 전역 설정을 바꾸지 않는다.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kerasguide._errors import NonFiniteLossError, UnsupportedBackendError
from kerasguide._version import __version__

if TYPE_CHECKING:
    from kerasguide import env
    from kerasguide.layers import CallEvent, SimpleDense, trace_layer_call
    from kerasguide.plotting import use_korean_font
    from kerasguide.training import History, fit

# Names whose modules import TensorFlow are loaded on first use, so that `kerasguide env`
# and `kerasguide --help` start quickly and print no TensorFlow start-up lines.
_LAZY = {
    "CallEvent": "kerasguide.layers",
    "SimpleDense": "kerasguide.layers",
    "trace_layer_call": "kerasguide.layers",
    "History": "kerasguide.training",
    "fit": "kerasguide.training",
    "use_korean_font": "kerasguide.plotting",
}

__all__ = [
    "CallEvent",
    "History",
    "NonFiniteLossError",
    "SimpleDense",
    "UnsupportedBackendError",
    "__version__",
    "env",
    "fit",
    "trace_layer_call",
    "use_korean_font",
]


def __getattr__(name: str) -> Any:
    if name == "env":  # a subpackage, loaded on first use like the names below
        return importlib.import_module("kerasguide.env")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kerasguide' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
