"""인자 검사: kerasguide 의 "잘못된 입력에는 분명한 오류"가 한곳에 있다.

여러 곳이 함께 쓰기 때문에 패키지 맨 위에 둔다: :func:`fit` (``training/``), 환경 도우미
(``env/``), 층(``layers.py``)이 모두 :func:`argument_error` 로 같은 모양의 한국어 오류를 낸다
(인자 이름, 받는 값, 받은 값과 그 타입). 모든 검사는 일을 시작하기 전에 오류를 낸다. 여기서는
텐서플로를 가져오지 않으므로(배열은 ``shape`` 과 ``dtype`` 으로 알아본다) 모든 케라스 백엔드와
명령줄 도구에서 쓸 수 있다.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from typing import Any

__all__ = [
    "argument_error",
    "check_array",
    "check_bool",
    "check_checkpoint_dir",
    "check_class_weight",
    "check_fraction",
    "check_int",
    "check_jit_compile",
    "check_same_length",
    "check_seed",
    "check_validation_freq",
    "check_verbose",
    "short_repr",
]

_VERBOSE_VALUES = ("auto", 0, 1, 2)


def short_repr(value: Any, limit: int = 80) -> str:
    """오류 메시지에 쓸 ``value`` 의 한 줄 설명 (배열은 모양과 자료형으로)."""
    if _is_array(value):
        text = f"<{type(value).__name__} shape={tuple(value.shape)} dtype={value.dtype}>"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def argument_error(
    name: str,
    value: Any,
    accepted: str,
    *,
    error: type[Exception] = ValueError,
    hint: str = "",
) -> Exception:
    """``error("<name> 는 <accepted>. 받은 값: <name>=<value> (<type>). <hint>")``."""
    message = f"{name} 는 {accepted}. 받은 값: {name}={short_repr(value)} ({type(value).__name__})."
    return error(f"{message} {hint}" if hint else message)


def _is_array(value: Any) -> bool:
    # numpy arrays, tf.Tensor, jax.Array: all have a shape and a dtype.
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, type)


def check_int(name: str, value: Any, *, minimum: int) -> int:
    """``value`` 가 ``minimum`` 이상인 정수(bool 제외)인지 확인한다."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise argument_error(name, value, f"{minimum} 이상의 정수여야 한다")
    return int(value)


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise argument_error(name, value, "True 또는 False 여야 한다")
    return value


def check_fraction(name: str, value: Any) -> float:
    """0 보다 크고 1 보다 작은 실수인지 확인한다 (``validation_split``)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 < float(value) < 1.0
    ):
        raise argument_error(name, value, "0 보다 크고 1 보다 작은 실수여야 한다 (예: 0.2)")
    return float(value)


def check_jit_compile(jit_compile: Any) -> bool | str:
    if jit_compile == "auto" or isinstance(jit_compile, bool):
        return jit_compile  # type: ignore[no-any-return]
    raise argument_error("jit_compile", jit_compile, "'auto', True, False 중 하나여야 한다")


def check_verbose(verbose: Any) -> int:
    """``"auto"``, 0, 1, 2 중 하나를 받아 0, 1, 2 로 돌려준다 (``"auto"`` 는 1)."""
    if isinstance(verbose, bool) or verbose not in _VERBOSE_VALUES:
        raise argument_error(
            "verbose",
            verbose,
            "'auto', 0, 1, 2 중 하나여야 한다",
            hint="0: 출력 없음, 1: 진행 막대, 2: 에포크마다 한 줄.",
        )
    return 1 if verbose == "auto" else int(verbose)


def check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise argument_error("seed", seed, "None 이거나 0 이상의 정수여야 한다")
    return int(seed)


def check_validation_freq(value: Any, epochs: int) -> int | list[int]:
    """``Model.fit`` 처럼 양의 정수(몇 에포크마다)나 에포크 번호(1부터) 리스트를 받는다."""

    def epoch_number(e: Any, upper: float) -> bool:
        # numbers.Integral covers NumPy's integers too (epoch lists often come from np.arange).
        if isinstance(e, bool) or not isinstance(e, numbers.Integral):
            return False
        return 1 <= int(e) <= upper

    if isinstance(value, list | tuple) and all(epoch_number(e, epochs) for e in value):
        return [int(e) for e in value]
    if epoch_number(value, float("inf")):
        return int(value)
    raise argument_error(
        "validation_freq",
        value,
        f"1 이상의 정수(몇 에포크마다 검증할지)이거나 1 부터 epochs={epochs} 사이의 에포크 "
        "번호 리스트여야 한다",
    )


def check_class_weight(class_weight: Any) -> dict[int, float] | None:
    """``{클래스 번호: 가중치}`` 사전인지 확인한다 (타깃과 맞는지는 데이터를 볼 때 확인)."""
    if class_weight is None:
        return None
    accepted = "{클래스 번호(0 이상의 정수): 가중치(실수)} 사전이어야 한다 (예: {0: 1.0, 1: 5.0})"
    if not isinstance(class_weight, Mapping) or not class_weight:
        raise argument_error("class_weight", class_weight, accepted, error=TypeError)
    for key, weight in class_weight.items():
        if (
            isinstance(key, bool)
            or not isinstance(key, numbers.Integral)
            or key < 0
            or isinstance(weight, bool)
            or not isinstance(weight, numbers.Real)
        ):
            raise argument_error(
                "class_weight", class_weight, accepted, hint=f"문제의 항목: {key!r}: {weight!r}."
            )
    return {int(k): float(w) for k, w in class_weight.items()}


def check_array(name: str, value: Any) -> Any:
    """넘파이 배열이나 텐서인지, 샘플 축(첫 축)이 있는지 확인한다."""
    if not _is_array(value):
        accepted = "넘파이 배열(numpy.ndarray), 텐서, pandas DataFrame/Series 여야 한다"
        raise argument_error(
            name,
            value,
            accepted,
            error=TypeError,
            hint="리스트라면 np.asarray(...) 로 바꿔서 넘긴다.",
        )
    if len(value.shape) == 0:
        raise ValueError(
            f"{name} 는 첫 축이 샘플 축인 배열이어야 한다. 받은 값: {name}={short_repr(value)} "
            "(스칼라)."
        )
    return value


def check_same_length(x_name: str, x: Any, y_name: str, y: Any) -> int:
    n_x, n_y = int(x.shape[0]), int(y.shape[0])
    if n_x != n_y:
        raise ValueError(
            f"{x_name} 와 {y_name} 의 샘플 수(첫 축의 길이)가 같아야 한다. "
            f"받은 값: len({x_name})={n_x}, len({y_name})={n_y}."
        )
    if n_x == 0:
        raise ValueError(f"{x_name} 에 샘플이 하나도 없다. 받은 값: {x_name}.shape={x.shape}.")
    return n_x


def check_checkpoint_dir(checkpoint_dir: Any) -> str | None:
    """``checkpoint_dir`` 인자를 검사해서 문자열 경로로 돌려준다 (``None`` 은 그대로)."""
    if checkpoint_dir is None:
        return None
    if not isinstance(checkpoint_dir, str | os.PathLike):
        raise argument_error(
            "checkpoint_dir",
            checkpoint_dir,
            "디렉터리 경로(str 이나 pathlib.Path)나 None 이어야 한다",
            error=TypeError,
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
