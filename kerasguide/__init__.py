"""kerasguide: 케라스와 텐서플로 강의(3장)에서 실행하는 작은 라이브러리.

- :class:`SimpleDense`: 강의의 밀집층. ``__call__`` → ``build`` → ``call`` 순서를
  :func:`trace_layer_call` 로 직접 관찰할 수 있다.
- :func:`fit`: ``tf.GradientTape`` 로 처음부터 작성한 훈련 반복(training loop).
- :mod:`kerasguide.env`: GPU 작업환경 점검(보고서, 메모리 증가, 혼합 정밀도, 분산 전략).

케라스 3과 텐서플로 백엔드를 대상으로 한다. 가져오기(import)만으로는 전역 설정을 바꾸지 않는다.
"""

from __future__ import annotations

from kerasguide import env
from kerasguide._version import __version__
from kerasguide.layers import CallEvent, SimpleDense, trace_layer_call
from kerasguide.plotting import use_korean_font
from kerasguide.training import History, fit

__all__ = [
    "CallEvent",
    "History",
    "SimpleDense",
    "__version__",
    "env",
    "fit",
    "trace_layer_call",
    "use_korean_font",
]
