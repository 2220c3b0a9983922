"""``tf.GradientTape`` 로 처음부터 작성한 훈련 반복(training loop) :func:`fit`.

강의의 "훈련 반복: 미니 배치 경사하강법 실행"을 그대로 코드로 옮기고, 케라스의
``Model.fit`` 과 같은 인자(콜백, 검증, 샘플/클래스 가중치, ``initial_epoch``)를 받으면서 더 빨리
돌도록 다듬었다. 모듈마다 한 가지 일을 한다.

- ``_fit``: 공개 함수 :func:`fit`. 인자 검사, 데이터 준비, 콜백과 에포크 반복.
- ``_data``: 배열을 에포크마다 섞어 배치 묶음(chunk)으로 자르기, ``tf.data`` 데이터셋,
  ``validation_split``, ``class_weight``.
- ``_loop``: 컴파일된 "여러 스텝 훈련" 함수. 모든 스텝은 케라스의 트레이너처럼
  ``strategy.run`` 으로 실행한다(전략을 주지 않으면 텐서플로의 기본 전략).
- ``_strategy``: ``tf.distribute`` 전략 고르기와 복제본마다의 손실.
- ``_callbacks``, ``_history``: 케라스의 ``CallbackList`` 와 ``History``.
- ``_checkpoint``: 에포크마다 저장하고 마지막 체크포인트에서 이어 가기.
"""

from __future__ import annotations

from kerasguide.training._fit import fit
from kerasguide.training._history import History

__all__ = ["History", "fit"]
