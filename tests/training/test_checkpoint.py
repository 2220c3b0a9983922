"""kerasguide.fit(checkpoint_dir=...): save, resume, crashes mid-save, other models, NaN loss.

One suite for both checkpoint formats: it runs on the session's Keras backend
(``nox -s "tests-lib(backend='tensorflow')"`` tests ``tf.train.Checkpoint`` files,
``backend='jax'`` the ``.npz`` files); :class:`_Format` says where each format keeps what.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import helpers
import kerasguide
from kerasguide import NonFiniteLossError, fit

ON_TENSORFLOW = keras.backend.backend() == "tensorflow"
SCRIPTS = helpers.SCRIPTS
N_FEATURES, N_CLASSES = 8, 3
COMMON: dict[str, Any] = {"batch_size": 16, "verbose": 0, "jit_compile": False}


def _data(n: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return helpers.classification_data(n, features=N_FEATURES, classes=N_CLASSES, seed=seed)


def _model(units: int = 16, layers: int = 1, seed: int = 0) -> keras.Model:
    return helpers.classifier(
        features=N_FEATURES, classes=N_CLASSES, hidden=[units] * layers, seed=seed, dropout=0.2
    )


_loss = helpers.logits_loss


def _fit(model: keras.Model, epochs: int, directory: Path | None, **kwargs: Any) -> Any:
    x, y = kwargs.pop("data", _data())
    options = {**COMMON, "loss": _loss(), "optimizer": "adam", "metrics": ["accuracy"]}
    options.update(kwargs)
    return fit(model, x, y, epochs=epochs, checkpoint_dir=directory, **options)


def _assert_same_weights(a: keras.Model, b: keras.Model) -> None:
    helpers.assert_same_weights(a, b, rtol=1e-6, atol=1e-7)


class _Format:
    """Where the backend's checkpoint format keeps a checkpoint ``ckpt-<n>`` and its index."""

    # tf.train.Checkpoint: data and index files per checkpoint, and a text index `checkpoint`;
    # .npz: one file per checkpoint, and `checkpoint.json` listing them newest first.
    index = "checkpoint" if ON_TENSORFLOW else "checkpoint.json"

    @staticmethod
    def name(n: int) -> str:
        """How fit names ``ckpt-<n>`` in its messages and ``NonFiniteLossError.checkpoint``."""
        return f"ckpt-{n}" if ON_TENSORFLOW else f"ckpt-{n}.npz"

    @staticmethod
    def files(n: int) -> list[str]:
        if ON_TENSORFLOW:
            return [f"ckpt-{n}.data-00000-of-00001", f"ckpt-{n}.index"]
        return [f"ckpt-{n}.npz"]

    @staticmethod
    def latest(directory: Path) -> str | None:
        if ON_TENSORFLOW:
            state = tf.train.get_checkpoint_state(str(directory))
            return None if state is None else os.path.basename(state.model_checkpoint_path)
        index = directory / "checkpoint.json"
        if not index.exists():
            return None
        return str(json.loads(index.read_text())["checkpoints"][0]).removesuffix(".npz")

    @staticmethod
    def kept(directory: Path) -> list[str]:
        """The names of the checkpoints on disk, ``ckpt-<n>``, sorted."""
        pattern = "ckpt-*.index" if ON_TENSORFLOW else "ckpt-*.npz"
        return sorted(p.name.split(".")[0] for p in directory.glob(pattern))

    @staticmethod
    def loads_whole(directory: Path, n: int) -> None:
        if ON_TENSORFLOW:
            tf.train.load_checkpoint(str(directory / f"ckpt-{n}")).get_variable_to_shape_map()
        else:
            with np.load(directory / f"ckpt-{n}.npz") as stored:
                assert all(stored[key] is not None for key in stored.files)

    @staticmethod
    def write_foreign(directory: Path) -> None:
        """A checkpoint in this format that kerasguide.fit did not write (no training state)."""
        if ON_TENSORFLOW:
            tf.train.Checkpoint(step=tf.Variable(3)).save(str(directory / "ckpt"))
        else:
            np.savez(directory / "ckpt-1.npz", step=np.asarray(3))
            (directory / "checkpoint.json").write_text('{"checkpoints": ["ckpt-1.npz"]}')


_latest = _Format.latest


# --- save and resume -------------------------------------------------------------------------


def test_every_epoch_is_saved_and_the_last_three_kept(tmp_path: Path) -> None:
    history = _fit(_model(), 5, tmp_path)
    assert _latest(tmp_path) == "ckpt-5"
    assert _Format.kept(tmp_path) == ["ckpt-3", "ckpt-4", "ckpt-5"]
    assert history.initial_epoch == 0


def test_resume_finishes_the_remaining_epochs_like_an_uninterrupted_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    straight = _model()
    expected = _fit(straight, 4, None)

    _fit(_model(), 2, tmp_path)  # "interrupted" after two epochs
    resumed = _model(seed=99)  # other initial weights: the checkpoint must replace them all
    history = _fit(resumed, 4, tmp_path, verbose=2)

    _assert_same_weights(straight, resumed)
    assert history.initial_epoch == 2
    assert history.epoch == [0, 1, 2, 3]
    for key, values in expected.history.items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-6, err_msg=key)
    assert len(history.epoch_seconds) == 4
    out = capsys.readouterr().out
    assert f"체크포인트 {_Format.name(2)} 에서 이어서 훈련한다: 에포크 2/4 까지 끝났다." in out
    assert "Epoch 1/4" not in out and "Epoch 3/4" in out


def test_resume_restores_the_optimizer_state(tmp_path: Path) -> None:
    model = _model()
    _fit(model, 2, tmp_path, optimizer=keras.optimizers.Adam(0.01))
    optimizer = keras.optimizers.Adam(0.01)
    _fit(_model(), 2, tmp_path, optimizer=optimizer)  # nothing left to train: restore only
    assert int(optimizer.iterations.numpy()) == 2 * 6  # 96 samples, batch 16
    moments = [v for v in optimizer.variables if "momentum" in v.path]
    assert moments and all(np.any(v.numpy() != 0) for v in moments)


def test_run_with_every_epoch_done_trains_no_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trained = _model()
    _fit(trained, 3, tmp_path)
    again = _model(seed=5)
    history = _fit(again, 2, tmp_path, verbose=1)
    _assert_same_weights(trained, again)  # restored from ckpt-3, not trained further
    assert history.initial_epoch == 3 and len(history.history["loss"]) == 3
    assert "에포크 3 까지 끝나 있어 더 훈련하지 않는다 (epochs=2)" in capsys.readouterr().out
    assert _latest(tmp_path) == "ckpt-3"


def test_resume_of_a_dataset_input(tmp_path: Path) -> None:
    x, y = _data()
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    straight, resumed = _model(), _model()
    fit(straight, dataset, loss=_loss(), optimizer="sgd", epochs=3, verbose=0)
    fit(
        _model(),
        dataset,
        loss=_loss(),
        optimizer="sgd",
        epochs=1,
        verbose=0,
        checkpoint_dir=tmp_path,
    )
    fit(
        resumed,
        dataset,
        loss=_loss(),
        optimizer="sgd",
        epochs=3,
        verbose=0,
        checkpoint_dir=tmp_path,
    )
    _assert_same_weights(straight, resumed)


# --- crashes while saving --------------------------------------------------------------------


def _three_epochs_with_a_copy_of_the_index_after_two(directory: Path) -> bytes:
    _fit(_model(), 2, directory)
    index_after_two = (directory / _Format.index).read_bytes()
    _fit(_model(), 3, directory)
    return index_after_two


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_crash_before_the_index_is_updated_resumes_from_the_previous_checkpoint(
    tmp_path: Path,
) -> None:
    # Both formats write ckpt-3's files, then rename a new index into place. A kill in
    # between leaves (possibly half-written) ckpt-3 files and the old index.
    straight = _model()
    _fit(straight, 3, None)
    index_after_two = _three_epochs_with_a_copy_of_the_index_after_two(tmp_path)
    (tmp_path / _Format.index).write_bytes(index_after_two)
    _truncate(tmp_path / _Format.files(3)[0])

    resumed = _model(seed=3)
    history = _fit(resumed, 3, tmp_path)
    assert history.initial_epoch == 2
    _assert_same_weights(straight, resumed)
    assert _latest(tmp_path) == "ckpt-3"  # written again, whole
    _Format.loads_whole(tmp_path, 3)


@pytest.mark.parametrize("broken", _Format.files(3))
def test_unreadable_newest_checkpoint_falls_back_to_the_previous_one(
    tmp_path: Path, broken: str
) -> None:
    straight = _model()
    _fit(straight, 3, None)
    _three_epochs_with_a_copy_of_the_index_after_two(tmp_path)
    _truncate(tmp_path / broken)

    resumed = _model(seed=3)
    with pytest.warns(RuntimeWarning, match=rf"{_Format.name(3)} 를 읽을 수 없어 건너뛴다"):
        history = _fit(resumed, 3, tmp_path)
    assert history.initial_epoch == 2
    _assert_same_weights(straight, resumed)


def test_no_readable_checkpoint_is_an_error_not_a_fresh_start(tmp_path: Path) -> None:
    _fit(_model(), 1, tmp_path)
    _truncate(tmp_path / _Format.files(1)[0])
    with (
        pytest.warns(RuntimeWarning),
        pytest.raises(ValueError, match=r"체크포인트를 하나도 읽지 못했다"),
    ):
        _fit(_model(), 2, tmp_path)


# --- a checkpoint from another model ---------------------------------------------------------


def test_checkpoint_of_another_shape_is_refused_naming_the_variable(tmp_path: Path) -> None:
    _fit(_model(units=16), 1, tmp_path)
    other = _model(units=32)
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError) as caught:
        _fit(other, 2, tmp_path)
    message = str(caught.value)
    assert "모양이 다른 모델" in message and "0번 변수" in message
    assert "(8, 16)" in message and "(8, 32)" in message
    assert "dense" in message and "kernel" in message
    assert str(tmp_path) in message
    for old, new in zip(before, other.get_weights(), strict=True):  # nothing restored
        np.testing.assert_array_equal(old, new)


def test_checkpoint_with_other_layers_is_refused(tmp_path: Path) -> None:
    _fit(_model(layers=1), 1, tmp_path)
    with pytest.raises(ValueError, match=r"변수가 체크포인트에는 \d+개, 지금 모델에는 \d+개"):
        _fit(_model(layers=2), 2, tmp_path)


def test_checkpoint_of_another_optimizer_is_refused(tmp_path: Path) -> None:
    _fit(_model(), 1, tmp_path, optimizer="adam")
    with pytest.raises(ValueError, match=r"체크포인트는 Adam, 지금은 SGD"):
        _fit(_model(), 2, tmp_path, optimizer="sgd")


def test_checkpoint_not_written_by_fit_is_refused(tmp_path: Path) -> None:
    _Format.write_foreign(tmp_path)
    with pytest.raises(ValueError, match=r"kerasguide.fit 이 저장한 체크포인트가 아니다"):
        _fit(_model(), 1, tmp_path)


@pytest.mark.parametrize(
    ("value", "error", "pattern"),
    [
        (3, TypeError, r"checkpoint_dir 는 디렉터리 경로.*받은 값: checkpoint_dir=3 \(int\)"),
        ("", ValueError, r"checkpoint_dir 는 비어 있지 않은"),
    ],
)
def test_bad_checkpoint_dir(value: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        _fit(_model(), 1, value)


def test_checkpoint_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "weights.txt"
    file.write_text("not a directory")
    with pytest.raises(ValueError, match=r"같은 이름의 파일이 있다"):
        _fit(_model(), 1, file)


# --- NaN and infinite loss -------------------------------------------------------------------


def _nan_at(sample: int, n: int = 96) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Data whose loss becomes NaN at ``sample``: its sample weight is NaN.

    A NaN in the loss itself, not in an input: whether a NaN input survives a layer depends on
    the kernel TensorFlow picks (a fused matmul and relu may turn it into 0 in some runs of the
    whole suite), and the guard under test is about the loss.
    """
    x, y = _data(n)
    weights = np.ones(n, dtype="float32")
    weights[sample] = np.nan
    return x, y, weights


@pytest.mark.parametrize(
    ("make_input", "options"),
    [
        ("arrays", {"jit_compile": False}),
        ("arrays", {"jit_compile": True}),
        ("dataset", {}),  # exact number of steps, 4 steps per loop iteration
        ("dataset_unknown_length", {}),  # until the iterator is exhausted
    ],
    ids=["arrays", "arrays-xla", "dataset", "dataset-unknown-length"],
)
def test_nan_in_the_data_stops_training_at_that_step(
    make_input: str, options: dict[str, Any]
) -> None:
    # Sample 90 is in batch 6 of 8 (batch_size 16, no shuffling): the second step of the
    # second call (steps_per_execution=4), the second of an unrolled loop iteration.
    x, y, weights = _nan_at(90, n=128)
    if make_input == "arrays":
        inputs: dict[str, Any] = {
            "x": x, "y": y, "sample_weight": weights, "shuffle": False, "batch_size": 16,
        }  # fmt: skip
    else:
        dataset = tf.data.Dataset.from_tensor_slices((x, y, weights))
        if make_input == "dataset_unknown_length":
            dataset = dataset.filter(lambda a, b, w: b >= 0)
        inputs = {"x": dataset.batch(16)}
    model = _model()
    with pytest.raises(NonFiniteLossError) as caught:
        fit(
            model,
            loss=_loss(),
            optimizer="sgd",
            epochs=3,
            steps_per_execution=4,
            verbose=0,
            **inputs,
            **{"jit_compile": False, **options},
        )
    error = caught.value
    assert isinstance(error, FloatingPointError)
    assert (error.epoch, error.epochs, error.step) == (1, 3, 6)
    assert np.isnan(error.loss) and error.checkpoint is None
    assert "에포크 1/3 의 스텝 6" in str(error) and "값(nan)이 되어" in str(error)


def test_nan_leaves_the_last_good_checkpoint_intact(tmp_path: Path) -> None:
    good = _model()
    _fit(good, 2, tmp_path)
    saved = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    with pytest.raises(NonFiniteLossError) as caught:
        x, y, weights = _nan_at(40)
        _fit(_model(), 4, tmp_path, data=(x, y), sample_weight=weights, shuffle=False)
    error = caught.value
    assert (error.epoch, error.step) == (3, 3)  # resumed at epoch 3; sample 40 is in batch 3
    assert error.checkpoint is not None and error.checkpoint.endswith(_Format.name(2))
    assert "마지막 체크포인트" in str(error) and f"{_Format.name(2)} 는 그대로다" in str(error)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == saved  # untouched

    restored = _model(seed=8)
    _fit(restored, 2, tmp_path)  # nothing left to train: restores ckpt-2
    _assert_same_weights(good, restored)
    assert all(np.isfinite(w).all() for w in restored.get_weights())


def test_infinite_loss_is_reported_as_inf() -> None:
    x, _ = _data(32)
    targets = np.zeros((32, 1), "float32")
    targets[20] = np.inf
    model = keras.Sequential([keras.Input((N_FEATURES,)), keras.layers.Dense(1)])
    pattern = r"스텝 3/4 에서 훈련 손실이 유한하지 않은 값\(inf\)이 되어"
    with pytest.raises(NonFiniteLossError, match=pattern):
        fit(
            model,
            x,
            targets,
            loss="mse",
            optimizer="sgd",
            batch_size=8,
            shuffle=False,
            verbose=0,
            jit_compile=False,
        )


def test_non_finite_loss_error_pickles() -> None:
    import pickle

    error = NonFiniteLossError(
        epoch=2, epochs=5, step=7, steps=10, loss=float("nan"), checkpoint="/tmp/x/ckpt-1"
    )
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.step == 7
    assert kerasguide.NonFiniteLossError is NonFiniteLossError


# --- killed with SIGKILL mid-epoch -----------------------------------------------------------


def _run_to_the_end(directory: Path, out: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "train_checkpoint.py"), str(directory), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"worker failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    return result.stdout


def _kill_in_the_second_epoch(directory: Path, out: Path) -> str:
    """Start a run, wait until it holds some steps into epoch 2 (epoch 1 is saved), SIGKILL it."""
    process = subprocess.Popen(
        [
            sys.executable,
            str(SCRIPTS / "train_checkpoint.py"),
            str(directory),
            str(out),
            "--hold-in-epoch",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    watchdog = threading.Timer(300, process.kill)  # never hang the test run
    watchdog.start()
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("HOLDING"):  # some steps into epoch 2, however fast epochs are
                process.kill()  # SIGKILL on POSIX, TerminateProcess on Windows
                break
        process.wait(timeout=60)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    # Windows has no SIGKILL: Popen.kill() ends the process with exit code 1 there.
    killed = -signal.SIGKILL if hasattr(signal, "SIGKILL") else 1
    assert process.returncode == killed, f"not killed: {''.join(lines)}"
    return "".join(lines)


@pytest.mark.slow
def test_killed_mid_epoch_and_resumed_ends_with_the_same_weights(tmp_path: Path) -> None:
    _run_to_the_end(tmp_path / "straight", tmp_path / "straight.npz")

    directory = tmp_path / "killed"
    _kill_in_the_second_epoch(directory, tmp_path / "unused.npz")
    assert not (tmp_path / "unused.npz").exists()
    assert _latest(directory) == "ckpt-1", (directory / _Format.index).read_text()  # mid-epoch 2
    assert not (directory / _Format.files(2)[-1]).exists()

    out = _run_to_the_end(directory, tmp_path / "resumed.npz")
    assert f"체크포인트 {_Format.name(1)} 에서 이어서 훈련한다" in out
    assert "Epoch 1/" not in out and "Epoch 2/" in out

    straight, resumed = np.load(tmp_path / "straight.npz"), np.load(tmp_path / "resumed.npz")
    assert int(resumed["initial_epoch"]) == 1 and int(straight["initial_epoch"]) == 0
    weights = sorted(name for name in straight.files if name.startswith("w"))
    assert len(weights) == 6  # 3 dense layers (kernel, bias)
    for name in weights:
        np.testing.assert_allclose(resumed[name], straight[name], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(resumed["loss"], straight["loss"], rtol=1e-6)
    shutil.rmtree(tmp_path / "straight")
