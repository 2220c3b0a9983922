""":func:`kerasguide.fit` 이 에포크가 끝날 때마다 저장하는 것. 파일 형식과 상관없다.

체크포인트에는 모델의 모든 변수(``model.variables`` 순서대로: 가중치, 배치 정규화 통계 같은
훈련하지 않는 상태, ``Dropout`` 같은 층의 난수 상태), 옵티마이저의 모든 변수(스텝 수, 학습률,
모멘트), 그리고 JSON 문서(끝난 에포크 수, 에포크마다의 데이터 순서를 정하는 섞기 시드,
지금까지의 기록, 변수의 이름·모양·자료형)가 들어 있다. ``ckpt-<끝난 에포크 수>`` 로 번호를
붙이고 마지막 :data:`MAX_TO_KEEP` 개를 남긴다.

두 형식이 이 기록과 복원 논리(:class:`CheckpointRecord`)를 함께 쓰고, 각자 쓰고 읽는 방법만
더한다: 텐서플로의 ``tf.train.Checkpoint`` (:mod:`~kerasguide.training._tf_checkpoint`,
``tf.distribute`` 도 맡는다)와 다른 백엔드의 넘파이 ``.npz`` 파일
(:mod:`~kerasguide.training._npz_checkpoint`). 약속도 같다: 저장 중에 죽어도 읽을 수 없는
체크포인트가 남지 않고(최신을 가리키는 색인은 데이터 다음에 원자적으로 바꾼다), 끝까지 읽을
수 없는 체크포인트는 변수를 건드리기 전에 경고와 함께 건너뛰며, 모양이 다른 모델이나
옵티마이저의 체크포인트는 처음으로 다른 변수를 밝히며 거절한다.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import keras

__all__ = ["MAX_TO_KEEP", "CheckpointRecord", "ResumeState", "UnreadableCheckpoint"]

MAX_TO_KEEP = 3
FORMAT = 1
# Keys of the stored tensors, in tf.train.Checkpoint's naming (the .npz files use it too).
VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


def value_key(prefix: str, index: int) -> str:
    return f"{prefix}/vars/{index}{VALUE_SUFFIX}"


@dataclass
class ResumeState:
    """복원한 체크포인트가 알려 주는, 그것을 저장한 훈련의 상태."""

    path: str
    epochs_done: int
    shuffle_seed: int | None
    history: dict[str, list[float]] = field(default_factory=dict)
    epoch_seconds: list[float] = field(default_factory=list)

    def describe(self, epochs: int) -> str:
        """``fit(verbose=...)`` 가 이어서 훈련할 때 출력하는 한 줄."""
        name = os.path.basename(self.path)
        if self.epochs_done >= epochs:
            return (
                f"체크포인트 {name} 에 에포크 {self.epochs_done} 까지 끝나 있어 더 훈련하지 "
                f"않는다 (epochs={epochs})."
            )
        done = f"{self.epochs_done}/{epochs}"
        return f"체크포인트 {name} 에서 이어서 훈련한다: 에포크 {done} 까지 끝났다."

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


class UnreadableCheckpoint(Exception):
    """형식의 ``_read`` 가 체크포인트를 끝까지 읽지 못했다(잘리거나 없는 파일)."""


class CheckpointRecord:
    """훈련 한 번의 체크포인트가 담는 변수와, 그것을 복원하는 방법.

    복원 논리는 두 형식이 함께 쓴다: 형식의 색인이 가리키는 체크포인트를 새것부터 시도하고,
    끝까지 읽을 수 없는 것은 변수를 건드리기 전에 경고와 함께 건너뛰고, 저장된 이름·모양·
    자료형을 모델과 옵티마이저와 비교한 뒤, 형식이 값을 넣는다. 형식은 이것만 더한다.

    - ``_candidates()``: 저장된 체크포인트의 경로, 새것부터.
    - ``_read(path)``: 모든 값을 한 번씩 읽고 JSON 문서와 ``{키: 모양}`` 을 돌려준다(실패하면
      :class:`UnreadableCheckpoint`).
    - ``_assign(path)``: 저장된 값을 변수에 넣는다.
    - ``_write(epochs_done, document)``: 변수와 문서를 원자적으로 쓴다.
    """

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
        """``directory`` 에서 읽을 수 있는 가장 새 체크포인트를 복원한다. 없으면 ``None``.

        Raises:
            ValueError: 모양이 다른 모델이나 옵티마이저의 체크포인트이거나, ``kerasguide.fit``
                이 저장하지 않았거나, 색인이 가리키는 체크포인트를 하나도 읽을 수 없다.
        """
        candidates = self._candidates()
        if not candidates:
            return None
        failures: list[str] = []
        for path in candidates:
            try:
                data, shapes = self._read(path)
            except UnreadableCheckpoint as unreadable:
                error = unreadable.__cause__ or unreadable
                message = f"{os.path.basename(path)}: {type(error).__name__}: {_first_line(error)}"
                failures.append(message)
                warnings.warn(
                    f"체크포인트 {path} 를 읽을 수 없어 건너뛴다 ({message}). "
                    "그 앞의 체크포인트에서 이어서 훈련한다.",
                    RuntimeWarning,
                    stacklevel=3,
                )
                continue
            if data is None:
                raise ValueError(
                    f"checkpoint_dir={self.directory!r} 의 {os.path.basename(path)} 는 "
                    "kerasguide.fit 이 저장한 체크포인트가 아니다 (훈련 상태 state 가 없다). "
                    "kerasguide.fit 전용 디렉터리를 준다."
                )
            self._check_matches(path, data, shapes)
            self._assign(path)
            self.latest = path
            return ResumeState.from_document(path, data)
        raise ValueError(
            f"checkpoint_dir={self.directory!r} 의 체크포인트를 하나도 읽지 못했다: "
            + "; ".join(failures)
            + ". 파일이 지워졌거나 잘렸다. 처음부터 훈련하려면 다른 checkpoint_dir 를 준다."
        )

    def _candidates(self) -> list[str]:
        raise NotImplementedError

    def _read(self, path: str) -> tuple[dict[str, Any] | None, dict[str, list[int]]]:
        raise NotImplementedError

    def _assign(self, path: str) -> None:
        raise NotImplementedError

    def save(self, *, epochs_done: int, **record: Any) -> str:
        """``epochs_done`` 에포크 뒤의 상태를 ``ckpt-<epochs_done>`` 으로 저장하고 경로를 돌려준다.

        ``record``: ``shuffle_seed``, ``history``, ``epoch_seconds`` (:meth:`document`)."""
        self.latest = self._write(epochs_done, self.document(epochs_done=epochs_done, **record))
        return self.latest

    def _write(self, epochs_done: int, document: dict[str, Any]) -> str:
        raise NotImplementedError

    def variable_groups(self) -> list[tuple[str, list[Any]]]:
        """``[("model", 변수들), ("optimizer", 변수들)]``: 저장하는 키의 접두어와 변수."""
        return [("model", self._model_vars), ("optimizer", self._optimizer_vars)]

    def document(
        self,
        *,
        epochs_done: int,
        shuffle_seed: int | None,
        history: dict[str, list[float]],
        epoch_seconds: list[float],
    ) -> dict[str, Any]:
        """체크포인트의 JSON 부분."""
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

    def _check_matches(self, path: str, data: dict[str, Any], shapes: dict[str, list[int]]) -> None:
        """모양이나 자료형이 처음으로 다른 변수를 밝히는 ``ValueError`` 를 낸다."""
        name = os.path.basename(path)
        if data.get("format") != FORMAT:
            raise ValueError(
                f"checkpoint_dir={self.directory!r} 의 {name} 는 이 kerasguide 가 모르는 형식"
                f"(format={data.get('format')!r})으로 저장되었다. 기대한 형식: {FORMAT}."
            )
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


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _clip(items: list[str], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" 외 {len(items) - limit}개" if len(items) > limit else "")
