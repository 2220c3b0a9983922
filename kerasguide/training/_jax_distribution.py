"""``keras.distribution`` for :func:`kerasguide.fit` on JAX: one process or several.

With a distribution set (``keras.distribution.DataParallel`` and the others) the variables
already carry their layouts, and each chunk of batches is placed with the distribution's data
layout before the compiled call; XLA's partitioner (GSPMD) does the rest, as in Keras's JAX
trainer.

Several processes (``keras.distribution.initialize``, i.e. ``jax.distributed.initialize``; a
device mesh over every process's devices) train as one, as Keras's multi-host JAX training does
(``keras/src/backend/jax/distribution_lib.py``, ``distribute_data_input``):

- every process runs the same ``fit`` with its own rows of the data; ``batch_size`` stays the
  *global* batch size, as everywhere in ``fit``: each process gathers ``batch_size / processes``
  rows per batch from its own arrays, and ``jax.make_array_from_process_local_data`` joins the
  processes' rows into the global batch (process 0's rows first). The loss and the gradients
  are those of the global batch, so the weights are those of one process training on the
  joined batches;
- every process must hold the same number of rows (else one would run more steps than the
  others and wait for ever in a collective): checked before training;
- the variables are replicated; only process 0 writes checkpoints (:func:`is_writer`), and
  every process restores from the same files.
"""

from __future__ import annotations

from typing import Any

import jax
import keras
import numpy as np

from kerasguide._checks import argument_error

__all__ = ["check_same_rows", "is_writer", "local_batch_size", "place", "process_count"]


def process_count() -> int:
    """The processes that train together: more than one only under a ``keras.distribution``."""
    if keras.distribution.distribution() is None:
        return 1
    return int(jax.process_count())


def is_writer() -> bool:
    """Whether this process writes the checkpoints (process 0; the only one without JAX)."""
    return int(jax.process_index()) == 0


def local_batch_size(name: str, batch_size: int, processes: int) -> int:
    """This process's share of the global ``batch_size``."""
    if batch_size % processes:
        raise argument_error(
            name,
            batch_size,
            f"프로세스 {processes}개가 함께 훈련하므로 프로세스 수의 배수여야 한다 (전역 배치 "
            "크기다: 프로세스마다 batch_size / 프로세스 수 개의 행을 자기 데이터에서 낸다)",
        )
    return batch_size // processes


def check_same_rows(name: str, rows: int) -> None:
    """Every process must hold as many rows as the others (the same number of steps)."""
    from jax.experimental import multihost_utils

    counts = np.asarray(multihost_utils.process_allgather(np.asarray(rows, np.int64)))
    counts = counts.reshape(-1)
    if len(set(counts.tolist())) > 1:
        listed = ", ".join(f"프로세스 {i}: {int(n)}" for i, n in enumerate(counts))
        raise ValueError(
            f"여러 프로세스가 함께 훈련할 때는 모든 프로세스의 {name} 행 수가 같아야 한다 "
            f"(에포크마다 같은 수의 스텝을 함께 실행한다). 받은 행 수: {listed}."
        )


def place(arrays: Any) -> Any:
    """Chunks ``(steps, local batch, ...)`` as global arrays laid out like the distribution's
    batches. Without a distribution they stay as they are (one device)."""
    distribution = keras.distribution.distribution()
    if distribution is None:
        return arrays
    mesh = distribution.device_mesh
    processes = jax.process_count()

    def put(array: Any) -> Any:
        # Chunks are (steps, batch, ...): the data layout applies to axis 1.
        layout = distribution.get_data_layout(array.shape[1:])
        axes = getattr(layout, "axes", None)
        batch_axis = axes[0] if axes else None
        size = dict(zip(mesh.axis_names, mesh.shape, strict=True)).get(batch_axis, 1)
        global_rows = array.shape[1] * processes
        if batch_axis is None or global_rows % size:
            if processes > 1:
                raise ValueError(
                    f"배치 {global_rows}행(프로세스마다 {array.shape[1]}행)을 장치 {size}개에 "
                    "고르게 나눌 수 없다. 여러 프로세스로 훈련할 때는 batch_size 와 마지막 "
                    "배치의 크기가 장치 수의 배수가 되게 샘플 수나 batch_size 를 고른다."
                )
            return array  # one process: a short last batch that does not split is replicated
        spec = jax.sharding.PartitionSpec(None, batch_axis)
        sharding = jax.sharding.NamedSharding(mesh.backend_mesh, spec)
        shape = (array.shape[0], global_rows, *array.shape[2:])
        return jax.make_array_from_process_local_data(sharding, np.asarray(array), shape)

    return jax.tree_util.tree_map(put, arrays)
