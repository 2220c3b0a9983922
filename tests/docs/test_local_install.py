"""A student's own Jupyter: the getting-started page's install line, and notebooks without myst-nb.

The page tells students to run one `pip install "kerasguide[...] @ git+…"` line. The slow test
installs exactly that line (with this checkout in place of the git URL) into a fresh virtualenv
and runs a downloaded notebook there, in that virtualenv's own kernel. The pages' `glue` calls
are build plumbing: they must sit in `remove-cell` cells, which the downloaded and Colab
notebooks leave out, so the notebooks run without myst-nb.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import colab_notebooks
import nbformat
import pytest
from colab_notebooks import notebook_filename as notebook_name

ROOT = Path(__file__).resolve().parents[2]
GETTING_STARTED = ROOT / "docs" / "getting-started.md"
# A page that trains a Keras model and draws figures with Korean labels.
NOTEBOOK = ROOT / "docs" / "notebooks" / "ch03-keras.ipynb"
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.M | re.S)
BUILD_ONLY = re.compile(r"^\s*(from\s+myst_nb\s+import|import\s+myst_nb)|\bglue\(", re.M)


def install_line() -> list[str]:
    """The requirements of the page's local `pip install "kerasguide…"` line."""
    lines = [
        line.strip()
        for line in GETTING_STARTED.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("pip install") and "kerasguide[" in line
    ]
    assert lines, "시작하기 페이지에 pip install 줄이 없다"
    words = shlex.split(lines[0].split("#")[0])
    return words[2:]


def test_the_install_line_names_the_course_extra() -> None:
    requirement = install_line()[0]
    settings = colab_notebooks.load_settings()
    assert requirement == f"kerasguide[course] @ git+{settings.repository}"


def _cells(page: Path) -> list[tuple[list[str], str]]:
    """(tags, source) of every code cell of a MyST page."""
    cells = []
    for block in CODE_CELL.findall(page.read_text(encoding="utf-8")):
        tags = re.search(r"^:tags:\s*\[(.*?)\]", block, re.M)
        names = [t.strip() for t in tags.group(1).split(",")] if tags else []
        cells.append((names, block))
    return cells


PAGES = sorted(colab_notebooks.executable_pages().items())


@pytest.mark.parametrize(("docname", "source"), PAGES, ids=[d for d, _ in PAGES])
def test_pages_glue_only_in_removed_cells(docname: str, source: Path) -> None:
    """`glue` and `myst_nb` appear only in `remove-cell` cells (the notebooks leave those out).

    Pages are being moved to this convention (GUIDE.md); a failure names the page and cell.
    """
    offending = [
        code.strip().splitlines()[0]
        for tags, code in _cells(source)
        if "remove-cell" not in tags and BUILD_ONLY.search(code)
    ]
    assert not offending, f"{docname}: myst_nb/glue in a cell that the notebook keeps: {offending}"


def test_the_download_drops_glue_cells(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 제목"),
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell(
                "from myst_nb import glue\nglue('x', x, display=False)",
                metadata={"tags": ["remove-cell"]},
            ),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    source, target = tmp_path / "in.ipynb", tmp_path / "page.ipynb"
    nbformat.write(nb, source)
    settings = colab_notebooks.Settings("https://github.com/o/r", "main", "https://o.github.io/r/")
    colab_notebooks.clean_download(source, target, "page", settings)
    code = [c.source for c in nbformat.read(target, as_version=4).cells if c.cell_type == "code"]
    assert "x = 1" in code
    assert not any(BUILD_ONLY.search(source) for source in code)


def _installer(venv: Path) -> list[str]:
    """uv if there is one (nox[uv] brings it; installs from its cache), else pip."""
    uv = shutil.which("uv")
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if uv:
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        return [uv, "pip", "install", "-q", "--python", str(python)]
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return [str(python), "-m", "pip", "install", "-q"]


@pytest.mark.slow
def test_the_install_line_runs_a_downloaded_notebook(tmp_path: Path) -> None:
    requirements = install_line()
    name, _, _ = requirements[0].partition(" @ ")
    local = [f"{name} @ {ROOT.as_uri()}", *requirements[1:]]  # this checkout, not GitHub's
    venv = tmp_path / "venv"
    subprocess.run([*_installer(venv), *local], check=True, timeout=1800)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")

    nb = nbformat.read(NOTEBOOK, as_version=4)
    role = colab_notebooks.INSTALL_CELL_ROLE
    nb.cells = [  # already installed above: the Colab install cell is what a student skips
        c for c in nb.cells if c.metadata.get(colab_notebooks.METADATA_KEY, {}).get("role") != role
    ]
    notebook = tmp_path / NOTEBOOK.name
    nbformat.write(nb, notebook)
    # The venv's own kernel, whatever kernels this machine (or nox's session) registered.
    data_dir = tmp_path / "jupyter-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHONPATH"))}
    env["JUPYTER_DATA_DIR"] = str(data_dir)
    pages = colab_notebooks.executable_pages()
    page = next(p for d, p in pages.items() if notebook_name(d) == NOTEBOOK.name)
    result = subprocess.run(
        [
            str(bin_dir / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
            "--ExecutePreprocessor.timeout=600", "--output", str(tmp_path / "out.ipynb"),
            str(notebook),
        ],
        cwd=page.parent, env=env, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    errors = [
        o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
        if o.get("output_type") == "error"
        and "raises-exception" not in c.metadata.get("tags", [])
    ]  # fmt: skip
    assert not errors, errors
    # kerasguide came from the virtualenv (installed from the line), not from this checkout.
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import kerasguide; print(kerasguide.__file__)"],
        capture_output=True, text=True, check=True, cwd=tmp_path, env=env,
    ).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(venv), where
