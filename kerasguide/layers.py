"""강의의 밀집층 :class:`SimpleDense` 와 ``Layer.__call__`` 의 호출 순서를 관찰하는 도구.

강의는 ``Layer.__call__`` 을 대략 다음과 같이 설명한다.

.. code-block:: python

    def __call__(self, inputs):
        if not self.built:
            self.build(inputs.shape)
            self.built = True
        return self.call(inputs)

:func:`trace_layer_call` 은 이 순서를 흉내 내지 않고, 진짜 케라스 층의 ``build`` 와
``call`` 을 한 번의 호출 동안만 감싸서 실제로 일어난 일을 :class:`CallEvent` 목록으로
돌려준다.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
from keras import ops

from kerasguide._checks import argument_error, check_int

__all__ = ["CallEvent", "SimpleDense", "trace_layer_call"]

Shape = tuple[int | None, ...]


def _as_shape(shape: Any) -> Shape | None:
    """``TensorShape``, 튜플, 리스트 등을 ``(2, 3)`` 같은 파이썬 튜플로 바꾼다."""
    if shape is None:
        return None
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):  # unknown rank, or a nested structure of shapes
        return None


@keras.saving.register_keras_serializable(package="kerasguide")
class SimpleDense(keras.layers.Layer):  # type: ignore[misc]
    """강의의 밀집층(dense layer): ``activation(inputs @ kernel + bias)``.

    가중치는 생성자에서 만들지 않는다. 처음 호출될 때 케라스의 ``Layer.__call__`` 이
    입력 모양을 알아낸 뒤 :meth:`build` 를 부르고, :meth:`build` 가 ``add_weight`` 로
    커널(kernel, 강의의 ``W``)과 편향(bias, 강의의 ``b``)을 만든다. 커널은 정규분포 난수
    (``"random_normal"``), 편향은 0(``"zeros"``)으로 초기화한다. 이 층은 케라스에
    직렬화 가능한 객체로 등록되어 있어서(``"kerasguide>SimpleDense"``) 이 층을 담은
    모델을 ``.keras`` 파일로 저장했다가 다시 불러올 수 있다.

    Args:
        units: 출력 특성 수. 양의 정수.
        activation: 활성화 함수. ``keras.activations.get`` 이 받는 값, 곧 ``"relu"``
            같은 이름, 호출 가능한 객체(callable), 또는 ``None`` (활성화 없음).
        kernel_initializer: 커널 초기화 방법. 기본값은 강의와 같은 ``"random_normal"``.
            ``keras.initializers.get`` 이 받는 값.
        bias_initializer: 편향 초기화 방법. 기본값은 강의와 같은 ``"zeros"``.
        **kwargs: ``name``, ``dtype``, ``trainable``, ``activity_regularizer`` 처럼
            ``keras.layers.Layer`` 가 받는 키워드 인자.

    Input shape:
        ``(batch_size, ..., input_dim)`` 모양의 텐서(랭크 2 이상). 마지막 차원
        ``input_dim`` 은 알려져 있어야 한다.

    Output shape:
        ``(batch_size, ..., units)`` 모양의 텐서.

    Raises:
        ValueError: ``units`` 가 양의 정수가 아니거나, ``activation`` 또는 초기화 방법을
            해석할 수 없거나, 입력의 랭크가 2보다 작거나 마지막 차원을 모르는 경우.

    Example:
        >>> import numpy as np
        >>> layer = SimpleDense(4, activation="relu")
        >>> layer.built
        False
        >>> layer(np.ones((2, 3), dtype="float32")).shape
        TensorShape([2, 4])
        >>> [tuple(w.shape) for w in layer.weights]
        [(3, 4), (4,)]
    """

    units: int
    activation: Callable[..., Any]
    kernel_initializer: Any
    bias_initializer: Any

    def __init__(
        self,
        units: int,
        activation: str | Callable[..., Any] | None = None,
        kernel_initializer: str | keras.initializers.Initializer = "random_normal",
        bias_initializer: str | keras.initializers.Initializer = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = _check_units(units)
        self.activation = _get_activation(activation)
        self.kernel_initializer = _get_initializer("kernel_initializer", kernel_initializer)
        self.bias_initializer = _get_initializer("bias_initializer", bias_initializer)
        self.supports_masking = True

    def build(self, input_shape: Sequence[int | None]) -> None:
        """입력 모양으로 가중치를 만든다: 커널 ``(input_dim, units)``, 편향 ``(units,)``.

        Args:
            input_shape: 첫 입력의 모양. 예: ``(None, 784)``.

        Raises:
            ValueError: 랭크가 2보다 작거나 마지막 차원이 ``None`` 인 경우.
        """
        shape = _as_shape(input_shape)
        input_dim = self._check_input_shape(shape, "input_shape")
        self.kernel = self.add_weight(
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(self.units,),
            initializer=self.bias_initializer,
            name="bias",
        )

    def call(self, inputs: Any) -> Any:
        """정방향 패스(forward pass): 아핀 변환 ``inputs @ kernel + bias`` 뒤 활성화 함수."""
        self._check_input_shape(_as_shape(inputs.shape), "inputs.shape")
        outputs = ops.add(ops.matmul(inputs, self.kernel), self.bias)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """출력 모양 ``(*input_shape[:-1], units)`` 을 돌려준다."""
        shape = _as_shape(input_shape)
        self._check_input_shape(shape, "input_shape")
        assert shape is not None  # checked above
        return (*shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        """생성자 인자를 모두 담은 설정 사전. ``SimpleDense.from_config`` 로 되살린다."""
        config: dict[str, Any] = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config

    def _check_input_shape(self, shape: Shape | None, argument: str) -> int:
        """입력 모양을 검사하고 마지막 차원(input_dim)을 돌려준다."""
        if shape is None or len(shape) < 2:
            rank = "알 수 없음" if shape is None else len(shape)
            raise ValueError(
                f"{type(self).__name__} 층 '{self.name}' 의 입력은 (batch_size, ..., input_dim) "
                f"모양, 곧 랭크 2 이상이어야 한다. 받은 값: {argument}={shape} (랭크 {rank}). "
                "샘플 하나라면 배치 축을 붙인다: x[None, :] 또는 np.expand_dims(x, 0)."
            )
        input_dim = shape[-1]
        if input_dim is None:
            raise ValueError(
                f"{type(self).__name__} 층('{self.name}')은 입력의 마지막 차원(특성 수)을 알아야 "
                f"가중치를 만들 수 있다. 받은 값: {argument}={shape}. "
                "keras.Input(shape=(특성수,)) 처럼 마지막 차원을 정해 준다."
            )
        kernel = getattr(self, "kernel", None)
        if kernel is not None and input_dim != int(kernel.shape[0]):
            raise ValueError(
                f"{type(self).__name__} 층('{self.name}')은 마지막 차원이 {kernel.shape[0]} 인 "
                f"입력으로 만들어졌다. 받은 값: {argument}={shape}."
            )
        return int(input_dim)


def _check_units(units: object) -> int:
    return check_int("units", units, minimum=1)


def _get_activation(activation: Any) -> Callable[..., Any]:
    try:
        fn = keras.activations.get(activation)
    except (ValueError, TypeError) as error:
        raise argument_error(
            "activation",
            activation,
            "'relu', 'sigmoid', 'softmax' 같은 keras.activations 의 이름, 호출 가능한 "
            "객체(callable), 또는 None(활성화 없음)이어야 한다",
        ) from error
    return fn  # type: ignore[no-any-return]


def _get_initializer(argument: str, initializer: Any) -> Any:
    try:
        return keras.initializers.get(initializer)
    except (ValueError, TypeError) as error:
        raise argument_error(
            argument,
            initializer,
            "'random_normal', 'zeros', 'glorot_uniform' 같은 keras.initializers 의 이름이나 "
            "keras.initializers.Initializer 객체여야 한다",
        ) from error


@dataclass(frozen=True)
class CallEvent:
    """:func:`trace_layer_call` 이 기록한 사건 하나.

    Attributes:
        method: 무엇이 일어났는가. ``"__call__"`` (층을 부름), ``"build"``,
            ``"call"``, ``"compute_output_shape"`` (기호 텐서로 부를 때 출력 모양 계산),
            ``"return"`` (``__call__`` 이 결과를 돌려줌).
        layer: 층 이름.
        shape: ``__call__``/``call`` 은 입력 모양, ``build``/``compute_output_shape`` 은 받은
            ``input_shape``, ``return`` 은 출력 모양.
        built: 그 순간의 ``layer.built``.
        num_weights: 그 순간 층이 가진 가중치 수 (``len(layer.weights)``).
    """

    method: str
    layer: str
    shape: Shape | None
    built: bool
    num_weights: int

    def __str__(self) -> str:
        nested = self.method in ("build", "call", "compute_output_shape")
        name = self.method if self.method == "return" else f"{self.method}()"
        head = ("    " if nested else "") + name
        argument = f"{_EVENT_ARGUMENT.get(self.method, 'shape')}={self.shape}"
        note = _EVENT_NOTE.get(self.method)
        text = f"{head:<28}{argument:<28}built={self.built!s:<6}weights={self.num_weights}"
        return f"{text}  # {note}" if note else text


_EVENT_ARGUMENT = {
    "__call__": "inputs.shape",
    "build": "input_shape",
    "call": "inputs.shape",
    "compute_output_shape": "input_shape",
    "return": "outputs.shape",
}
_EVENT_NOTE = {
    "__call__": "층 호출",
    "build": "가중치 생성",
    "call": "정방향 패스",
    "compute_output_shape": "출력 모양 추론",
    "return": "결과 반환",
}


def trace_layer_call(layer: keras.layers.Layer, inputs: Any, **call_kwargs: Any) -> list[CallEvent]:
    """진짜 케라스 층을 한 번 호출하면서 ``__call__`` → ``build`` → ``call`` 순서를 기록한다.

    층 객체의 ``build``, ``call``, ``compute_output_shape`` 을 이 호출 동안만 기록용
    래퍼(wrapper)로 바꿔 끼우고, 끝나면(예외가 나도) 원래대로 돌려 놓는다. 케라스의
    ``Layer.__call__`` 자체는 그대로 실행되므로, 기록은 케라스가 실제로 한 일이다.
    이미 만들어진(built) 층을 다시 부르면 ``build`` 사건이 없다. 기호 텐서
    (``keras.Input``)로 부르면 ``call`` 대신 ``compute_output_shape`` 이 불릴 수 있다.

    Args:
        layer: 관찰할 ``keras.layers.Layer``. 하위 층의 호출은 기록하지 않는다.
        inputs: 층에 넘길 입력(넘파이 배열, 텐서, ``keras.Input``).
        **call_kwargs: 층 호출에 함께 넘길 키워드 인자(예: ``training=True``).

    Returns:
        일어난 순서대로의 :class:`CallEvent` 목록. 처음과 끝은 항상 ``"__call__"`` 과
        ``"return"`` 이다.

    Raises:
        TypeError: ``layer`` 가 ``keras.layers.Layer`` 가 아닌 경우.

    Example:
        >>> import numpy as np
        >>> layer = SimpleDense(4)
        >>> x = np.ones((2, 3), dtype="float32")
        >>> [e.method for e in trace_layer_call(layer, x)]
        ['__call__', 'build', 'call', 'return']
        >>> [e.method for e in trace_layer_call(layer, x)]  # 두 번째 호출: build 없음
        ['__call__', 'call', 'return']
    """
    if not isinstance(layer, keras.layers.Layer):
        raise argument_error("layer", layer, "keras.layers.Layer 객체여야 한다", error=TypeError)
    events: list[CallEvent] = []

    def record(method: str, shape: Any) -> None:
        events.append(
            CallEvent(
                method=method,
                layer=layer.name,
                shape=_as_shape(shape),
                built=bool(layer.built),
                num_weights=len(layer.weights),
            )
        )

    def recorder(method: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            first = args[0] if args else next(iter(kwargs.values()), None)
            if method in ("build", "compute_output_shape"):
                shape = first
            else:
                shape = getattr(first, "shape", None)
            record(method, shape)
            return original(*args, **kwargs)

        return wrapper

    patched = ("build", "call", "compute_output_shape")
    saved = {name: layer.__dict__[name] for name in patched if name in layer.__dict__}
    try:
        for name in patched:
            # object.__setattr__ bypasses Keras's attribute tracking: these are plain functions.
            object.__setattr__(layer, name, recorder(name, getattr(layer, name)))
        record("__call__", getattr(inputs, "shape", None))
        outputs = layer(inputs, **call_kwargs)
        record("return", getattr(outputs, "shape", None))
    finally:
        for name in patched:
            if name in saved:
                object.__setattr__(layer, name, saved[name])
            else:
                object.__delattr__(layer, name)
    return events
