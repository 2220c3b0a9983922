"""Checkpoints of :func:`kerasguide.fit` on TensorFlow: ``tf.train.Checkpoint`` files.

What is saved (numbered ``ckpt-<epochs done>``, the last :data:`MAX_TO_KEEP` kept by
``tf.train.CheckpointManager``; the record is :mod:`kerasguide.training._checkpoint`'s):

- ``model/vars/<i>``: every variable of the model, ``model.variables`` in order.
- ``optimizer/vars/<i>``: every variable of the optimizer.
- ``state``: the JSON document (``tf.train.experimental.PythonState``).

Keras 3 models do not expose their layers to ``tf.train.Checkpoint`` as dependencies, so the
variables are listed explicitly; a model of another shape is recognised from the stored
shapes before anything is restored.

A crash mid-save never leaves a checkpoint that fails to load: ``CheckpointManager`` writes the
data and index files first and only then rewrites the small ``checkpoint`` file (atomically,
write and rename) that names the latest checkpoint. On resume the named checkpoints are tried
newest first; one whose files cannot be read in full (a truncated or missing file) is skipped
with a warning, before any variable is touched.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from typing import Any

import keras
import tensorflow as tf

from kerasguide.training._checkpoint import (
    MAX_TO_KEEP,
    CheckpointRecord,
    ResumeState,
    _first_line,
)

__all__ = ["TrainingCheckpoint"]

_STATE_KEY = "state/.ATTRIBUTES/py_state"


class _JsonState(tf.train.experimental.PythonState):  # type: ignore[misc]
    """Python-side training state, stored in the checkpoint as one JSON string."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}

    def serialize(self) -> str:
        return json.dumps(self.data, ensure_ascii=False)

    def deserialize(self, string_value: bytes | str) -> None:
        self.data = json.loads(string_value)


def _describe(variables: list[Any]) -> list[list[Any]]:
    return [[v.path, list(v.shape), str(v.dtype)] for v in variables]


class TrainingCheckpoint(CheckpointRecord):
    """Saves and restores one training run of :func:`kerasguide.fit` in ``directory``.

    Create it after the model and the optimizer are built (their variables exist), inside the
    strategy's scope when there is one. On a worker of a multi-worker strategy that is not
    the chief, checkpoints are written to a temporary folder and deleted (every worker must
    take part in saving; only the chief's copy is kept), and restored from ``directory``.
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

    # --- restore --------------------------------------------------------------------------

    def restore(self) -> ResumeState | None:
        """Restore the newest readable checkpoint of ``directory``; ``None`` when there is none.

        Raises:
            ValueError: the checkpoint was saved from a model or optimizer of another shape, or
                not by ``kerasguide.fit``, or no named checkpoint can be read.
        """
        state = tf.train.get_checkpoint_state(self.directory)
        if state is None or not state.model_checkpoint_path:
            return None
        paths = list(state.all_model_checkpoint_paths)
        if state.model_checkpoint_path not in paths:
            paths.append(state.model_checkpoint_path)
        candidates = sorted(set(paths), key=paths.index, reverse=True)  # newest first
        candidates.remove(state.model_checkpoint_path)
        candidates.insert(0, state.model_checkpoint_path)
        failures: list[str] = []
        for path in candidates:
            data = self._read_if_complete(path, failures)
            if data is None:
                continue
            self._check_matches(path, data)
            status = self._checkpoint.restore(path)
            status.assert_existing_objects_matched()
            restored = self._state.data
            self.latest = path
            return ResumeState.from_document(path, restored)
        raise ValueError(
            f"checkpoint_dir={self.directory!r} 의 체크포인트를 하나도 읽지 못했다: "
            + "; ".join(failures)
            + ". 파일이 지워졌거나 잘렸다. 처음부터 훈련하려면 다른 checkpoint_dir 를 준다."
        )

    def _read_if_complete(self, path: str, failures: list[str]) -> dict[str, Any] | None:
        """The checkpoint's JSON state if every tensor in it can be read, else ``None``.

        Reading every tensor once (one at a time) checks the files and their checksums before
        any variable is assigned, so a broken checkpoint never half-restores the model.
        """
        try:
            reader = tf.train.load_checkpoint(path)
            shapes = reader.get_variable_to_shape_map()
            has_state = _STATE_KEY in shapes
            for key in shapes:
                reader.get_tensor(key)
            data: dict[str, Any] = json.loads(reader.get_tensor(_STATE_KEY)) if has_state else {}
        # The reader turns a bad file into an OpError, or (through pybind11) IndexError,
        # ValueError or RuntimeError, depending on where the file ends.
        except (tf.errors.OpError, OSError, IndexError, ValueError, RuntimeError) as error:
            message = f"{os.path.basename(path)}: {type(error).__name__}: {_first_line(error)}"
            failures.append(message)
            warnings.warn(
                f"체크포인트 {path} 를 읽을 수 없어 건너뛴다 ({message}). "
                "그 앞의 체크포인트에서 이어서 훈련한다.",
                RuntimeWarning,
                stacklevel=4,
            )
            return None
        if not has_state:
            raise ValueError(
                f"checkpoint_dir={self.directory!r} 의 {os.path.basename(path)} 는 "
                "kerasguide.fit 이 저장한 체크포인트가 아니다 (훈련 상태 state 가 없다). "
                "kerasguide.fit 전용 디렉터리를 준다."
            )
        data["_shapes"] = shapes
        return data

    def save(
        self,
        *,
        epochs_done: int,
        shuffle_seed: int | None,
        history: dict[str, list[float]],
        epoch_seconds: list[float],
    ) -> str:
        """Save the state after ``epochs_done`` epochs as ``ckpt-<epochs_done>``; its path."""
        self._state.data = self.document(
            epochs_done=epochs_done,
            shuffle_seed=shuffle_seed,
            history=history,
            epoch_seconds=epoch_seconds,
        )
        written = self._manager.save(checkpoint_number=epochs_done)
        if self._is_chief:
            self.latest = written
        else:
            # Every worker takes part in saving; only the chief's files are kept.
            shutil.rmtree(self._write_dir, ignore_errors=True)
            self.latest = os.path.join(self.directory, os.path.basename(written))
        return str(self.latest)
