"""docs/conf.py and the settings it shares with the extensions and `nox -s notebooks`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import colab_notebooks
import project_settings

ROOT = Path(__file__).resolve().parents[2]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_settings_come_from_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    settings = colab_notebooks.load_settings()
    assert settings.repository == project["urls"]["Source"]
    assert settings.site_url == project["urls"]["Homepage"]
    assert (ROOT / settings.notebooks_dir).is_dir()
    docs = project_settings.dependency_group("docs")
    assert docs["myst-nb"].startswith("myst-nb")
    # A group that includes another lists only its own requirements ({include-group} tables).
    assert list(project_settings.dependency_group("docs-live")) == ["sphinx-autobuild"]


def test_importing_conf_py_writes_nothing_and_sets_no_environment(tmp_path: Path) -> None:
    # A copy of the project's docs/conf.py, _ext and pyproject in an empty folder: any file
    # that importing conf.py wrote would show up there.
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "conf.py", tmp_path / "docs")
    shutil.copytree(
        ROOT / "docs" / "_ext",
        tmp_path / "docs" / "_ext",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    script = textwrap.dedent(
        """
        import json, os, runpy, sys
        sys.dont_write_bytecode = True
        environ = dict(os.environ)
        namespace = runpy.run_path(sys.argv[1], run_name="conf")
        changed = sorted(
            k for k in set(environ) | set(os.environ) if environ.get(k) != os.environ.get(k)
        )
        print(json.dumps({"changed": changed, "baseurl": namespace["html_baseurl"],
                          "repository": namespace["notebook_links_repository"],
                          "has_setup": callable(namespace.get("setup"))}))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in {"IPYTHONDIR", "PYTHONHASHSEED"}}
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "docs" / "conf.py")],
        capture_output=True, text=True, env=env, check=True, timeout=120,
    )  # fmt: skip
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["changed"] == []
    after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert after == before
    assert report["baseurl"] == project_settings.SITE_URL
    assert report["repository"] == project_settings.REPOSITORY_URL
    # The kernels' environment is prepared by the build itself, through conf.py's setup().
    assert report["has_setup"]
