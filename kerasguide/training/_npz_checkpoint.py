"""Checkpoints of :func:`kerasguide.fit` on backends other than TensorFlow: NumPy ``.npz`` files.

``tf.train.Checkpoint`` reads and writes ``tf.Variable`` objects; on JAX the variables hold JAX
arrays, so the same record (:mod:`kerasguide.training._checkpoint`) is written as one
uncompressed ``ckpt-<epochs done>.npz`` per epoch: the values under the same keys as the
TensorFlow format (``model/vars/<i>/...``, ``optimizer/vars/<i>/...``) and the JSON document
under ``state``. The guarantees are those of the TensorFlow format:

- a file is written under a temporary name, flushed to disk and renamed; only then is the
  small index ``checkpoint.json`` (the newest names first) replaced the same way. A process
  killed mid-save leaves the previous checkpoint named and whole;
- on resume the named checkpoints are tried newest first; one that cannot be read in full
  (NumPy checks each member's CRC) is skipped with a warning, before any variable is touched;
- a checkpoint of a model or an optimizer of another shape is refused, naming the variable.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
import zipfile
from typing import Any

import keras
import numpy as np

from kerasguide.training._checkpoint import (
    MAX_TO_KEEP,
    CheckpointRecord,
    ResumeState,
    _first_line,
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
    """Saves and restores one training run of :func:`kerasguide.fit` in ``directory``."""

    def __init__(
        self, directory: str, model: keras.Model, optimizer: keras.optimizers.Optimizer
    ) -> None:
        super().__init__(directory, model, optimizer)

    def _names(self) -> list[str]:
        index = os.path.join(self.directory, _INDEX)
        if not os.path.isfile(index):
            return []
        with open(index, encoding="utf-8") as file:
            return list(json.load(file)["checkpoints"])

    # --- restore --------------------------------------------------------------------------

    def restore(self) -> ResumeState | None:
        """Restore the newest readable checkpoint of ``directory``; ``None`` when there is none.

        Raises:
            ValueError: the checkpoint was saved from a model or optimizer of another shape, or
                not by ``kerasguide.fit``, or no named checkpoint can be read.
        """
        names = self._names()
        if not names:
            return None
        failures: list[str] = []
        for name in names:  # newest first
            path = os.path.join(self.directory, name)
            arrays = self._read_if_complete(path, failures)
            if arrays is None:
                continue
            data = json.loads(str(arrays.pop(_STATE)))
            data["_shapes"] = {key: list(value.shape) for key, value in arrays.items()}
            self._check_matches(path, data)
            for prefix, variables in (
                ("model", self._model_vars),
                ("optimizer", self._optimizer_vars),
            ):
                for index, variable in enumerate(variables):
                    variable.assign(arrays[value_key(prefix, index)])
            self.latest = path
            return ResumeState.from_document(path, data)
        raise ValueError(
            f"checkpoint_dir={self.directory!r} 의 체크포인트를 하나도 읽지 못했다: "
            + "; ".join(failures)
            + ". 파일이 지워졌거나 잘렸다. 처음부터 훈련하려면 다른 checkpoint_dir 를 준다."
        )

    def _read_if_complete(self, path: str, failures: list[str]) -> dict[str, Any] | None:
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = {key: stored[key] for key in stored.files}  # reads (and CRCs) each
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
            message = f"{os.path.basename(path)}: {type(error).__name__}: {_first_line(error)}"
            failures.append(message)
            warnings.warn(
                f"체크포인트 {path} 를 읽을 수 없어 건너뛴다 ({message}). "
                "그 앞의 체크포인트에서 이어서 훈련한다.",
                RuntimeWarning,
                stacklevel=4,
            )
            return None
        if _STATE not in arrays:
            raise ValueError(
                f"checkpoint_dir={self.directory!r} 의 {os.path.basename(path)} 는 "
                "kerasguide.fit 이 저장한 체크포인트가 아니다 (훈련 상태 state 가 없다). "
                "kerasguide.fit 전용 디렉터리를 준다."
            )
        return arrays

    # --- save -----------------------------------------------------------------------------

    def save(
        self,
        *,
        epochs_done: int,
        shuffle_seed: int | None,
        history: dict[str, list[float]],
        epoch_seconds: list[float],
    ) -> str:
        """Save the state after ``epochs_done`` epochs as ``ckpt-<epochs_done>.npz``; its path.

        With several JAX processes training as one, only process 0 writes (the variables are
        replicated: every process holds the same values); the others only note the path.
        """
        name = f"ckpt-{epochs_done}.npz"
        path = os.path.join(self.directory, name)
        if not _is_writer():
            self.latest = path
            return path
        os.makedirs(self.directory, exist_ok=True)
        document = self.document(
            epochs_done=epochs_done,
            shuffle_seed=shuffle_seed,
            history=history,
            epoch_seconds=epoch_seconds,
        )
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
        self.latest = path
        return path
