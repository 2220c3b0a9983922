"""Keras's own callback tests, with every ``Model.fit`` sent to :func:`kerasguide.fit`.

The Keras wheel ships the tests of its callbacks (``keras/src/callbacks/*_test.py``); they are
the strongest oracle of "a drop-in for ``Model.fit``" that exists. This module collects the
installed Keras's copy of them (so ``compat`` runs the floor's Keras against its own tests) and
runs each with ``Model.fit`` replaced by a function that calls ``kerasguide.fit`` with what the
test passed to ``compile()``: loss, optimizer, metrics, weighted metrics and
``steps_per_execution`` (1 unless compiled otherwise, as in ``Model.fit``) and ``jit_compile``
(``"auto"`` in ``compile()`` means no XLA on a CPU-only TensorFlow, as ``Model.fit`` decides).

A test that cannot apply to a from-scratch ``fit`` is skipped by name, with the reason, in
:data:`SKIPPED`; the README's drop-in paragraph lists the same reasons. The OrbaxCheckpoint tests
run only where orbax is installed (``keras.callbacks.OrbaxCheckpoint`` needs it).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
import types
import unittest
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import pytest

import kerasguide

CALLBACK_TESTS = Path(keras.__file__).parent / "src" / "callbacks"
# Older wheels (Keras 3.10, the floor `nox -s compat` installs) ship no tests: nothing to route
# there. The Keras this suite was written against ships them, so there their absence fails.
SHIPS_TESTS = any(CALLBACK_TESTS.glob("*_test.py"))
WRITTEN_AGAINST = (3, 15)
if not SHIPS_TESTS and tuple(int(p) for p in keras.__version__.split(".")[:2]) < WRITTEN_AGAINST:
    pytest.skip(
        f"케라스 {keras.__version__} 의 휠에는 콜백 테스트(*_test.py)가 들어 있지 않다",
        allow_module_level=True,
    )

# "<TestCase class>.<test method>" (parameterized methods: the name up to the parameters) ->
# why it cannot apply to kerasguide.fit. Keep it short; every entry is in the README.
SKIPPED: dict[str, str] = {
    "TestTensorBoardV2.test_TensorBoard_weight_images": (
        "kerasguide.fit stops with NonFiniteLossError when the loss overflows, where Model.fit "
        "trains on; this test trains an unseeded Conv2D with SGD on constant data, and its "
        "loss sometimes overflows to inf"
    ),
}


def _test_modules() -> list[str]:
    names = sorted(path.stem for path in CALLBACK_TESTS.glob("*_test.py"))
    if importlib.util.find_spec("orbax") is None:
        names = [name for name in names if not name.startswith("orbax")]
    return [f"keras.src.callbacks.{name}" for name in names]


def _keras_conftest() -> types.ModuleType:
    """What the tests import from the root ``conftest.py`` of Keras's repository (not shipped)."""
    module = types.ModuleType("conftest")

    def skip_if_backend(given_backend: str, reason: str) -> Any:
        return pytest.mark.skipif(keras.backend.backend() == given_backend, reason=reason)

    module.skip_if_backend = skip_if_backend  # type: ignore[attr-defined]
    return module


def _collect() -> dict[str, type[unittest.TestCase]]:
    """The ``TestCase`` classes of every callback test module, by class name."""
    classes: dict[str, type[unittest.TestCase]] = {}
    for module_name in _test_modules():
        # `from conftest import ...` in a Keras test means Keras's conftest, not ours.
        ours = sys.modules.get("conftest")
        sys.modules["conftest"] = _keras_conftest()
        try:
            module = importlib.import_module(module_name)
        finally:
            if ours is None:
                del sys.modules["conftest"]
            else:
                sys.modules["conftest"] = ours
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, unittest.TestCase)
                and value.__module__ == module_name
            ):
                classes[name] = value
    return classes


# pytest collects unittest.TestCase classes found in this module's namespace.
globals().update(_collect())


def _fit_with_kerasguide(
    self: keras.Model,
    x: Any = None,
    y: Any = None,
    batch_size: int | None = None,
    epochs: int = 1,
    verbose: int | str = "auto",
    callbacks: list[Any] | None = None,
    validation_split: float = 0.0,
    validation_data: Any = None,
    shuffle: bool = True,
    class_weight: dict[int, float] | None = None,
    sample_weight: Any = None,
    initial_epoch: int = 0,
    steps_per_epoch: int | None = None,
    validation_steps: int | None = None,
    validation_batch_size: int | None = None,
    validation_freq: int = 1,
) -> Any:
    """``Model.fit``'s signature; trains with ``kerasguide.fit`` and the model's compile()."""
    if not self.compiled:
        raise ValueError("You must call compile() before using the model.")
    compiled = self._compile_config.config  # what the test passed to compile()
    return kerasguide.fit(
        self,
        x,
        y,
        loss=self.loss,
        optimizer=self.optimizer,
        metrics=compiled["metrics"],
        weighted_metrics=compiled["weighted_metrics"],
        steps_per_execution=self.steps_per_execution,
        jit_compile=self.jit_compile,  # compile() resolved "auto" as Model.fit would
        batch_size=32 if batch_size is None else batch_size,
        epochs=epochs,
        verbose=verbose,
        callbacks=callbacks,
        validation_split=validation_split,
        validation_data=validation_data,
        shuffle=shuffle,
        class_weight=class_weight,
        sample_weight=sample_weight,
        initial_epoch=initial_epoch,
        steps_per_epoch=steps_per_epoch,
        validation_steps=validation_steps,
        validation_batch_size=validation_batch_size,
        validation_freq=validation_freq,
    )


def _skip_reason(request: pytest.FixtureRequest) -> str | None:
    cls = request.node.cls
    if cls is None:
        return None
    name = request.node.name
    for key, reason in SKIPPED.items():
        class_name, _, method = key.partition(".")
        if cls.__name__ == class_name and (name == method or name.startswith(method + "_")):
            return reason
    return None


@pytest.fixture(autouse=True)
def _route_fit_to_kerasguide(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    reason = _skip_reason(request)
    if reason is not None:
        pytest.skip(reason)
    # Every model class (Sequential, functional, the tests' subclasses) inherits Model.fit.
    monkeypatch.setattr(keras.Model, "fit", _fit_with_kerasguide)
    with _keras_process_settings_restored():
        yield


@contextlib.contextmanager
def _keras_process_settings_restored() -> Iterator[None]:
    """Put back the process-wide Keras switches that Keras's tests flip and never restore.

    Some tests call ``io_utils.disable_interactive_logging()`` (the LearningRateScheduler and
    ReduceLROnPlateau tests), and every ``keras.testing.TestCase.setUp`` turns traceback
    filtering off. Left flipped, a later test in the same worker (any order: pytest-randomly)
    finds ``fit``'s progress lines in absl's log instead of on stdout.
    """
    logging_was_interactive = keras.config.is_interactive_logging_enabled()
    filtering_was_on = keras.config.is_traceback_filtering_enabled()
    try:
        yield
    finally:
        if logging_was_interactive:
            keras.config.enable_interactive_logging()
        else:
            keras.config.disable_interactive_logging()
        if filtering_was_on:
            keras.config.enable_traceback_filtering()
        else:
            keras.config.disable_traceback_filtering()


def test_suite_is_collected() -> None:
    """The wheel ships the callback tests, and every skip names a test that exists."""
    classes = _collect()
    assert classes, f"케라스 콜백 테스트를 찾지 못했다: {CALLBACK_TESTS}"
    for key in SKIPPED:
        class_name, _, method = key.partition(".")
        if class_name not in classes:
            continue  # a module left out here (orbax) or a Keras version without it
        methods = [m for m in dir(classes[class_name]) if m.startswith("test")]
        assert any(m == method or m.startswith(method + "_") for m in methods), (
            f"건너뛰는 테스트 {key} 가 케라스 {keras.__version__} 에 없다"
        )
