"""Shared pytest options and fixtures.

`--site-dir` points the site tests at a built HTML site. Without it, tests marked `site` or
`browser` are skipped: that is only for a developer running the unit tests directly with
`pytest tests/test_layers.py`.

`--build-site=COMMAND` (passed by `nox -s tests`) builds that site with COMMAND after
collection, and only when a selected test reads it: `nox -s tests` builds and tests
everything, `nox -s tests -- -k fit` runs the library's tests without building the site.
The build never runs in a pytest-xdist worker (`nox -s tests` runs the site's tests in one
process). Process-wide settings (TensorFlow's numerics and logging) are in the root conftest.py.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--site-dir",
        default=None,
        help="built HTML site to test (nox -s tests passes docs/_build/html)",
    )
    parser.addoption(
        "--build-site",
        action="append",
        default=[],
        metavar="COMMAND",
        help="build the site with COMMAND first (repeatable, run in order), if a selected test "
        "reads it (nox -s tests)",
    )


def _reads_site(item: pytest.Item) -> bool:
    return "site" in item.keywords or "browser" in item.keywords


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _skip_other_backends(items)
    if config.getoption("--site-dir"):
        return
    skip = pytest.mark.skip(reason="no --site-dir given: run `nox -s tests` to build the site")
    for item in items:
        if _reads_site(item):
            item.add_marker(skip)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Build the site once, after `-k`/`-m` selection, if any selected test reads it."""
    config = session.config
    commands = config.getoption("--build-site")
    if not commands or config.option.collectonly or hasattr(config, "workerinput"):
        return  # nothing to build, only listing tests, or an xdist worker (one build, not one each)
    if not any(map(_reads_site, session.items)):
        return
    capture = config.pluginmanager.getplugin("capturemanager")
    for command in commands:
        # The build's own log goes to the terminal as it runs (a cold build takes minutes).
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            print(f"\n사이트를 빌드한다: {command}", flush=True)
            returncode = subprocess.run(shlex.split(command), check=False).returncode
        if returncode != 0:
            pytest.exit(f"사이트 빌드가 실패했다 (종료 코드 {returncode}): {command}", returncode=1)


@pytest.fixture(scope="session")
def site_dir(pytestconfig: pytest.Config) -> Path:
    path = Path(pytestconfig.getoption("--site-dir")).resolve()
    if not (path / "index.html").is_file():
        pytest.fail(f"--site-dir={path} holds no index.html: build the site first")
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """`nox -s tests` runs pytest several times: it reads their exit codes here (5: none picked)."""
    log = os.environ.get("KERASGUIDE_PYTEST_EXIT_LOG")
    if log and not hasattr(session.config, "workerinput"):
        with open(log, "a", encoding="utf-8") as file:
            file.write(f"{int(exitstatus)}\n")


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
