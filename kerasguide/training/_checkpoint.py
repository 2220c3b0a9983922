"""What :func:`kerasguide.fit` saves at every epoch end, whatever the file format.

A checkpoint holds every variable of the model (``model.variables`` in order: weights,
non-trainable state such as batch-norm statistics, and the random-seed state of layers such as
``Dropout``), every variable of the optimizer (step counter, learning rate, moments), and a JSON
document with the number of epochs done, the shuffle seed that fixes the data order of every
epoch, the history so far, and the names, shapes and dtypes of the variables. The last
:data:`MAX_TO_KEEP` are kept, numbered ``ckpt-<epochs done>``.

Two formats share this record and its checks: ``tf.train.Checkpoint`` on TensorFlow
(:mod:`~kerasguide.training._tf_checkpoint`, which also serves ``tf.distribute``) and NumPy
``.npz`` files on other backends (:mod:`~kerasguide.training._npz_checkpoint`). Both promise the
same: a crash mid-save never leaves a checkpoint that fails to load (the index naming the latest
is replaced atomically, after the data), a checkpoint whose files cannot be read in full is
skipped with a warning before any variable is touched, and a checkpoint of a model or optimizer
of another shape is refused, naming the first variable that differs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import keras

__all__ = ["MAX_TO_KEEP", "CheckpointRecord", "ResumeState"]

MAX_TO_KEEP = 3
FORMAT = 1
# Keys of the stored tensors, in tf.train.Checkpoint's naming (the .npz files use it too).
VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


def value_key(prefix: str, index: int) -> str:
    return f"{prefix}/vars/{index}{VALUE_SUFFIX}"


@dataclass
class ResumeState:
    """What a restored checkpoint says about the run it came from."""

    path: str
    epochs_done: int
    shuffle_seed: int | None
    history: dict[str, list[float]] = field(default_factory=dict)
    epoch_seconds: list[float] = field(default_factory=list)

    @classmethod
    def from_document(cls, path: str, data: dict[str, Any]) -> ResumeState:
        return cls(
            path=path,
            epochs_done=int(data["epochs_done"]),
            shuffle_seed=data.get("shuffle_seed"),
            history={k: list(v) for k, v in data.get("history", {}).items()},
            epoch_seconds=list(data.get("epoch_seconds", [])),
        )


def _describe(variables: list[Any]) -> list[list[Any]]:
    return [[v.path, list(v.shape), str(v.dtype)] for v in variables]


class CheckpointRecord:
    """The variables a checkpoint of one training run holds, and the checks on a stored one."""

    def __init__(
        self, directory: str, model: keras.Model, optimizer: keras.optimizers.Optimizer
    ) -> None:
        self.directory = directory
        self._model_vars = list(model.variables)
        self._optimizer_vars = list(optimizer.variables)
        self._model_name = model.name
        self._optimizer_class = type(optimizer).__name__
        self.latest: str | None = None

    def restore(self) -> ResumeState | None:
        """Restore the newest readable checkpoint; ``None`` when there is none (per format)."""
        raise NotImplementedError

    def save(
        self,
        *,
        epochs_done: int,
        shuffle_seed: int | None,
        history: dict[str, list[float]],
        epoch_seconds: list[float],
    ) -> str:
        """Save the state after ``epochs_done`` epochs; the checkpoint's path (per format)."""
        raise NotImplementedError

    def variable_groups(self) -> list[tuple[str, list[Any]]]:
        """``[("model", variables), ("optimizer", variables)]``: the stored keys' prefixes."""
        return [("model", self._model_vars), ("optimizer", self._optimizer_vars)]

    def document(
        self,
        *,
        epochs_done: int,
        shuffle_seed: int | None,
        history: dict[str, list[float]],
        epoch_seconds: list[float],
    ) -> dict[str, Any]:
        """The JSON part of a checkpoint."""
        return {
            "format": FORMAT,
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

    def _check_matches(self, path: str, data: dict[str, Any]) -> None:
        """Raise a ``ValueError`` naming the first variable whose shape or dtype differs."""
        name = os.path.basename(path)
        if data.get("format") != FORMAT:
            raise ValueError(
                f"checkpoint_dir={self.directory!r} 의 {name} 는 이 kerasguide 가 모르는 형식"
                f"(format={data.get('format')!r})으로 저장되었다. 기대한 형식: {FORMAT}."
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
            stored_shape = tuple(shapes[value_key(prefix, index)])
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


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _clip(items: list[str], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" 외 {len(items) - limit}개" if len(items) > limit else "")
