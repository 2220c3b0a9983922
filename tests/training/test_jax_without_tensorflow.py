"""On Keras's JAX backend kerasguide needs no TensorFlow: fit on arrays, checkpoints, env.

A GPU machine with JAX may have no TensorFlow at all (its CUDA wheels and TensorFlow's do not
always agree). The child process below cannot import TensorFlow (an import hook refuses it),
as where it is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.backend("jax"), pytest.mark.slow]

_CHILD = textwrap.dedent(
    """
    import json, sys

    class NoTensorFlow:
        def find_spec(self, name, path=None, target=None):
            if name == "tensorflow" or name.startswith("tensorflow."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoTensorFlow())
    import keras, numpy as np
    import kerasguide
    from kerasguide import env

    rng = np.random.default_rng(0)
    x = rng.random((96, 6), dtype=np.float32)
    y = x[:, :3].argmax(axis=1)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    history = kerasguide.fit(
        model, x, y, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer="adam", metrics=["accuracy"], epochs=2, batch_size=16,
        validation_split=0.25, checkpoint_dir=sys.argv[1], verbose=0,
    )
    report = env.report()
    print(json.dumps({
        "history": sorted(history.history),
        "tensorflow_version": report.tensorflow_version,
        "table_says": "설치되지 않음" in str(report),
        "tensorflow_imported": "tensorflow" in sys.modules,
    }))
    """
)


def test_fit_checkpoints_and_env_run_where_tensorflow_cannot_be_imported(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path / "checkpoints")],
        env={**os.environ, "KERAS_BACKEND": "jax"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "history": ["accuracy", "loss", "val_accuracy", "val_loss"],
        "tensorflow_version": None,
        "table_says": True,
        "tensorflow_imported": False,
    }
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "checkpoint.json",
        "ckpt-1.npz",
        "ckpt-2.npz",
    ]
