"""코랩 노트북(docs/notebooks/*.ipynb): 원본 페이지와 맞는지, 새 커널에서 끝까지 실행되는지.

노트북은 docs/_ext/colab_notebooks/가 MyST 페이지에서 만든다(`nox -s notebooks`). 실행
테스트는 노트북의 설치 셀(코랩에서 강의 저장소의 kerasguide를 설치하는 셀)을, 이 작업 트리의
kerasguide를 불러오는지 확인하는 셀로 바꾸고 nbclient로 위에서부터 실행한다.
"""

from __future__ import annotations

import importlib.metadata
import re
import shlex
from pathlib import Path
from typing import Any

import colab_notebooks
import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "docs" / "notebooks"

NOTEBOOK_NAMES = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))
MYST_SYNTAX = re.compile(r"\{[a-z][a-z0-9:_-]*\}`|^\s*(`{3,}|:{3,})\{|^\(\S+\)=\s*$", re.M)

LOCAL_CHECK = f"""\
# 테스트: 코랩의 설치 셀 대신, 이 작업 트리의 kerasguide를 불러오는지 확인한다.
import pathlib

import kerasguide

_location = pathlib.Path(kerasguide.__file__).resolve()
assert _location.is_relative_to(pathlib.Path({str(ROOT)!r})), _location
"""


@pytest.fixture(scope="module")
def settings() -> colab_notebooks.Settings:
    return colab_notebooks.load_settings()


def read(name: str) -> Any:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def install_cell(nb: Any) -> Any:
    cells = [
        cell
        for cell in nb.cells
        if cell.metadata.get(colab_notebooks.METADATA_KEY, {}).get("role")
        == colab_notebooks.INSTALL_CELL_ROLE
    ]
    assert len(cells) == 1, "노트북마다 설치 셀이 정확히 하나 있어야 한다"
    return cells[0]


def test_notebooks_are_in_sync_with_the_pages(settings: colab_notebooks.Settings) -> None:
    stale = colab_notebooks.stale_notebooks(settings)
    assert not stale, (
        "docs/notebooks/의 노트북이 원본 페이지와 다르다(`nox -s notebooks` 로 다시 만든다): "
        + ", ".join(stale)
    )


def test_every_executable_page_has_a_notebook() -> None:
    pages = colab_notebooks.executable_pages()
    assert pages, "실행되는 페이지가 하나도 없다"
    assert {colab_notebooks.notebook_filename(d) for d in pages} == set(NOTEBOOK_NAMES)


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_notebook_installs_kerasguide_first(name: str, settings: colab_notebooks.Settings) -> None:
    nb = read(name)
    assert nb.cells[0].cell_type == "markdown"
    cell = install_cell(nb)
    assert nb.cells.index(cell) == 1, "설치 셀은 안내 셀 바로 다음, 첫 코드 셀이어야 한다"
    line = next(row for row in cell.source.splitlines() if row.startswith("%pip install"))
    requirements = shlex.split(line)[3:]
    assert requirements[0] == (f"kerasguide[plot] @ git+{settings.repository}@{settings.branch}")
    assert settings.repository.startswith("https://github.com/")
    # 함께 설치하는 패키지는 이 환경(docs 그룹)에도 있어야 한다: 같은 코드가 여기서 실행된다.
    for requirement in requirements[1:]:
        name_only = re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0]
        importlib.metadata.version(name_only)
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_markdown_is_plain_markdown(name: str) -> None:
    for cell in read(name).cells:
        if cell.cell_type == "markdown":
            match = MYST_SYNTAX.search(cell.source)
            assert match is None, f"{name}: MyST 문법이 남았다: {match.group(0)!r}"


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_notebook_has_the_pages_code_cells(name: str) -> None:
    pages = colab_notebooks.executable_pages()
    docname = next(d for d in pages if colab_notebooks.notebook_filename(d) == name)
    page = jupytext.read(ROOT / "docs" / f"{docname}.md", fmt="md:myst")
    # Every code cell of the page but the build-only ones (assertions, glue), plus the install cell.
    page_cells = sum(
        cell.cell_type == "code" and not colab_notebooks.is_build_only(cell) for cell in page.cells
    )
    nb = read(name)
    assert sum(cell.cell_type == "code" for cell in nb.cells) == page_cells + 1
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")


def test_data_files_read_by_a_page_are_downloaded(tmp_path: Path) -> None:
    page_dir = colab_notebooks.DOCS_DIR
    existing = next(p for p in page_dir.rglob("*.md") if p.parent == page_dir)
    codes = [f'text = open("{existing.name}").read()', 'Path("no/such/file.json")', "'x'"]
    assert colab_notebooks.data_files(codes, page_dir) == [existing.name]


def test_expected_errors_are_caught_so_run_all_continues() -> None:
    code = "x = tf.ones(shape=(2, 2))\nx[0, 0] = 0.0\n"
    wrapped = colab_notebooks.wrap_expected_error(code)
    namespace: dict[str, Any] = {"tf": _FakeTensorFlow()}
    exec(compile(wrapped, "<cell>", "exec"), namespace)  # the wrapper swallows the error
    assert "    x[0, 0] = 0.0" in wrapped
    # 여러 줄 문자열이 있는 셀은 들여 쓰면 값이 바뀌므로 감싸지 않는다.
    multiline = 'text = """a\nb"""\nraise ValueError(text)\n'
    assert colab_notebooks.wrap_expected_error(multiline) == multiline


def test_download_copy_drops_build_cells_and_converts_markdown(tmp_path: Path) -> None:
    import library_dependency

    (tmp_path / "_data").mkdir()
    (tmp_path / "_data" / "figures.json").write_text("{}", encoding="utf-8")
    # The two hidden cells the library_dependency extension appends, as it writes them.
    library_cell = library_dependency.hidden_cell(["kerasguide"], "abc", "page/0.json")
    data_cell = library_dependency.data_cell(tmp_path, [tmp_path / "_data" / "figures.json"])
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 제목\n\n{term}`층`(layer)을 쌓는다."),
            nbformat.v4.new_code_cell(
                "print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")]
            ),
            nbformat.v4.new_code_cell(library_cell, metadata={"tags": ["remove-cell"]}),
            nbformat.v4.new_code_cell(data_cell, metadata={"tags": ["remove-cell"]}),
            nbformat.v4.new_code_cell(
                'assert 1 == 1, "확인"', metadata={"tags": ["remove-cell", "assert-output"]}
            ),
            nbformat.v4.new_code_cell(
                'from myst_nb import glue\nglue("x", 1)', metadata={"tags": ["remove-cell"]}
            ),
            nbformat.v4.new_code_cell(
                'import os\nos.environ["KERAS_BACKEND"] = "jax"',
                metadata={"tags": ["remove-cell"]},
            ),
        ],
        metadata={"jupytext": {"x": 1}, "kernelspec": {"name": "python3", "display_name": "P"}},
    )
    source, target = tmp_path / "in.ipynb", tmp_path / "out" / "page.ipynb"
    nbformat.write(nb, source)
    settings = colab_notebooks.Settings("https://github.com/o/r", "main", "https://o.github.io/r/")
    colab_notebooks.clean_download(source, target, "page", settings)
    cleaned = nbformat.read(target, as_version=4)
    # Build-only cells (library record, data hash, assertions, glue) go; a hidden cell the
    # code needs stays.
    assert [cell.cell_type for cell in cleaned.cells] == [
        "markdown", "markdown", "code", "code", "code"
    ]  # fmt: skip
    assert "KERAS_BACKEND" in cleaned.cells[4].source
    assert "myst_nb" not in install_cell(cleaned).source
    assert cleaned.cells[0].source == "# 제목\n\n층(layer)을 쌓는다."
    # After the title, before any code: a note, then the Colab notebook's install cell.
    assert "https://o.github.io/r/page.html" in cleaned.cells[1].source
    assert install_cell(cleaned) is cleaned.cells[2]
    assert cleaned.cells[2].source.splitlines()[1] == (
        '%pip install -q "kerasguide[plot] @ git+https://github.com/o/r@main"'
    )
    assert cleaned.cells[3].outputs[0]["text"] == "1\n"
    assert "jupytext" not in cleaned.metadata and "kernelspec" in cleaned.metadata


@pytest.mark.site
@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_downloaded_notebook_begins_with_the_colab_install_cell(name: str, site_dir: Path) -> None:
    from bs4 import BeautifulSoup

    pages = colab_notebooks.executable_pages()
    docname = next(d for d in pages if colab_notebooks.notebook_filename(d) == name)
    page = BeautifulSoup((site_dir / f"{docname}.html").read_text("utf-8"), "html.parser")
    link = page.select_one("a.notebook-download")
    assert link is not None, f"{docname}: 노트북 내려받기 링크가 없다"
    downloaded = nbformat.read((site_dir / docname).parent / link["href"], as_version=4)
    assert downloaded.cells[0].source.startswith("# "), "제목 셀이 맨 앞에 있어야 한다"
    cell = install_cell(downloaded)
    code = [c for c in downloaded.cells if c.cell_type == "code"]
    assert code[0] is cell, "설치 셀이 첫 코드 셀이어야 한다"
    # The same packages (and data files) as the Colab notebook: it runs wherever that one does.
    assert cell.source == install_cell(read(name)).source
    assert not cell.get("outputs")
    # The page's own code cells follow, with the outputs of the build.
    assert any(c.get("outputs") for c in downloaded.cells if c.cell_type == "code")


class _FakeTensorFlow:
    def ones(self, shape: tuple[int, int]) -> tuple[int, ...]:
        return (1,) * shape[0]


@pytest.mark.parametrize(
    ("myst", "markdown"),
    [
        ("{term}`텐서플로`(TensorFlow)", "텐서플로(TensorFlow)"),
        ("{term}`변수 텐서 <변수 텐서>`를", "변수 텐서를"),
        (
            "{doc}`3.5절 <tensorflow-basics>`",
            "[3.5절](https://kerasguide.github.io/kerasguide/ch03/tensorflow-basics.html)",
        ),
        ("{py:func}`kerasguide.fit`", "`kerasguide.fit`"),
        ("{py:class}`~kerasguide.SimpleDense`", "`SimpleDense`"),
        ("`{term}` 역할", "`{term}` 역할"),
        (":::{note}\n본문 {term}`층`\n:::", "> **참고**\n>\n> 본문 층"),
        (":::{dropdown} 풀이 설명\n1번: 답\n:::", "> **풀이 설명**\n>\n> 1번: 답"),
        ("(sec-label)=\n## 제목", "## 제목"),
        ("```{code-block} bash\npip install nox\n```", "```bash\npip install nox\n```"),
    ],
)
def test_myst_to_markdown(myst: str, markdown: str) -> None:
    settings = colab_notebooks.Settings(
        repository="https://github.com/kerasguide/kerasguide",
        branch="main",
        site_url="https://kerasguide.github.io/kerasguide/",
    )
    assert colab_notebooks.convert_markdown(myst, "ch03/keras", settings) == markdown


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_notebook_runs_top_to_bottom_in_a_fresh_kernel(name: str) -> None:
    from nbclient import NotebookClient

    nb = read(name)
    install_cell(nb).source = LOCAL_CHECK
    pages = colab_notebooks.executable_pages()
    page = next(path for d, path in pages.items() if colab_notebooks.notebook_filename(d) == name)
    # 빌드처럼 페이지 폴더에서 실행한다: 페이지가 읽는 데이터 파일(코랩에서는 설치 셀이
    # 내려받는다)이 거기 있다.
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(page.parent)}},
    )
    client.execute()  # 오류가 나면 CellExecutionError (raises-exception 태그 셀은 허용)
    for cell in nb.cells:
        if "raises-exception" in cell.metadata.get("tags", []) and cell.source.startswith("#"):
            # 코랩용으로 감싼 셀: 오류는 잡혀서 출력으로 보인다.
            text = "".join(
                output.get("text", "") for output in cell.outputs if output.output_type == "stream"
            )
            assert "Error" in text or "Exception" in text, f"{name}: 감싼 셀이 오류를 보이지 않았다"
