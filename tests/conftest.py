"""Shared pytest options and fixtures.

`--site-dir` points the site tests at a built HTML site (`nox -s tests` builds it first and
passes it). Without it, tests marked `site` or `browser` are skipped: that is only for a
developer running the unit tests directly with `pytest tests/test_layers.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--site-dir",
        default=None,
        help="built HTML site to test (nox -s tests passes docs/_build/html)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _skip_other_backends(items)
    if config.getoption("--site-dir"):
        return
    skip = pytest.mark.skip(reason="no --site-dir given: run `nox -s tests` to build the site")
    for item in items:
        if "site" in item.keywords or "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def site_dir(pytestconfig: pytest.Config) -> Path:
    path = Path(pytestconfig.getoption("--site-dir")).resolve()
    if not (path / "index.html").is_file():
        pytest.fail(f"--site-dir={path} holds no index.html: build the site first")
    return path


@pytest.fixture(autouse=True)
def _quiet_tensorflow(monkeypatch: pytest.MonkeyPatch) -> None:
    # Subprocesses started by tests inherit this; the test process itself may already
    # have imported TensorFlow, which is fine.
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))


def _skip_other_backends(items: list[pytest.Item]) -> None:
    """``@pytest.mark.backend("tensorflow")``: the test needs that Keras backend.

    The backend is Keras's (``KERAS_BACKEND``, else Keras's config file), read without
    importing Keras when no collected test asks for one.
    """
    marked = [item for item in items if item.get_closest_marker("backend")]
    if not marked:
        return
    import keras

    current = keras.backend.backend()
    for item in marked:
        wanted = item.get_closest_marker("backend").args  # type: ignore[union-attr]
        if current not in wanted:
            item.add_marker(
                pytest.mark.skip(reason=f"needs Keras backend {' or '.join(wanted)}, not {current}")
            )
