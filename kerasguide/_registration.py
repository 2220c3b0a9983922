"""kerasguide's Keras classes registered as soon as Keras is there, without importing it first.

``model.save("m.keras")`` stores :class:`~kerasguide.SimpleDense` as ``"kerasguide>SimpleDense"``;
``keras.models.load_model`` finds it only in Keras's registry, which the class decorator
``@keras.saving.register_keras_serializable`` fills when :mod:`kerasguide.layers` is imported.
``import kerasguide`` does not import Keras (that would start TensorFlow: seconds, and log
lines), so the registration waits for Keras: at once if Keras is already imported, otherwise
right after the first ``import keras`` finishes (a one-shot import hook on ``sys.meta_path``,
the post-import hook of PEP 369 that ``wrapt.register_post_import_hook`` also implements).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["register_when_keras_is_imported"]

# The modules whose import registers kerasguide's serializable classes.
_MODULES = ("kerasguide.layers",)


def _register() -> None:
    for name in _MODULES:
        importlib.import_module(name)


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself; makes Keras's own loader register kerasguide after running it."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)  # one shot; the real finders answer
        spec: importlib.machinery.ModuleSpec | None = None
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(fullname, path, target) if find_spec is not None else None
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader: Any = spec.loader
        exec_module = loader.exec_module

        def exec_then_register(module: ModuleType) -> None:
            exec_module(module)
            del loader.exec_module  # back to the loader's own method
            _register()

        loader.exec_module = exec_then_register
        return spec


def register_when_keras_is_imported() -> None:
    """Register kerasguide's classes in Keras now, or right after Keras is first imported."""
    if "keras" in sys.modules:
        _register()
    elif not any(isinstance(finder, _AfterKerasImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())
