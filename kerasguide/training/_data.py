"""Training data for :func:`kerasguide.fit`: arrays cut into chunks of batches, or a dataset.

Every batch is a tuple ``(x, y)`` or ``(x, y, sample_weight)``, as in ``Model.fit``.

- :class:`ArrayData`: arrays kept whole as tensors. Each epoch takes a permutation of the
  sample indices (or ``0..n-1`` without shuffling), cuts it into full batches and gathers them
  in chunks of ``steps_per_execution`` batches: arrays of shape
  ``(steps_per_execution, batch_size, ...)`` (the last chunk padded and told how many rows to
  use), then a short last batch as a chunk of one. The compiled function runs all the steps of
  a chunk in one call. Only the chunk, never the whole array, enters the compiled function.
- :class:`DatasetData`: a batched ``tf.data.Dataset``, read through an iterator.

:func:`make_training_data` also does what ``Model.fit`` does to its arrays before that:
``validation_split`` (the last fraction, before shuffling) and ``class_weight`` (turned into
sample weights, ``keras/src/trainers/data_adapters/data_adapter_utils.py``).
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from kerasguide._checks import (
    argument_error,
    check_array,
    check_same_length,
    short_repr,
)
from kerasguide.training._class_weight import (
    check_class_weight_keys,
    class_weight_map,
    class_weight_to_sample_weight,
)

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = [
    "ArrayData",
    "Data",
    "DatasetData",
    "IndexedChunk",
    "is_dataset",
    "make_training_data",
    "make_validation_data",
]

_INFINITE = -1  # tf.data.INFINITE_CARDINALITY


def is_dataset(value: Any) -> bool:
    """Whether ``value`` is a ``tf.data.Dataset`` (without importing TensorFlow for nothing)."""
    if "tensorflow" not in sys.modules:
        return False
    import tensorflow as tf

    return isinstance(value, tf.data.Dataset)


def _on_tensorflow() -> bool:
    return bool(keras.backend.backend() == "tensorflow")


class ArrayData:
    """Arrays ``(x, y[, sample_weight])``, cut into chunks of batches every epoch."""

    def __init__(
        self, arrays: tuple[Any, ...], *, batch_size: int, shuffle: bool, seed: int | None
    ) -> None:
        # TensorFlow gathers from its tensors (on the device); JAX from arrays it put on the
        # device once (see _on_jax_device); else NumPy gathers on the host.
        self._gather: Callable[[Any, Any], Any] = _tf_gather if _on_tensorflow() else _np_gather
        self.on_device = False
        if not _on_tensorflow() and (on_device := _on_jax_device(arrays)) is not None:
            arrays, self.on_device = on_device, True
        self.arrays = arrays
        self.size = int(arrays[0].shape[0])
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.steps: int | None = math.ceil(self.size / batch_size)
        self.sample = tuple(a[:batch_size] for a in arrays)  # builds the model before tracing
        self.shuffle_seed: int | None = None  # set on the first shuffled epoch; checkpointed

    @property
    def has_sample_weight(self) -> bool:
        return len(self.arrays) == 3

    def signature(self) -> list[tf.TensorSpec]:
        """Input signature of the compiled chunk function: unknown chunk and batch sizes."""
        import tensorflow as tf

        return [
            *(tf.TensorSpec([None, None, *a.shape[1:]], a.dtype) for a in self.arrays),
            tf.TensorSpec([], tf.int32, name="rows"),
        ]

    def order(self, epoch: int) -> Any:
        """The sample indices of ``epoch``, in the order they are trained on."""
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
        """``(indices, rows_to_use)`` pairs covering one epoch; ``indices`` is 2-D."""
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
        """``((x_chunk, y_chunk[, sw_chunk]), rows_to_use)`` covering one epoch."""
        for indices, rows in self.chunk_indices(epoch, steps_per_execution):
            if self.on_device:
                yield IndexedChunk(self.arrays, indices.astype(np.int32)), rows  # type: ignore[misc]
            else:
                yield tuple(self._gather(a, indices) for a in self.arrays), rows

    def chunk_groups(
        self, epoch: int, steps_per_execution: int
    ) -> Iterator[list[tuple[tuple[Any, ...], int]]]:
        """The chunks of one epoch grouped as ``Model.fit`` groups its steps: at most
        ``steps_per_execution`` steps a group. A short last batch (its own chunk, since its
        shape differs) joins the chunk before it when they fit in one group, so that callbacks
        see the same batch numbers as in ``Model.fit``."""
        group: list[tuple[tuple[Any, ...], int]] = []
        for chunk in self.chunks(epoch, steps_per_execution):
            if group and sum(rows for _, rows in group) + chunk[1] > steps_per_execution:
                yield group
                group = []
            group.append(chunk)
        if group:
            yield group

    def epoch_dataset(self, epoch: int) -> tf.data.Dataset:
        """The batches of one epoch as a ``tf.data.Dataset``, in the same order (tf.distribute)."""
        import tensorflow as tf

        arrays = self.arrays

        def gather(indices: Any) -> tuple[Any, ...]:
            return tuple(tf.gather(a, indices) for a in arrays)

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


class DatasetData:
    """A batched ``tf.data.Dataset`` of ``(x, y[, sample_weight])``, read through an iterator.

    With ``steps_per_epoch`` the iterator carries over from one epoch to the next, as in
    ``Model.fit``: each epoch reads the next ``steps_per_epoch`` batches, and a dataset that
    runs dry starts again from its beginning in the next epoch (with Keras's warning).
    """

    def __init__(
        self,
        dataset: tf.data.Dataset,
        sample: tuple[Any, ...],
        *,
        batches: int | None,
        steps_per_epoch: int | None,
        carry_over: bool = True,
    ) -> None:
        self.dataset = dataset
        self.carry_over = carry_over
        self.sample = sample  # one real batch, to build the model before tracing
        self.batches = batches  # batches in one pass of the dataset, None if unknown
        self.steps_per_epoch = steps_per_epoch
        self.steps: int | None = steps_per_epoch or batches
        self._iterator: Any = None
        self._left: int | None = None  # batches left in the carried-over iterator

    @property
    def has_sample_weight(self) -> bool:
        return len(self.sample) == 3

    def epoch_iterator(self, make_iterator: Any = iter) -> tuple[Any, int | None]:
        """The iterator for the next epoch and the steps it may run (``None``: until dry)."""
        if self.steps_per_epoch is None:
            return make_iterator(self.dataset), self.batches
        if not self.carry_over:  # validation_steps: read from the start every time
            wanted = self.steps_per_epoch
            return make_iterator(self.dataset), min(wanted, self.batches or wanted)
        if self._iterator is None or self._left == 0:
            self._iterator = make_iterator(self.dataset)
            self._left = self.batches
        wanted = (
            self.steps_per_epoch if self._left is None else min(self.steps_per_epoch, self._left)
        )
        return self._iterator, wanted

    def epoch_done(self, steps_run: int, wanted: int | None) -> None:
        """Book the steps an epoch ran; warn like ``Model.fit`` when the data ran dry."""
        if self.steps_per_epoch is None or not self.carry_over:
            return
        ran_dry = wanted is not None and steps_run < wanted
        short = steps_run < self.steps_per_epoch
        if self._left is not None:
            self._left -= steps_run
        if ran_dry or short:
            self._iterator = None
            warnings.warn(
                "Your input ran out of data; interrupting training. Make sure that your "
                "dataset or generator can generate at least `steps_per_epoch * epochs` "
                "batches. You may need to use the `.repeat()` function when building your "
                "dataset.",
                UserWarning,
                stacklevel=4,
            )


Data = ArrayData | DatasetData


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


def _on_jax_device(arrays: tuple[Any, ...]) -> tuple[Any, ...] | None:
    if keras.distribution.distribution() is not None:
        return None  # each batch is placed with the distribution's layout instead
    if sum(np.asarray(a).nbytes for a in arrays) > JAX_DEVICE_BYTES:
        return None
    import jax

    return tuple(jax.device_put(a) for a in arrays)


def _tf_gather(array: Any, indices: Any) -> Any:
    import tensorflow as tf

    return tf.gather(array, indices)


def _standardize_array(value: Any) -> Any:
    """Float arrays to ``floatx`` like Keras's array adapter; everything else unchanged.

    TensorFlow keeps them as tensors (gathered on the device); other backends as NumPy."""
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


def _check_sample_weight(name: str, sample_weight: Any, y: Any, y_name: str) -> Any:
    check_array(name, sample_weight)
    check_same_length(y_name, y, name, sample_weight)
    rank, y_rank = len(sample_weight.shape), len(y.shape)
    if rank > max(y_rank, 1) or tuple(sample_weight.shape) != tuple(y.shape[:rank]):
        raise ValueError(
            f"{name} 의 모양은 타깃 {y_name} 의 앞쪽 축과 같아야 한다: 샘플마다 하나면 "
            f"({y.shape[0]},), 시간 단계마다 하나면 {tuple(y.shape[:2])}. "
            f"받은 값: {name}.shape={tuple(sample_weight.shape)}, {y_name}.shape={tuple(y.shape)}."
        )
    return sample_weight


def _from_dataset(
    dataset: tf.data.Dataset,
    name: str,
    *,
    steps: int | None,
    steps_name: str,
    carry_over: bool = True,
) -> DatasetData:
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) in (2, 3)):
        raise ValueError(
            f"{name} 데이터셋은 (x, y) 나 (x, y, sample_weight) 튜플 배치를 내놓아야 한다. "
            f"받은 원소 명세(element_spec): {spec}."
        )
    cardinality = int(dataset.cardinality())
    if cardinality == _INFINITE and steps is None:
        raise ValueError(
            f"{name} 데이터셋이 끝없이 반복된다(repeat()). 에포크의 길이를 {steps_name}= 로 "
            f"정하거나 repeat() 을 빼고 넘긴다. 받은 값: {steps_name}=None."
        )
    sample = next(iter(dataset.take(1)), None)
    if sample is None:
        raise ValueError(f"{name} 데이터셋이 비어 있다 (배치가 하나도 없다).")
    batches = cardinality if cardinality >= 0 else None
    return DatasetData(
        dataset, tuple(sample), batches=batches, steps_per_epoch=steps, carry_over=carry_over
    )


def _unpack_arrays(
    x: Any, y: Any, sample_weight: Any, names: tuple[str, str, str]
) -> tuple[Any, ...]:
    x_name, y_name, sw_name = names
    check_array(x_name, x)
    if y is None:
        raise ValueError(f"{x_name} 가 배열이면 타깃 {y_name} 가 필요하다. 받은 값: {y_name}=None.")
    check_array(y_name, y)
    check_same_length(x_name, x, y_name, y)
    if sample_weight is None:
        return (x, y)
    return (x, y, _check_sample_weight(sw_name, sample_weight, y, y_name))


def make_training_data(
    x: Any,
    y: Any,
    *,
    sample_weight: Any,
    class_weight: dict[int, float] | None,
    validation_split: float | None,
    batch_size: int,
    shuffle: bool,
    seed: int | None,
    steps_per_epoch: int | None,
) -> tuple[Data, tuple[Any, ...] | None]:
    """The training data, and the ``validation_split`` rows as arrays (or ``None``)."""
    if is_dataset(x):
        for arg, value in (("y", y), ("sample_weight", sample_weight)):
            if value is not None:
                raise ValueError(
                    f"x 가 tf.data.Dataset 이면 {arg} 는 None 이어야 한다 (데이터셋이 (x, y) 나 "
                    f"(x, y, sample_weight) 배치를 내놓는다). 받은 값: {arg}={short_repr(value)}."
                )
        if validation_split is not None:
            raise argument_error(
                "validation_split",
                validation_split,
                "x 가 배열일 때만 쓸 수 있다 (Model.fit 과 같다)",
                hint="데이터셋이면 검증 데이터셋을 validation_data= 로 따로 넘긴다.",
            )
        if class_weight is not None:
            if len(x.element_spec) != 2:
                raise ValueError(
                    "class_weight 와 sample_weight 를 함께 쓸 수 없다 (Model.fit 과 같다): "
                    "데이터셋이 이미 (x, y, sample_weight) 를 내놓는다."
                )
            x = x.map(class_weight_map(class_weight))
        return _from_dataset(x, "x", steps=steps_per_epoch, steps_name="steps_per_epoch"), None
    if steps_per_epoch is not None:
        raise argument_error(
            "steps_per_epoch",
            steps_per_epoch,
            "x 가 tf.data.Dataset 일 때만 쓴다: 배열은 batch_size 가 에포크의 스텝 수를 정한다",
        )
    arrays = _unpack_arrays(x, y, sample_weight, ("x", "y", "sample_weight"))
    if class_weight is not None and sample_weight is not None:
        raise ValueError(
            "class_weight 와 sample_weight 를 함께 쓸 수 없다 (Model.fit 과 같다). "
            "클래스 가중치를 sample_weight 에 곱해서 하나로 넘긴다."
        )
    if class_weight is not None:
        check_class_weight_keys(y, class_weight)
    validation = None
    if validation_split is not None:
        size = int(arrays[0].shape[0])
        split_at = math.floor(size * (1.0 - validation_split))  # Keras's rule
        if split_at in (0, size):
            raise argument_error(
                "validation_split",
                validation_split,
                f"훈련과 검증에 샘플이 하나 이상 남는 값이어야 한다 (샘플 {size}개)",
            )
        validation = tuple(a[split_at:] for a in arrays)
        arrays = tuple(a[:split_at] for a in arrays)
    if class_weight is not None:
        # Only the training rows are weighted: Model.fit splits before its data adapter turns
        # class_weight into sample weights, and validates unweighted.
        arrays = (*arrays[:2], class_weight_to_sample_weight(arrays[1], class_weight))
    data = ArrayData(
        tuple(_standardize_array(a) for a in arrays),
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
    )
    return data, validation


def make_validation_data(
    validation_data: Any, *, batch_size: int, validation_steps: int | None
) -> Data:
    """``validation_data`` (a tuple of arrays or a dataset), batched and never shuffled."""
    if is_dataset(validation_data):
        return _from_dataset(
            validation_data,
            "validation_data",
            steps=validation_steps,
            steps_name="validation_steps",
            carry_over=False,
        )
    if not (isinstance(validation_data, tuple | list) and len(validation_data) in (2, 3)):
        raise ValueError(
            "validation_data 는 (x_val, y_val) 나 (x_val, y_val, sample_weight_val) 튜플, "
            "또는 그런 배치를 내놓는 tf.data.Dataset 이어야 한다. "
            f"받은 값: validation_data={short_repr(validation_data)}."
        )
    if validation_steps is not None:
        raise argument_error(
            "validation_steps",
            validation_steps,
            "validation_data 가 tf.data.Dataset 일 때만 쓴다",
        )
    x_val, y_val, *rest = validation_data
    names = ("validation_data[0]", "validation_data[1]", "validation_data[2]")
    arrays = _unpack_arrays(x_val, y_val, rest[0] if rest else None, names)
    return ArrayData(
        tuple(_standardize_array(a) for a in arrays),
        batch_size=batch_size,
        shuffle=False,
        seed=None,
    )
