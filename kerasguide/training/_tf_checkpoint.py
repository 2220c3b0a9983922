"""텐서플로에서 :func:`kerasguide.fit` 의 체크포인트: ``tf.train.Checkpoint`` 파일.

저장하는 것(``ckpt-<끝난 에포크 수>``, 마지막 :data:`MAX_TO_KEEP` 개를
``tf.train.CheckpointManager`` 가 남긴다. 기록은 :mod:`kerasguide.training._checkpoint` 의
것이고, 이 모듈은 쓰고 읽는 방법만 더한다):

- ``model/vars/<i>``: 모델의 모든 변수, ``model.variables`` 순서대로.
- ``optimizer/vars/<i>``: 옵티마이저의 모든 변수.
- ``state``: JSON 문서(``tf.train.experimental.PythonState``).

케라스 3 모델은 층을 ``tf.train.Checkpoint`` 의 의존 객체로 드러내지 않으므로 변수를 직접
나열한다. ``CheckpointManager`` 는 데이터와 색인 파일을 먼저 쓰고 나서야 최신 체크포인트를
가리키는 작은 ``checkpoint`` 파일을 (쓰고 이름 바꾸기로) 원자적으로 바꾼다. 그래서 저장 중에
죽어도 읽을 수 없는 체크포인트가 가리켜지지 않는다.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import keras
import tensorflow as tf

from kerasguide.training._checkpoint import MAX_TO_KEEP, CheckpointRecord, UnreadableCheckpoint

__all__ = ["TrainingCheckpoint"]

_STATE_KEY = "state/.ATTRIBUTES/py_state"


class _JsonState(tf.train.experimental.PythonState):  # type: ignore[misc]
    """파이썬 쪽 훈련 상태. 체크포인트에 JSON 문자열 하나로 저장한다."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}

    def serialize(self) -> str:
        return json.dumps(self.data, ensure_ascii=False)

    def deserialize(self, string_value: bytes | str) -> None:
        self.data = json.loads(string_value)


class TrainingCheckpoint(CheckpointRecord):
    """:func:`kerasguide.fit` 의 훈련 한 번을 ``directory`` 에 저장하고 복원한다.

    모델과 옵티마이저가 만들어진 뒤(변수가 있을 때), 전략이 있으면 그 scope 안에서 만든다.
    다중 워커 전략의 우두머리(chief)가 아닌 워커는 임시 폴더에 쓰고 지운다(모든 워커가 저장에
    참여해야 하고, 우두머리의 것만 남긴다). 복원은 ``directory`` 에서 한다.
    """

    def __init__(
        self,
        directory: str,
        model: keras.Model,
        optimizer: keras.optimizers.Optimizer,
        *,
        strategy: tf.distribute.Strategy | None = None,
    ) -> None:
        super().__init__(directory, model, optimizer)
        self._state = _JsonState()
        model_container = tf.Module(name="model_variables")
        model_container.vars = self._model_vars
        optimizer_container = tf.Module(name="optimizer_variables")
        optimizer_container.vars = self._optimizer_vars
        self._checkpoint = tf.train.Checkpoint(
            model=model_container, optimizer=optimizer_container, state=self._state
        )
        self._is_chief = strategy is None or bool(strategy.extended.should_checkpoint)
        self._write_dir = directory
        if not self._is_chief:
            resolver = getattr(strategy, "cluster_resolver", None)
            task = f"{getattr(resolver, 'task_type', 'worker')}_{getattr(resolver, 'task_id', 0)}"
            self._write_dir = os.path.join(directory, f".kerasguide_tmp_{task}")
        self._manager = tf.train.CheckpointManager(
            self._checkpoint, self._write_dir, max_to_keep=MAX_TO_KEEP
        )

    # --- read -----------------------------------------------------------------------------

    def _candidates(self) -> list[str]:
        state = tf.train.get_checkpoint_state(self.directory)
        if state is None or not state.model_checkpoint_path:
            return []
        paths = list(state.all_model_checkpoint_paths)
        if state.model_checkpoint_path not in paths:
            paths.append(state.model_checkpoint_path)
        candidates = sorted(set(paths), key=paths.index, reverse=True)  # newest first
        candidates.remove(state.model_checkpoint_path)
        return [state.model_checkpoint_path, *candidates]

    def _read(self, path: str) -> tuple[dict[str, Any] | None, dict[str, list[int]]]:
        """모든 텐서를 한 번씩(하나씩) 읽는다: 변수를 건드리기 전에 파일과 체크섬을 검사하므로
        깨진 체크포인트가 모델을 반쯤 복원하는 일이 없다."""
        try:
            reader = tf.train.load_checkpoint(path)
            shapes = reader.get_variable_to_shape_map()
            for key in shapes:
                reader.get_tensor(key)
            state = reader.get_tensor(_STATE_KEY) if _STATE_KEY in shapes else None
        # The reader turns a bad file into an OpError, or (through pybind11) IndexError,
        # ValueError or RuntimeError, depending on where the file ends.
        except (tf.errors.OpError, OSError, IndexError, ValueError, RuntimeError) as error:
            raise UnreadableCheckpoint(path) from error
        return (None if state is None else json.loads(state)), shapes

    def _assign(self, path: str) -> None:
        self._checkpoint.restore(path).assert_existing_objects_matched()

    def _write(self, epochs_done: int, document: dict[str, Any]) -> str:
        self._state.data = document
        written = str(self._manager.save(checkpoint_number=epochs_done))
        if self._is_chief:
            return written
        # Every worker takes part in saving; only the chief's files are kept.
        shutil.rmtree(self._write_dir, ignore_errors=True)
        return os.path.join(self.directory, os.path.basename(written))
