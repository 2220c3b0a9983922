""":func:`kerasguide.fit` 의 훈련 데이터: ``Model.fit`` 이 받는 모든 ``x``.

배치는 ``Model.fit`` 처럼 ``(x, y)`` 나 ``(x, y, sample_weight)`` 이고, ``x`` (와 ``y``)는
중첩될 수 있다(입력이 여럿인 모델의 dict 나 list).

- :class:`ArrayData`: 배열, 텐서, pandas, 그리고 그것들의 dict/list (케라스의
  ``ArrayDataAdapter`` 가 받는 것)를 통째로 둔다. 에포크마다 샘플 번호의 순열(섞지 않으면
  ``0..n-1``)을 ``steps_per_execution`` 개의 온전한 배치 묶음(덩어리, 모양
  ``(steps_per_execution, batch_size, ...)``)으로 모으고, 짧은 마지막 배치는 하나짜리
  덩어리로 준다. 컴파일된 호출 한 번이 덩어리 하나를 통째로 실행하는 빠른 길이다.
- :class:`AdapterData`: 나머지 모두. 케라스의 데이터 어댑터
  (``keras/src/trainers/data_adapters``, ``get_data_adapter``)를 그대로 쓴다:
  ``tf.data.Dataset``, ``keras.utils.PyDataset`` (``workers``, ``use_multiprocessing``
  포함), 파이썬 제너레이터. 각 백엔드는 케라스의 트레이너처럼 읽는다: 텐서플로는 ``tf.data``
  데이터셋으로, JAX 는 넘파이 배치로.

:func:`make_data` 는 그 전에 ``Model.fit`` 이 배열에 하는 일도 한다: ``validation_split``
(섞기 전의 마지막 비율을 검증 데이터로 돌려준다)과 ``class_weight`` (샘플 가중치로 바꾼다).
"""

from __future__ import annotations

import math
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from kerasguide._checks import argument_error, check_array, check_same_length, short_repr
from kerasguide.training._class_weight import check_class_weight_keys, class_weight_to_sample_weight

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = [
    "AdapterData",
    "ArrayData",
    "Data",
    "IndexedChunk",
    "input_kind",
    "make_data",
    "unpack_validation",
]

_ACCEPTED_X = (
    "넘파이 배열, 텐서, pandas DataFrame/Series, 또는 그것들의 dict/list, "
    "tf.data.Dataset, keras.utils.PyDataset, 파이썬 제너레이터여야 한다 (Model.fit 과 같다)"
)


def _on_tensorflow() -> bool:
    return bool(keras.backend.backend() == "tensorflow")


class ArrayData:
    """배열 ``(x, y[, sample_weight])`` (각각 중첩될 수 있다). 배치 덩어리로 잘라 준다."""

    def __init__(
        self, arrays: tuple[Any, ...], *, batch_size: int, shuffle: bool, seed: int | None
    ) -> None:
        self.arrays = arrays
        self.leaves = keras.tree.flatten(arrays)
        self._nested = len(self.leaves) != len(arrays)
        # TensorFlow gathers from its tensors (on the device); JAX from arrays it put on the
        # device once (see _on_jax_device); else NumPy gathers on the host.
        self._gather: Any = _tf_gather if _on_tensorflow() else _np_gather
        self.on_device = False
        if not _on_tensorflow() and (on_device := _on_jax_device(self.leaves)) is not None:
            self.leaves, self.on_device = on_device, True
            self.arrays = self._pack(self.leaves)
        self.size = int(self.leaves[0].shape[0])
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.steps: int | None = math.ceil(self.size / batch_size)
        self.sample = self._pack([a[:batch_size] for a in self.leaves])  # builds the model
        self.shuffle_seed: int | None = None  # set on the first shuffled epoch; checkpointed

    def _pack(self, leaves: list[Any]) -> tuple[Any, ...]:
        if self._nested:
            return tuple(keras.tree.pack_sequence_as(self.arrays, leaves))
        return tuple(leaves)

    def order(self, epoch: int) -> Any:
        """``epoch`` 에 훈련할 순서대로의 샘플 번호."""
        indices = np.arange(self.size, dtype=np.int64)
        if not self.shuffle:
            return indices
        if self.shuffle_seed is None:
            # seed=None: one draw from NumPy's global generator, so that
            # keras.utils.set_random_seed fixes the order.
            self.shuffle_seed = (
                self.seed if self.seed is not None else int(np.random.randint(0, 2**31 - 1))
            )
        # Every epoch's order follows from (seed, epoch) alone: a resumed run continues it.
        return np.random.default_rng([self.shuffle_seed, epoch]).permutation(indices)

    def chunk_indices(self, epoch: int, steps_per_execution: int) -> Iterator[tuple[Any, int]]:
        """한 에포크를 덮는 ``(번호, 쓸 행 수)`` 쌍. ``번호`` 는 2차원이다."""
        order = self.order(epoch)
        full_batches, remainder = divmod(self.size, self.batch_size)
        if full_batches:
            chunks = math.ceil(full_batches / steps_per_execution)
            padding = (chunks * steps_per_execution - full_batches) * self.batch_size
            used = order[: full_batches * self.batch_size]
            padded = np.pad(used, (0, padding)) if padding else used
            blocks = padded.reshape(chunks, steps_per_execution, self.batch_size)
            for chunk in range(chunks):
                rows = min(steps_per_execution, full_batches - chunk * steps_per_execution)
                yield blocks[chunk], rows
        if remainder:
            yield order[full_batches * self.batch_size :].reshape(1, remainder), 1

    def chunks(self, epoch: int, steps_per_execution: int) -> Iterator[tuple[tuple[Any, ...], int]]:
        """한 에포크를 덮는 ``((x 덩어리, y 덩어리[, sw 덩어리]), 쓸 행 수)``."""
        for indices, rows in self.chunk_indices(epoch, steps_per_execution):
            if self.on_device:  # JAX: the compiled loop gathers each batch on the device
                yield IndexedChunk(self.arrays, indices.astype(np.int32)), rows  # type: ignore[misc]
            else:
                yield self._pack([self._gather(a, indices) for a in self.leaves]), rows

    def epoch_dataset(self, epoch: int) -> tf.data.Dataset:
        """한 에포크의 배치를 같은 순서의 ``tf.data.Dataset`` 으로 (``tf.distribute`` 용)."""
        import tensorflow as tf

        leaves, pack = self.leaves, self._pack

        def gather(indices: Any) -> tuple[Any, ...]:
            return pack([tf.gather(a, indices) for a in leaves])

        dataset = (
            tf.data.Dataset.from_tensor_slices(self.order(epoch))
            .batch(self.batch_size)
            .map(gather)
            .prefetch(tf.data.AUTOTUNE)
        )
        options = tf.data.Options()
        # Every worker holds the same arrays: split each global batch among the workers.
        policy = tf.data.experimental.AutoShardPolicy.DATA
        options.experimental_distribute.auto_shard_policy = policy
        return dataset.with_options(options)


class AdapterData:
    """케라스의 데이터 어댑터(``tf.data``, ``PyDataset``, 제너레이터)가 내놓는 배치."""

    def __init__(self, adapter: Any, sample: tuple[Any, ...], *, infinite: bool) -> None:
        self.adapter = adapter
        self.sample = sample  # one real batch, to build the model before tracing
        self.batches: int | None = adapter.num_batches  # one pass; None if unknown or infinite
        self.infinite = infinite
        self.steps: int | None = self.batches
        self.batch_size: int | None = None  # the data decides it
        self.shuffle_seed: int | None = None  # the data decides its own order

    def tf_dataset(self) -> tf.data.Dataset:
        return self.adapter.get_tf_dataset()

    def numpy_iterator(self) -> Iterator[Any]:
        return iter(self.adapter.get_numpy_iterator())


Data = ArrayData | AdapterData


def _np_gather(array: Any, indices: Any) -> Any:
    return array[indices]  # along the first (sample) axis


# On JAX with one device (no keras.distribution set), arrays up to this many bytes in all are
# put on the device once per fit, and the compiled function gathers each batch there from the
# chunk's indices: no host gather, no host-to-device copy of each chunk, no padded chunk. Larger
# arrays (which might not fit in an accelerator's memory) are gathered by NumPy, as Model.fit
# reads them.
JAX_DEVICE_BYTES = 1 << 30


@dataclass(frozen=True)
class IndexedChunk:
    """A chunk that stays on the device: the whole arrays and the chunk's sample indices,
    shape ``(steps, batch)`` (JAX; the compiled function gathers each batch it runs)."""

    arrays: tuple[Any, ...]
    indices: Any


def _on_jax_device(arrays: list[Any]) -> list[Any] | None:
    if keras.distribution.distribution() is not None:
        return None  # each batch is placed with the distribution's layout instead
    if sum(np.asarray(a).nbytes for a in arrays) > JAX_DEVICE_BYTES:
        return None
    import jax

    return [jax.device_put(a) for a in arrays]


def _tf_gather(array: Any, indices: Any) -> Any:
    import tensorflow as tf

    return tf.gather(array, indices)


def _standardize_array(value: Any) -> Any:
    """케라스의 배열 어댑터처럼 실수 배열은 ``floatx`` 로, pandas 는 넘파이로 바꾼다.

    텐서플로에서는 텐서로 둔다(장치에서 모은다). 다른 백엔드에서는 넘파이 배열이다."""
    if hasattr(value, "to_numpy") and not hasattr(value, "numpy"):  # pandas
        value = value.to_numpy()
    if not _on_tensorflow():
        array = np.asarray(value)
        if np.issubdtype(array.dtype, np.floating) and array.dtype != keras.config.floatx():
            return array.astype(keras.config.floatx())
        return array
    import tensorflow as tf

    dtype = tf.as_dtype(value.dtype)
    if dtype.is_floating and dtype.name != keras.config.floatx():
        return tf.cast(value, keras.config.floatx())
    return tf.convert_to_tensor(value)


def _is_pandas(value: Any) -> bool:
    return type(value).__module__.split(".")[0] == "pandas"


def _leaves(name: str, value: Any) -> list[tuple[str, Any]]:
    """``value`` 의 배열들과 그 이름 (``x["image"]``, ``x[0]``)."""
    if isinstance(value, dict):
        return [(f"{name}[{k!r}]", v) for k, v in value.items()]
    if isinstance(value, list | tuple) and all(hasattr(v, "shape") for v in value):
        return [(f"{name}[{i}]", v) for i, v in enumerate(value)]
    return [(name, value)]


def _check_arrays(
    x: Any, y: Any, sample_weight: Any, names: tuple[str, str, str]
) -> tuple[Any, ...]:
    x_name, y_name, sw_name = names
    if y is None:
        raise ValueError(f"{x_name} 가 배열이면 타깃 {y_name} 가 필요하다. 받은 값: {y_name}=None.")
    parts = [(x_name, x), (y_name, y)]
    if sample_weight is not None:
        parts.append((sw_name, sample_weight))
    leaves = [leaf for name, value in parts for leaf in _leaves(name, value)]
    for name, value in leaves:
        if not _is_pandas(value):
            check_array(name, value)
    first_name, first = leaves[0]
    for name, value in leaves[1:]:
        check_same_length(first_name, first, name, value)
    if len(np.shape(first)) == 0 or np.shape(first)[0] == 0:
        check_same_length(first_name, first, first_name, first)  # the "no samples" message
    if sample_weight is not None and not isinstance(y, dict | list | tuple):
        _check_sample_weight(sw_name, sample_weight, y, y_name)
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def _check_sample_weight(name: str, sample_weight: Any, y: Any, y_name: str) -> None:
    rank, y_rank = len(sample_weight.shape), len(y.shape)
    if rank > max(y_rank, 1) or tuple(sample_weight.shape) != tuple(y.shape[:rank]):
        raise ValueError(
            f"{name} 의 모양은 타깃 {y_name} 의 앞쪽 축과 같아야 한다: 샘플마다 하나면 "
            f"({y.shape[0]},), 시간 단계마다 하나면 {tuple(y.shape[:2])}. "
            f"받은 값: {name}.shape={tuple(sample_weight.shape)}, {y_name}.shape={tuple(y.shape)}."
        )


def _is_arrays(x: Any) -> bool:
    from keras.src.trainers.data_adapters import array_data_adapter

    return bool(array_data_adapter.can_convert_arrays((x,)))


def input_kind(x: Any) -> str:
    """``x`` 의 종류: ``"arrays"``, ``"tf.data.Dataset"``, ``"PyDataset"``, ``"generator"``, 모르면
    ``""``."""
    from keras.src.trainers.data_adapters import is_tf_dataset

    if is_tf_dataset(x):
        return "tf.data.Dataset"
    if isinstance(x, keras.utils.PyDataset):
        return "PyDataset"
    if isinstance(x, types.GeneratorType):
        return "generator"
    return "arrays" if _is_arrays(x) else ""


def _adapter_data(
    x: Any, name: str, kind: str, *, class_weight: dict[int, float] | None, steps: int | None,
    steps_name: str, shuffle: bool,
) -> AdapterData:  # fmt: skip
    from keras.src.trainers.data_adapters import get_data_adapter

    if kind == "generator" and class_weight is not None:
        raise argument_error(
            "class_weight", class_weight, "x 가 제너레이터이면 쓸 수 없다 (Model.fit 과 같다)",
            hint="제너레이터가 (x, y, sample_weight) 를 내놓게 한다.",
        )  # fmt: skip
    if kind == "tf.data.Dataset" and class_weight is not None and len(x.element_spec) == 3:
        raise ValueError(
            "class_weight 와 sample_weight 를 함께 쓸 수 없다 (Model.fit 과 같다): "
            "데이터셋이 이미 (x, y, sample_weight) 를 내놓는다."
        )
    # shuffle: a PyDataset's batch order, as in Model.fit (the other kinds order themselves).
    shuffle = shuffle and kind == "PyDataset" and x.num_batches is not None
    try:
        adapter = get_data_adapter(
            x, class_weight=class_weight, steps_per_epoch=steps, shuffle=shuffle
        )
    except ValueError as error:  # Keras's adapter refused the first batches
        raise ValueError(
            f"{name} ({kind})는 (x, y) 나 (x, y, sample_weight) 튜플 배치를 내놓아야 한다. "
            f"케라스의 데이터 어댑터가 거절했다: {str(error)[:200]}"
        ) from None
    infinite = adapter.num_batches is None
    if kind == "tf.data.Dataset":
        spec = x.element_spec
        if not (isinstance(spec, tuple) and len(spec) in (2, 3)):
            raise ValueError(
                f"{name} 데이터셋은 (x, y) 나 (x, y, sample_weight) 튜플 배치를 내놓아야 한다. "
                f"받은 원소 명세(element_spec): {spec}."
            )
        cardinality = int(x.cardinality())
        infinite = cardinality == -1  # tf.data.INFINITE_CARDINALITY
        if infinite and steps is None:
            raise ValueError(
                f"{name} 데이터셋이 끝없이 반복된다(repeat()). 에포크의 길이를 {steps_name}= 로 "
                f"정하거나 repeat() 을 빼고 넘긴다. 받은 값: {steps_name}=None."
            )
        sample = next(iter(adapter.get_tf_dataset().take(1)), None)
    elif kind == "PyDataset":
        sample = adapter._standardize_batch(x[0]) if x.num_batches != 0 else None
    else:  # a generator: the adapter keeps the batches it peeked at and yields them again
        sample = next(iter(adapter.get_numpy_iterator()), None)
    if sample is None:
        raise ValueError(f"{name} 데이터셋이 비어 있다 (배치가 하나도 없다).")
    if not isinstance(sample, tuple) or len(sample) not in (2, 3):
        raise ValueError(
            f"{name} ({kind})는 (x, y) 나 (x, y, sample_weight) 튜플 배치를 내놓아야 한다: "
            f"kerasguide.fit 은 타깃이 있는 지도 학습을 한다. 받은 배치: {short_repr(sample)}."
        )
    return AdapterData(adapter, tuple(sample), infinite=infinite)


def make_data(
    x: Any,
    y: Any,
    sample_weight: Any = None,
    *,
    names: tuple[str, str, str] = ("x", "y", "sample_weight"),
    class_weight: dict[int, float] | None = None,
    validation_split: float | None = None,
    batch_size: int,
    shuffle: bool,
    seed: int | None,
    steps: int | None = None,
    steps_name: str = "steps_per_epoch",
) -> tuple[Data, tuple[Any, ...] | None]:
    """``x`` 를 :class:`ArrayData` 나 :class:`AdapterData` 로, 그리고 ``validation_split`` 의
    행들(없으면 ``None``)을 한 번에 돌려준다."""
    x_name, y_name, sw_name = names
    kind = input_kind(x)
    if not kind:
        raise argument_error(x_name, x, _ACCEPTED_X, error=TypeError)
    if kind != "arrays":
        for arg, value in ((y_name, y), (sw_name, sample_weight)):
            if value is not None:
                raise ValueError(
                    f"{x_name} 가 {kind} 이면 {arg} 는 None 이어야 한다 ({kind} 가 (x, y) 나 "
                    f"(x, y, sample_weight) 배치를 내놓는다). 받은 값: {arg}={short_repr(value)}."
                )
        if validation_split is not None:
            raise argument_error(
                "validation_split",
                validation_split,
                "x 가 배열일 때만 쓸 수 있다 (Model.fit 과 같다)",
                hint="검증 데이터를 validation_data= 로 따로 넘긴다.",
            )
        adapted = _adapter_data(
            x, x_name, kind, class_weight=class_weight, steps=steps, steps_name=steps_name,
            shuffle=shuffle,
        )  # fmt: skip
        return adapted, None
    if steps is not None:
        raise argument_error(
            steps_name,
            steps,
            f"{x_name} 가 배열이 아닐 때(데이터셋, PyDataset, 제너레이터)만 쓴다: 배열은 "
            "batch_size 가 에포크의 스텝 수를 정한다",
        )
    arrays = _check_arrays(x, y, sample_weight, names)
    if class_weight is not None and sample_weight is not None:
        raise ValueError(
            "class_weight 와 sample_weight 를 함께 쓸 수 없다 (Model.fit 과 같다). "
            "클래스 가중치를 sample_weight 에 곱해서 하나로 넘긴다."
        )
    arrays = keras.tree.map_structure(_standardize_array, arrays)
    if class_weight is not None:
        check_class_weight_keys(arrays[1], class_weight)
    validation = None
    if validation_split is not None:
        size = int(keras.tree.flatten(arrays)[0].shape[0])
        split_at = math.floor(size * (1.0 - validation_split))  # Keras's rule
        if split_at in (0, size):
            raise argument_error(
                "validation_split",
                validation_split,
                f"훈련과 검증에 샘플이 하나 이상 남는 값이어야 한다 (샘플 {size}개)",
            )
        validation = keras.tree.map_structure(lambda a: a[split_at:], arrays)
        arrays = keras.tree.map_structure(lambda a: a[:split_at], arrays)
    if class_weight is not None:
        # Only the training rows are weighted: Model.fit splits before its data adapter turns
        # class_weight into sample weights, and validates unweighted.
        weights = class_weight_to_sample_weight(arrays[1], class_weight)
        arrays = (*arrays[:2], _standardize_array(weights))
    return ArrayData(tuple(arrays), batch_size=batch_size, shuffle=shuffle, seed=seed), validation


def unpack_validation(validation_data: Any, split_rows: Any) -> tuple[Any, Any, Any]:
    """``validation_data`` (없으면 떼어 낸 행들)의 ``(x_val, y_val, sample_weight_val)``."""
    if validation_data is None:
        return keras.utils.unpack_x_y_sample_weight(tuple(split_rows))  # type: ignore[no-any-return]
    if isinstance(validation_data, tuple | list) and len(validation_data) in (2, 3):
        return keras.utils.unpack_x_y_sample_weight(tuple(validation_data))  # type: ignore[no-any-return]
    if not isinstance(validation_data, tuple | list) and input_kind(validation_data) not in (
        "",
        "arrays",
    ):
        return validation_data, None, None  # a dataset, a PyDataset, a generator
    raise argument_error(
        "validation_data",
        validation_data,
        "(x_val, y_val) 나 (x_val, y_val, sample_weight_val) 튜플, 또는 그런 배치를 "
        "내놓는 tf.data.Dataset, keras.utils.PyDataset, 제너레이터여야 한다",
    )
