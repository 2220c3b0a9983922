"""Re-execute pages when the Python library they import changes.

jupyter-cache keys an executed notebook on its code cells and kernelspec only
(executablebooks/meta#258), and Sphinx re-reads a page only when the page itself (or a
noted dependency) changes. A page that does ``import kerasguide`` would therefore keep
showing outputs made by an older kerasguide after the library is edited.

For every page that imports one of the configured packages this extension

1. notes each source file of the package as a Sphinx dependency of the page, so an edit
   to the package makes Sphinx read the page again; and
2. appends a hidden code cell (tag ``remove-cell``) holding a hash of the package's
   source, so jupyter-cache finds no match and the page is executed afresh.

Pages that do not import the package keep their cache entries.

Config:
    library_dependency_packages: ``{"import_name": "path/relative/to/confdir"}``.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

HASH_CELL_MARKER = "library-dependency source hash"


def _import_pattern(package: str) -> re.Pattern[str]:
    name = re.escape(package)
    return re.compile(rf"^\s*(?:import\s+{name}\b|from\s+{name}(?:\.\w+)*\s+import\b)", re.M)


@cache
def _source_files(package_dir: Path) -> tuple[Path, ...]:
    return tuple(sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts))


def _source_hash(package_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in _source_files(package_dir):
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _package_dirs(app: Sphinx) -> dict[str, Path]:
    confdir = Path(app.confdir)
    dirs = {}
    for name, relpath in app.config.library_dependency_packages.items():
        package_dir = (confdir / relpath).resolve()
        if not package_dir.is_dir():
            raise ValueError(
                f"library_dependency_packages[{name!r}] = {relpath!r}: "
                f"{package_dir} is not a directory"
            )
        dirs[name] = package_dir
    return dirs


def _on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if app.env.doc2path(docname).suffix != ".md":
        return
    text = source[0]
    if "file_format: mystnb" not in text:
        return
    for name, package_dir in _package_dirs(app).items():
        if not _import_pattern(name).search(text):
            continue
        for path in _source_files(package_dir):
            app.env.note_dependency(str(path))
        digest = _source_hash(package_dir)
        source[0] = (
            text.rstrip("\n")
            + "\n\n```{code-cell} ipython3\n:tags: [remove-cell]\n\n"
            + f"# {HASH_CELL_MARKER} ({name}): {digest}\n```\n"
        )
        text = source[0]


def _create_cache_before_parallel_read(app: Sphinx) -> None:
    # jupyter-cache creates its SQLite tables without a lock; with `-j auto` two forked
    # readers can race to create them (sphinx#12481). Create them here, in the main process.
    config = getattr(app.env, "mystnb_config", None)
    if config is None or config.execution_mode != "cache":
        return
    from jupyter_cache import get_cache

    get_cache(config.execution_cache_path).list_cache_records()


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("library_dependency_packages", {}, "env", types=[dict])
    app.connect("source-read", _on_source_read)
    # myst-nb sets the cache path in its own builder-inited handler (priority 500).
    app.connect("builder-inited", _create_cache_before_parallel_read, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
