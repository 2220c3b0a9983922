"""Checkpoints for :func:`kerasguide.fit`: saved at every epoch end, resumed from the last good one.

What is saved (``tf.train.Checkpoint``, numbered ``ckpt-<epochs done>``, the last
:data:`MAX_TO_KEEP` kept by ``tf.train.CheckpointManager``):

- ``model/vars/<i>``: every variable of the model, ``model.variables`` in order (weights,
  non-trainable state such as batch-norm statistics, and the random-seed state of layers such
  as ``Dropout``, so that dropout masks continue where they stopped).
- ``optimizer/vars/<i>``: every variable of the optimizer (step counter, learning rate,
  moments).
- ``state``: a JSON document (``tf.train.experimental.PythonState``) with the number of epochs
  done, the shuffle seed that fixes the data order of every epoch, the history so far, and
  the names, shapes and dtypes of the variables above.

Keras 3 models do not expose their layers to ``tf.train.Checkpoint`` as dependencies, so the
variables are listed explicitly; the checkpoint layout is then this module's, and a model of
another shape is recognised from the stored shapes before anything is restored.

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
from dataclasses import dataclass, field
from typing import Any

import keras
import tensorflow as tf

__all__ = ["MAX_TO_KEEP", "ResumeState", "TrainingCheckpoint", "check_checkpoint_dir"]

MAX_TO_KEEP = 3
_FORMAT = 1
_STATE_KEY = "state/.ATTRIBUTES/py_state"
_VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


def check_checkpoint_dir(checkpoint_dir: Any) -> str | None:
    """``checkpoint_dir`` 인자를 검사해서 문자열 경로로 돌려준다 (``None`` 은 그대로)."""
    if checkpoint_dir is None:
        return None
    if not isinstance(checkpoint_dir, str | os.PathLike):
        raise TypeError(
            "checkpoint_dir 는 디렉터리 경로(str 이나 pathlib.Path)나 None 이어야 한다. "
            f"받은 값: checkpoint_dir={checkpoint_dir!r} ({type(checkpoint_dir).__name__})."
        )
    path = os.fspath(checkpoint_dir)
    if not isinstance(path, str) or not path:
        raise ValueError(
            f"checkpoint_dir 는 비어 있지 않은 디렉터리 경로여야 한다. 받은 값: {checkpoint_dir!r}."
        )
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(
            f"checkpoint_dir 는 디렉터리여야 하는데 같은 이름의 파일이 있다. 받은 값: {path!r}."
        )
    return path


@dataclass
class ResumeState:
    """What a restored checkpoint says about the run it came from."""

    path: str
    epochs_done: int
    shuffle_seed: int | None
    history: dict[str, list[float]] = field(default_factory=dict)
    epoch_seconds: list[float] = field(default_factory=list)


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


class TrainingCheckpoint:
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
        self.directory = directory
        self._model_vars = list(model.variables)
        self._optimizer_vars = list(optimizer.variables)
        self._model_name = model.name
        self._optimizer_class = type(optimizer).__name__
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
        self.latest: str | None = None

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
            return ResumeState(
                path=path,
                epochs_done=int(restored["epochs_done"]),
                shuffle_seed=restored.get("shuffle_seed"),
                history={k: list(v) for k, v in restored.get("history", {}).items()},
                epoch_seconds=list(restored.get("epoch_seconds", [])),
            )
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

    def _check_matches(self, path: str, data: dict[str, Any]) -> None:
        """Raise a ``ValueError`` naming the first variable whose shape or dtype differs."""
        name = os.path.basename(path)
        if data.get("format") != _FORMAT:
            raise ValueError(
                f"checkpoint_dir={self.directory!r} 의 {name} 는 이 kerasguide 가 모르는 형식"
                f"(format={data.get('format')!r})으로 저장되었다. 기대한 형식: {_FORMAT}."
            )
        shapes: dict[str, list[int]] = data["_shapes"]
        self._compare(
            name,
            "모델",
            "model",
            self._model_vars,
            data["model"]["variables"],
            shapes,
            f"모델 '{data['model'].get('name')}'",
        )
        saved_class = data["optimizer"].get("class")
        if saved_class != self._optimizer_class:
            raise ValueError(
                f"checkpoint_dir={self.directory!r} 의 {name} 는 다른 옵티마이저로 저장되었다: "
                f"체크포인트는 {saved_class}, 지금은 {self._optimizer_class}. 같은 옵티마이저로 "
                "이어서 훈련하거나, 새로 훈련하려면 다른 checkpoint_dir 를 준다."
            )
        self._compare(
            name,
            "옵티마이저",
            "optimizer",
            self._optimizer_vars,
            data["optimizer"]["variables"],
            shapes,
            f"옵티마이저 {saved_class}",
        )

    def _compare(
        self,
        name: str,
        what: str,
        prefix: str,
        variables: list[Any],
        saved: list[list[Any]],
        shapes: dict[str, list[int]],
        saved_owner: str,
    ) -> None:
        hint = (
            f"같은 구조의 {what}로 이어서 훈련하거나, 새로 훈련하려면 다른 checkpoint_dir 를 준다."
        )
        stored = sum(1 for key in shapes if key.startswith(f"{prefix}/vars/"))
        if stored != len(variables) or len(saved) != len(variables):
            listed = [f"{p} {tuple(s)}" for p, s, _ in saved]
            current = [f"{v.path} {tuple(v.shape)}" for v in variables]
            raise ValueError(
                f"checkpoint_dir={self.directory!r} 의 {name} 는 다른 {what}에서 저장되었다: "
                f"변수가 체크포인트에는 {stored}개, 지금 {what}에는 {len(variables)}개다. "
                f"체크포인트({saved_owner}): {_clip(listed)}. 지금: {_clip(current)}. {hint}"
            )
        for index, (variable, (saved_path, _, saved_dtype)) in enumerate(
            zip(variables, saved, strict=True)
        ):
            stored_shape = tuple(shapes[f"{prefix}/vars/{index}{_VALUE_SUFFIX}"])
            shape = tuple(variable.shape)
            if stored_shape != shape:
                raise ValueError(
                    f"checkpoint_dir={self.directory!r} 의 {name} 는 모양이 다른 {what}에서 "
                    f"저장되었다: {index}번 변수의 모양이 체크포인트('{saved_path}')에서는 "
                    f"{stored_shape}, 지금 {what}('{variable.path}')에서는 {shape}이다. {hint}"
                )
            if saved_dtype != str(variable.dtype):
                raise ValueError(
                    f"checkpoint_dir={self.directory!r} 의 {name} 는 자료형이 다른 {what}에서 "
                    f"저장되었다: {index}번 변수의 자료형이 체크포인트('{saved_path}')에서는 "
                    f"{saved_dtype}, 지금 {what}('{variable.path}')에서는 {variable.dtype}이다. "
                    f"{hint}"
                )

    # --- save -----------------------------------------------------------------------------

    def save(
        self,
        *,
        epochs_done: int,
        shuffle_seed: int | None,
        history: dict[str, list[float]],
        epoch_seconds: list[float],
    ) -> str:
        """Save the state after ``epochs_done`` epochs as ``ckpt-<epochs_done>``; its path."""
        self._state.data = {
            "format": _FORMAT,
            "epochs_done": epochs_done,
            "shuffle_seed": shuffle_seed,
            "history": history,
            "epoch_seconds": epoch_seconds,
            "model": {"name": self._model_name, "variables": _describe(self._model_vars)},
            "optimizer": {
                "class": self._optimizer_class,
                "variables": _describe(self._optimizer_vars),
            },
        }
        written = self._manager.save(checkpoint_number=epochs_done)
        if self._is_chief:
            self.latest = written
        else:
            # Every worker takes part in saving; only the chief's files are kept.
            shutil.rmtree(self._write_dir, ignore_errors=True)
            self.latest = os.path.join(self.directory, os.path.basename(written))
        return str(self.latest)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _clip(items: list[str], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" 외 {len(items) - limit}개" if len(items) > limit else "")
