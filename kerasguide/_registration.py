"""케라스가 들어오는 대로 kerasguide 의 케라스 클래스를 등록한다: 케라스를 먼저 가져오지 않고.

``model.save("m.keras")`` 는 :class:`~kerasguide.SimpleDense` 를 ``"kerasguide>SimpleDense"`` 로
저장하고, ``keras.models.load_model`` 은 그 이름을 케라스의 등록부에서만 찾는다. 등록부는
:mod:`kerasguide.layers` 를 가져올 때 클래스 데코레이터
``@keras.saving.register_keras_serializable`` 이 채운다. ``import kerasguide`` 는 케라스를
가져오지 않으므로(텐서플로가 시작되어 몇 초와 로그 줄이 든다) 등록은 케라스를 기다린다: 이미
가져왔으면 바로, 아니면 첫 ``import keras`` 가 끝난 직후에 한다(``sys.meta_path`` 의 한 번 쓰는
가져오기 훅. PEP 369 의 post-import hook 이며 ``wrapt.register_post_import_hook`` 도 같은 일을
한다. wrapt 2.x 는 가져오는 시간이 kerasguide 전체보다 길어서 쓰지 않았다).
"""

from __future__ import annotations

import importlib
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


class _AfterKerasImport:
    """스스로는 아무것도 찾지 않고, 케라스의 로더가 케라스를 실행한 뒤 등록하게 한다.

    ``sys.meta_path`` 의 파인더는 ``find_spec`` 만 있으면 된다. ``importlib.abc.MetaPathFinder``
    를 상속하지 않는 것은 ``importlib.abc`` 가 ``importlib.resources`` 까지 가져와서
    ``import kerasguide`` 를 느리게 하기 때문이다.
    """

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
    """kerasguide 의 클래스를 지금(케라스가 있으면), 아니면 케라스를 처음 가져온 직후 등록한다."""
    if "keras" in sys.modules:
        _register()
    elif not any(isinstance(finder, _AfterKerasImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())
