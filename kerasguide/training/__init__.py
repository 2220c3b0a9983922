"""처음부터 작성한 훈련 반복(training loop) :func:`fit`: 텐서플로(``tf.GradientTape``)와 JAX.

강의의 "훈련 반복: 미니 배치 경사하강법 실행"을 그대로 코드로 옮기고, 케라스의
``Model.fit`` 과 같은 인자(콜백, 검증, 샘플/클래스 가중치, ``initial_epoch``)를 받으면서 더 빨리
돌도록 다듬었다. 모듈마다 한 가지 일을 한다.

- ``_fit``: 공개 함수 :func:`fit`. 인자 검사, 백엔드·분산·옵티마이저·시작 에포크를 한 번씩
  정하고, 데이터, 훈련기, 체크포인트, 콜백을 준비한다.
- ``_backend``: 정한 백엔드의 부품 고르기(분산 전략, 훈련기, 체크포인트 형식).
- ``_resolve``: 손실·지표·옵티마이저 식별자를 ``Model.compile`` 처럼 푼다.
- ``_data``: ``Model.fit`` 이 받는 모든 ``x``: 배열(덩어리로 자르는 빠른 길)과 케라스의 데이터
  어댑터(``tf.data``, ``PyDataset``, 제너레이터). ``validation_split``, ``class_weight``.
- ``_class_weight``: ``class_weight`` 를 샘플 가중치로 바꾸기.
- ``_epoch_iterator``: 한 에포크를 컴파일된 호출 단위 ``(begin, end, batches)`` 로 자르기
  (케라스의 ``EpochIterator``).
- ``_epochs``: 에포크 반복과 콜백 훅, NaN 검사, 검증, 에포크마다 저장.
- ``_trainer``: 두 백엔드가 함께 쓰는 훈련기 뼈대(손실, 지표, 손실 추적기, ``traces``)와
  ``compile_on_batch`` (케라스의 ``Trainer``).
- ``_model_compile``: ``fit`` 이 모델을 훈련하는 손실·옵티마이저·지표로 ``compile`` 해 두기
  (``fit`` 뒤의 ``evaluate``, ``save``, 콜백의 ``model.metrics``), JAX 에서 콜백이 보는 상태.
- ``_loop``: 텐서플로 훈련기. 모든 스텝을 케라스의 트레이너처럼 ``strategy.run`` 으로
  실행한다(전략을 주지 않으면 텐서플로의 기본 전략).
- ``_jax_loop``: JAX 훈련기. 상태를 넘겨받고 돌려주는 스텝(``stateless_call``)과 ``jax.jit``.
- ``_strategy``: ``tf.distribute`` 전략 고르기와 복제본마다의 손실.
- ``_jax_distribution``: JAX 에서 ``keras.distribution`` 으로 여러 장치·여러 프로세스에 배치 나누기.
- ``_callbacks``, ``_history``: 케라스의 ``CallbackList`` 와 ``History``.
- ``_checkpoint``: 에포크마다 저장하는 기록과 공통 복원 논리(깨진 체크포인트 건너뛰기, 모양과
  자료형 검사). ``_tf_checkpoint`` (``tf.train.Checkpoint``)와 ``_npz_checkpoint``
  (넘파이 ``.npz``, JAX)는 쓰고 읽는 방법만 더한다.
"""

from __future__ import annotations

from kerasguide.training._fit import fit
from kerasguide.training._history import History

__all__ = ["History", "fit"]
