"""The site build is strict and never shows stale outputs.

Each test writes a small Sphinx site into tmp_path whose conf.py runs the real
docs/conf.py (same extensions, same MyST-NB execution settings), then builds it with the
flags `nox -s docs` uses. Pages here import no TensorFlow, so kernels start quickly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
REAL_CONF = ROOT / "docs" / "conf.py"

pytestmark = [pytest.mark.sphinx, pytest.mark.slow]

CONF = f"""
import runpy
globals().update(runpy.run_path({str(REAL_CONF)!r}))
# Paths of the real site that this small site does not have.
html_static_path = []
html_css_files = []
templates_path = []
library_dependency_packages = {{"tinylib": "../tinylib"}}
"""

NOTEBOOK_HEADER = """\
---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
---
"""


def code_cell(source: str, tags: str = "") -> str:
    options = f":tags: [{tags}]\n\n" if tags else ""
    return f"```{{code-cell}} ipython3\n{options}{textwrap.dedent(source).strip()}\n```\n"


class Site:
    """A throwaway Sphinx project next to a tiny importable library `tinylib`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.src = root / "site"
        self.out = root / "build" / "html"
        self.lib = root / "tinylib"
        self.src.mkdir(parents=True)
        self.lib.mkdir()
        (self.src / "conf.py").write_text(CONF, encoding="utf-8")
        self.write_lib("VALUE = 1\n")

    def write_lib(self, text: str, module: str = "__init__") -> None:
        (self.lib / f"{module}.py").write_text(text, encoding="utf-8")

    def write_page(self, name: str, body: str, *, notebook: bool = True) -> None:
        header = NOTEBOOK_HEADER if notebook else ""
        (self.src / f"{name}.md").write_text(header + body, encoding="utf-8")

    def write_index(self, *pages: str) -> None:
        toctree = "\n".join(pages)
        self.write_page("index", f"# 색인\n\n```{{toctree}}\n{toctree}\n```\n", notebook=False)

    def build(self) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, PYTHONPATH=str(self.root))
        command = [sys.executable, "-m", "sphinx", "-j", "auto", "-W", "--keep-going"]
        command += ["-b", "html", "-d", str(self.root / "build" / "doctrees")]
        command += [str(self.src), str(self.out)]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)

    def html(self, name: str) -> BeautifulSoup:
        return BeautifulSoup((self.out / f"{name}.html").read_text(encoding="utf-8"), "html.parser")


def outputs_of(soup: BeautifulSoup) -> list[str]:
    return [node.get_text() for node in soup.select("div.cell_output")]


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def test_a_clean_site_builds(site: Site) -> None:
    site.write_index("page")
    site.write_page("page", "# 페이지\n\n" + code_cell("print('안녕', 1 + 1)"))
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert "안녕 2" in outputs_of(site.html("page"))[0]


def test_a_cell_that_raises_fails_the_build(site: Site) -> None:
    site.write_index("page")
    site.write_page("page", "# 페이지\n\n" + code_cell("raise ValueError('일부러 낸 오류')"))
    result = site.build()
    assert result.returncode != 0
    assert "일부러 낸 오류" in result.stderr


def test_a_cell_tagged_raises_exception_shows_its_error(site: Site) -> None:
    site.write_index("page")
    body = code_cell("raise ValueError('보여 줄 오류')", tags="raises-exception")
    site.write_page("page", "# 페이지\n\n" + body)
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert "보여 줄 오류" in outputs_of(site.html("page"))[0]


def test_a_sphinx_warning_fails_the_build(site: Site) -> None:
    site.write_index("page")
    site.write_page("page", "# 페이지\n\n{doc}`없는 페이지 <no-such-page>`\n", notebook=False)
    result = site.build()
    assert result.returncode != 0
    assert "no-such-page" in result.stderr


def test_stderr_output_fails_the_build(site: Site) -> None:
    site.write_index("page")
    body = code_cell("import warnings\nwarnings.warn('텐서플로 로그 같은 잡음')")
    site.write_page("page", "# 페이지\n\n" + body)
    result = site.build()
    assert result.returncode != 0
    assert "stderr" in result.stderr


def test_library_edit_reexecutes_only_pages_that_import_it(site: Site) -> None:
    site.write_index("uses_lib", "plain")
    uses_lib = code_cell("import tinylib\nprint('값', tinylib.VALUE)")
    site.write_page("uses_lib", "# 라이브러리\n\n" + uses_lib)
    site.write_page("plain", "# 보통\n\n" + code_cell("import random\nprint(random.random())"))
    assert site.build().returncode == 0
    plain_before = outputs_of(site.html("plain"))
    assert "값 1" in outputs_of(site.html("uses_lib"))[0]

    site.write_lib("VALUE = 2\n")
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert "값 2" in outputs_of(site.html("uses_lib"))[0]
    # The page that does not import the library was neither re-read nor re-executed.
    assert outputs_of(site.html("plain")) == plain_before


def test_module_edit_reexecutes_only_pages_that_loaded_that_module(site: Site) -> None:
    # Both pages import the package; each loads one of its modules.
    site.write_lib("", "__init__")
    site.write_lib("A = 1\n", "a")
    site.write_lib("B = 1\n", "b")
    site.write_index("uses_a", "uses_b")
    cell = "import random\nimport tinylib.{0}\nprint('값', tinylib.{0}.{1}, random.random())"
    site.write_page("uses_a", "# A\n\n" + code_cell(cell.format("a", "A")))
    site.write_page("uses_b", "# B\n\n" + code_cell(cell.format("b", "B")))
    assert site.build().returncode == 0
    first = {page: outputs_of(site.html(page)) for page in ("uses_a", "uses_b")}
    assert "값 1" in first["uses_a"][0]

    # Nothing changed: the second build takes both pages from the cache (the key that the
    # first build chose, over every module, is kept while the loaded modules are unchanged).
    (site.src / "uses_b.md").touch()
    assert site.build().returncode == 0
    assert {page: outputs_of(site.html(page)) for page in first} == first

    site.write_lib("A = 2\n", "a")
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert "값 2" in outputs_of(site.html("uses_a"))[0]
    assert outputs_of(site.html("uses_a")) != first["uses_a"]  # executed again: new number
    # uses_b did not load tinylib.a: its random number came from the cache.
    assert outputs_of(site.html("uses_b")) == first["uses_b"]

    site.write_lib("B = 2\n", "b")
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert "값 2" in outputs_of(site.html("uses_b"))[0]


def test_data_file_edit_reexecutes_only_the_page_that_reads_it(site: Site) -> None:
    (site.src / "_data").mkdir()
    (site.src / "_data" / "figures.json").write_text('{"speedup": 1.5}', encoding="utf-8")
    site.write_index("reads_data", "plain")
    reads = "import json, pathlib\nprint('배', json.loads(pathlib.Path('_data/figures.json')"
    reads += ".read_text())['speedup'])"
    site.write_page("reads_data", "# 측정\n\n" + code_cell(reads))
    site.write_page("plain", "# 보통\n\n" + code_cell("import random\nprint(random.random())"))
    assert site.build().returncode == 0
    plain_before = outputs_of(site.html("plain"))
    assert "배 1.5" in outputs_of(site.html("reads_data"))[0]

    (site.src / "_data" / "figures.json").write_text('{"speedup": 1.7}', encoding="utf-8")
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert "배 1.7" in outputs_of(site.html("reads_data"))[0]  # not the cached 1.5
    assert outputs_of(site.html("plain")) == plain_before


def test_prose_edit_executes_nothing(site: Site) -> None:
    site.write_index("page")
    cell = code_cell("import random\nprint(random.random())")
    site.write_page("page", "# 페이지\n\n처음 글.\n\n" + cell)
    assert site.build().returncode == 0
    before = outputs_of(site.html("page"))

    site.write_page("page", "# 페이지\n\n고친 글.\n\n" + cell)
    result = site.build()
    assert result.returncode == 0, result.stderr
    page = site.html("page")
    assert "고친 글." in page.get_text()
    # A random number printed again would differ: the output came from the cache.
    assert outputs_of(page) == before


def test_incremental_build_keeps_every_page_in_the_sitemap(site: Site) -> None:
    site.write_index("first", "second")
    site.write_page("first", "# 첫 페이지\n\n처음 글.\n", notebook=False)
    site.write_page("second", "# 둘째 페이지\n\n글.\n", notebook=False)
    assert site.build().returncode == 0

    site.write_page("first", "# 첫 페이지\n\n고친 글.\n", notebook=False)
    result = site.build()
    assert result.returncode == 0, result.stderr
    sitemap = (site.out / "sitemap.xml").read_text(encoding="utf-8")
    for page in ("index.html", "first.html", "second.html"):
        assert page in sitemap, f"{page} dropped from the sitemap by an incremental build"
