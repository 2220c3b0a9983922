"""The site's settings, read once from ``pyproject.toml``.

``docs/conf.py``, the local extensions, ``nox -s notebooks`` and the tests import this module
instead of each reading (or running) something else: the site's address and the repository
live in ``[project.urls]``, the packages a page may need in the ``docs`` dependency group.
Importing it reads one file and changes nothing.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DOCS_DIR = Path(__file__).resolve().parents[1]
ROOT_DIR = DOCS_DIR.parent

PYPROJECT: dict[str, Any] = tomllib.loads((ROOT_DIR / "pyproject.toml").read_text("utf-8"))
PROJECT: dict[str, Any] = PYPROJECT["project"]

VERSION: str = PROJECT["version"]
#: The site's public address (GitHub Pages) and the repository.
SITE_URL: str = PROJECT["urls"]["Homepage"]
REPOSITORY_URL: str = PROJECT["urls"]["Source"]
#: The branch that Colab opens notebooks from and that the install cells install from.
REPOSITORY_BRANCH = "main"
#: The Colab notebooks, relative to the repository root.
NOTEBOOKS_DIR = "docs/notebooks"


def normalize_distribution(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_group(name: str) -> dict[str, str]:
    """The requirements of a pyproject dependency group, by normalized distribution name."""
    table = {}
    for requirement in PYPROJECT.get("dependency-groups", {}).get(name, []):
        if isinstance(requirement, str):  # {include-group = ...} tables are left out
            distribution = re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]
            table[normalize_distribution(distribution)] = requirement
    return table
