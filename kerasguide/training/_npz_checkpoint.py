"""텐서플로가 아닌 백엔드에서 :func:`kerasguide.fit` 의 체크포인트: 넘파이 ``.npz`` 파일.

``tf.train.Checkpoint`` 는 ``tf.Variable`` 을 읽고 쓴다. JAX 의 변수는 JAX 배열을 담으므로
같은 기록(:mod:`kerasguide.training._checkpoint`)을 에포크마다 압축하지 않은
``ckpt-<끝난 에포크 수>.npz`` 하나로 쓴다: 값은 텐서플로 형식과 같은 키
(``model/vars/<i>/...``, ``optimizer/vars/<i>/...``)에, JSON 문서는 ``state`` 에 둔다. 이
모듈은 쓰고 읽는 방법만 더하고, 복원 논리와 약속은 텐서플로 형식과 같다.

- 파일은 임시 이름으로 쓰고 디스크에 내린 뒤 이름을 바꾼다. 그다음에야 작은 색인
  ``checkpoint.json`` (새 이름부터)을 같은 방법으로 바꾼다. 저장 중에 죽은 프로세스는 앞
  체크포인트를 가리키는 온전한 색인을 남긴다.
- 끝까지 읽을 수 없는 체크포인트(넘파이가 멤버마다 CRC 를 검사한다)는 건너뛴다.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any

import keras
import numpy as np

from kerasguide.training._checkpoint import (
    MAX_TO_KEEP,
    CheckpointRecord,
    UnreadableCheckpoint,
    value_key,
)

__all__ = ["NpzCheckpoint"]

_INDEX = "checkpoint.json"
_STATE = "state"


def _write_atomically(path: str, write: Any) -> None:
    folder = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _is_writer() -> bool:
    if keras.backend.backend() != "jax":
        return True
    from kerasguide.training._jax_distribution import is_writer

    return is_writer()


class NpzCheckpoint(CheckpointRecord):
    """:func:`kerasguide.fit` 의 훈련 한 번을 ``directory`` 에 저장하고 복원한다."""

    def __init__(
        self, directory: str, model: keras.Model, optimizer: keras.optimizers.Optimizer
    ) -> None:
        super().__init__(directory, model, optimizer)
        self._arrays: dict[str, Any] = {}  # the values read last, assigned on restore

    def _names(self) -> list[str]:
        index = os.path.join(self.directory, _INDEX)
        if not os.path.isfile(index):
            return []
        with open(index, encoding="utf-8") as file:
            return list(json.load(file)["checkpoints"])

    # --- read -----------------------------------------------------------------------------

    def _candidates(self) -> list[str]:
        return [os.path.join(self.directory, name) for name in self._names()]  # newest first

    def _read(self, path: str) -> tuple[dict[str, Any] | None, dict[str, list[int]]]:
        try:
            with open(path, "rb") as file, np.load(file, allow_pickle=False) as stored:
                arrays = {key: stored[key] for key in stored.files}  # reads (and CRCs) each
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
            raise UnreadableCheckpoint(path) from error
        state = arrays.pop(_STATE, None)
        self._arrays = arrays
        shapes = {key: list(value.shape) for key, value in arrays.items()}
        return (None if state is None else json.loads(str(state))), shapes

    def _assign(self, path: str) -> None:
        for prefix, variables in self.variable_groups():
            for index, variable in enumerate(variables):
                variable.assign(self._arrays[value_key(prefix, index)])
        self._arrays = {}

    # --- save -----------------------------------------------------------------------------

    def _write(self, epochs_done: int, document: dict[str, Any]) -> str:
        """``ckpt-<epochs_done>.npz`` and the index. With several JAX processes training as
        one, only process 0 writes (the variables are replicated: every process holds the same
        values); the others only note the path."""
        name = f"ckpt-{epochs_done}.npz"
        path = os.path.join(self.directory, name)
        if not _is_writer():
            self.latest = path
            return path
        os.makedirs(self.directory, exist_ok=True)
        arrays: dict[str, Any] = {_STATE: np.asarray(json.dumps(document, ensure_ascii=False))}
        for prefix, variables in self.variable_groups():
            for index, variable in enumerate(variables):
                arrays[value_key(prefix, index)] = keras.ops.convert_to_numpy(variable.value)
        _write_atomically(path, lambda file: np.savez(file, **arrays))
        names = [name, *(n for n in self._names() if n != name)]
        kept, dropped = names[:MAX_TO_KEEP], names[MAX_TO_KEEP:]
        listing = json.dumps({"checkpoints": kept}, indent=1).encode()
        _write_atomically(os.path.join(self.directory, _INDEX), lambda file: file.write(listing))
        for old in dropped:  # only once the index no longer names them
            old_path = os.path.join(self.directory, old)
            if os.path.exists(old_path):
                os.remove(old_path)
        return path
