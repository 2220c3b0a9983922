"""Re-execute a page when a library module that the page used changes.

jupyter-cache keys an executed notebook on its code cells and kernelspec only
(executablebooks/meta#258), and Sphinx re-reads a page only when the page itself (or a
noted dependency) changes. A page that does ``import kerasguide`` would therefore keep
showing outputs made by an older kerasguide after the library is edited.

For every page that imports one of the configured packages this extension appends a hidden
code cell (tag ``remove-cell``). The cell holds a *key*, so jupyter-cache finds a cached
execution only for the same key, and when the page executes it records, in
``<doctreedir>/library_dependency/<docname>/<code hash>.json``, the key and the SHA-256 of
every module file of the packages that the kernel actually loaded (``sys.modules``). A record
belongs to one version of the page's code cells (jupyter-cache's entries do too): code that
loads other modules never reuses a key chosen for the modules of other code.

At the next build the key is chosen from the record for the page's current code:

* no record (the page never executed here): the key is a hash of *every* source file of
  the packages, so no cached execution made with other sources can match;
* the recorded files are unchanged: the recorded key again, so the cached outputs are used
  even if other modules of the package changed;
* a recorded file changed or disappeared: again the hash of every source file, a key that
  no execution with other sources was stored under: the page executes afresh and records
  its modules anew.

The page notes as Sphinx dependencies the recorded files (all package files when there is
no valid record), so an edit to a module it used makes Sphinx read the page again, and an
edit to another module does not. Pages that do not import a package keep their cache
entries.

Data files work the same way, without a record: a page whose code names a file under the
source folder's ``_data/`` in a string (``Path("_data/bench_fit.json")``) gets a hidden cell
holding that file's SHA-256 and notes the file as a dependency, so re-measured figures
re-execute the page that reads them and no other.

Config:
    library_dependency_packages: ``{"import_name": "path/relative/to/confdir"}``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

HASH_CELL_MARKER = "library-dependency source hash"
#: Kernels inherit the build's environment: the hidden cell finds the record folder here.
RECORDS_ENV = "LIBRARY_DEPENDENCY_RECORDS"
RECORDS_FOLDER = "library_dependency"


def _import_pattern(package: str) -> re.Pattern[str]:
    name = re.escape(package)
    return re.compile(rf"^\s*(?:import\s+{name}\b|from\s+{name}(?:\.\w+)*\s+import\b)", re.M)


def source_files(package_dir: Path) -> tuple[Path, ...]:
    """Every ``.py`` file of a package, sorted."""
    return tuple(sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts))


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def full_source_key(package_dirs: Mapping[str, Path]) -> str:
    """A hash of every source file of the packages (names, paths and contents)."""
    digest = hashlib.sha256()
    for name, package_dir in sorted(package_dirs.items()):
        digest.update(name.encode() + b"\0")
        for path in source_files(package_dir):
            digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Decision:
    """The key a page executes under, and the files whose edits make Sphinx re-read it."""

    key: str
    dependencies: tuple[Path, ...]
    reason: str


def decide(package_dirs: Mapping[str, Path], record: Mapping[str, Any] | None) -> Decision:
    """Choose a page's cache key from its record of the last execution (see the module doc)."""
    every_file = tuple(p for d in package_dirs.values() for p in source_files(d))
    if record is None:
        return Decision(full_source_key(package_dirs), every_file, "no record")
    files = {Path(path): digest for path, digest in record.get("files", {}).items()}
    changed = [p for p, digest in files.items() if not p.is_file() or file_hash(p) != digest]
    if changed or not isinstance(record.get("key"), str) or not files:
        reason = "changed: " + ", ".join(sorted(p.name for p in changed)) if changed else "bad"
        return Decision(full_source_key(package_dirs), every_file, reason)
    return Decision(record["key"], tuple(sorted(files)), "unchanged")


#: A data file named in a string of a page's code: "_data/x.json", "./_data/x.json" or
#: "../_data/x.json" (a page in a subfolder). Not a template such as f"_data/{name}.json".
_DATA_FILE = re.compile(r"""["'](?:\.{1,2}/)*(_data/[^"'\s{}]+)["']""")
DATA_CELL_MARKER = "library-dependency data file"


def data_files(confdir: Path, text: str) -> tuple[Path, ...]:
    """The files under ``confdir/_data`` that the page's text names in a string, sorted.

    A file that does not exist yet is listed too (a page may say "not measured yet"): it
    counts as absent in the cache key, and Sphinx re-reads the page until it appears.
    """
    names = sorted(set(_DATA_FILE.findall(text)))
    return tuple(confdir / name for name in names)


def data_cell(confdir: Path, files: Iterable[Path]) -> str:
    """A hidden cell of comments only: a changed (or new) data file changes the cache key."""
    return "".join(
        f"# {DATA_CELL_MARKER} {path.relative_to(confdir).as_posix()}: "
        f"{file_hash(path) if path.is_file() else 'absent'}\n"
        for path in files
    )


_CODE_FENCE = re.compile(r"^(`{3,}|~{3,})\{code-cell\}")


def code_hash(text: str) -> str:
    """A hash of a MyST notebook's code cells (fences, options and code); prose is left out."""
    digest = hashlib.sha256()
    fence: str | None = None
    for line in text.splitlines():
        if fence is None:
            opened = _CODE_FENCE.match(line)
            if opened:
                fence = opened.group(1)
                digest.update(b"\0cell\0" + line.encode())
            continue
        stripped = line.strip()
        if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
            fence = None
            continue
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()[:16]


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def record_name(docname: str, text: str) -> str:
    """The record's path below the records folder: ``<docname>/<code hash>.json``."""
    return f"{docname}/{code_hash(text)}.json"


def hidden_cell(packages: Iterable[str], key: str, record: str) -> str:
    """The code of the hidden last cell: it records the package modules the kernel loaded."""
    names = sorted(packages)
    return f"""\
# {HASH_CELL_MARKER} ({", ".join(names)}): {key}
def _library_dependency_record(packages={names!r}, key={key!r}, record={record!r}):
    import hashlib, json, os, pathlib, sys

    folder = os.environ.get({RECORDS_ENV!r})
    if not folder:
        return
    files = {{}}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and any(name == p or name.startswith(p + ".") for p in packages):
            path = pathlib.Path(path).resolve()
            files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    target = pathlib.Path(folder, record)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = {{"key": key, "files": dict(sorted(files.items()))}}
    target.write_text(json.dumps(data, indent=1) + "\\n", encoding="utf-8")


_library_dependency_record()
del _library_dependency_record
"""


def records_dir(app: Sphinx) -> Path:
    return Path(app.doctreedir) / RECORDS_FOLDER


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
    cells = []
    confdir = Path(app.confdir)
    data = data_files(confdir, text)
    if data:
        for path in data:
            app.env.note_dependency(str(path))
        cells.append(data_cell(confdir, data))
    used = {
        name: path
        for name, path in _package_dirs(app).items()
        if _import_pattern(name).search(text)
    }
    if used:
        record = record_name(docname, text)
        decision = decide(used, read_record(records_dir(app) / record))
        logger.debug("[library_dependency] %s: %s", docname, decision.reason)
        for path in decision.dependencies:
            app.env.note_dependency(str(path))
        cells.append(hidden_cell(used, decision.key, record))
    if not cells:
        return
    source[0] = text.rstrip("\n") + "".join(
        f"\n\n```{{code-cell}} ipython3\n:tags: [remove-cell]\n\n{cell}```\n" for cell in cells
    )


def _set_records_dir(app: Sphinx) -> None:
    # Notebook kernels started by this build inherit the variable (parallel readers too).
    os.environ[RECORDS_ENV] = str(records_dir(app))


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
    app.connect("builder-inited", _set_records_dir)
    app.connect("source-read", _on_source_read)
    # myst-nb sets the cache path in its own builder-inited handler (priority 500).
    app.connect("builder-inited", _create_cache_before_parallel_read, priority=900)
    # env_version: Sphinx re-reads every page when it changes (bump it when the hidden cells
    # change; 2: data-file cells).
    return {
        "version": "2.1", "env_version": 2, "parallel_read_safe": True,
        "parallel_write_safe": True,
    }  # fmt: skip
