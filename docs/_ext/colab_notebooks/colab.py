"""MyST 강의 페이지에서 코랩(Colab)용 노트북(``docs/notebooks/*.ipynb``)을 만든다.

실행되는 페이지(front matter에 ``file_format: mystnb``, 코드 셀이 하나 이상)마다 jupytext로
노트북을 읽고, 코랩에서 그대로 실행되도록 고친다.

* 맨 앞에 안내 셀과 설치 셀을 넣는다. 설치 셀은 ``kerasguide[plot]`` 을 강의 저장소에서 설치하고
  (저장소 주소와 브랜치는 ``project_settings``), 페이지가 불러오는 패키지를 pyproject의
  ``docs`` 그룹에 적힌 하한으로 함께 설치한다(코랩의 버전이 낮으면 올린다). 페이지가 상대
  경로로 읽는 저장소의 데이터 파일(``_data/...``)도 내려받는다.
* 마크다운 셀은 ``convert`` 모듈이 보통 마크다운으로 바꾼다.
* ``raises-exception`` 태그가 붙은 셀(일부러 오류를 내는 셀)은 ``try``/``except`` 로 감싸 오류를
  출력한다. 코랩의 '모두 실행'은 태그를 모르고 첫 오류에서 멈추기 때문이다.
* 풀이 셀(``hide-cell``/``hide-input`` 태그)은 코랩 양식(``# @title ... {display-mode: "form"}``)
  으로 코드를 접어 둔다.

노트북에는 출력이 없다(코랩에서 실행한다). 출력이 있는 노트북은 사이트의 각 페이지에서 내려받는다.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import textwrap
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import project_settings

from colab_notebooks.convert import convert_markdown
from colab_notebooks.settings import Settings, load_settings, notebook_filename

DOCS_DIR = project_settings.DOCS_DIR
ROOT_DIR = project_settings.ROOT_DIR
NOTEBOOKS_DIR = ROOT_DIR / project_settings.NOTEBOOKS_DIR

#: 불러오는 이름과 배포 이름이 다른 패키지.
IMPORT_TO_DISTRIBUTION = {"sklearn": "scikit-learn", "PIL": "pillow", "yaml": "pyyaml"}
#: 설치 셀 표시(테스트가 이 셀을 로컬 점검 셀로 바꾼다).
INSTALL_CELL_ROLE = "install"
METADATA_KEY = "kerasguide"

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def executable_pages(docs_dir: Path = DOCS_DIR) -> dict[str, Path]:
    """실행되는 페이지: front matter에 ``file_format: mystnb`` 가 있고 코드 셀이 있는 문서."""
    pages = {}
    for path in sorted(docs_dir.rglob("*.md")):
        relative = path.relative_to(docs_dir)
        if relative.parts[0].startswith(("_", ".")) or relative.parts[0] in {
            "notebooks",
            "jupyter_execute",
        }:
            continue
        text = path.read_text(encoding="utf-8")
        front = _FRONT_MATTER.match(text)
        if front is None or not re.search(r"^file_format:\s*mystnb\s*$", front.group(1), re.M):
            continue
        if "```{code-cell}" not in text:
            continue
        pages[relative.with_suffix("").as_posix()] = path
    return pages


def is_build_only(cell: Any) -> bool:
    """빌드에서만 쓰는 숨은 셀: ``remove-cell`` 태그가 있고, 출력을 확인하는 셀이거나
    (``assert-output``) myst-nb의 ``glue`` 를 쓰는 셀. 코랩과 내려받는 노트북에서는 뺀다
    (myst-nb 없이, 그리고 코랩의 다른 버전에서도 위에서부터 끝까지 실행되게).
    ``remove-cell`` 이라도 그 밖의 셀(예: 백엔드를 정하는 셀)은 노트북에 남긴다.
    """
    if cell.cell_type != "code":
        return False
    tags = set(cell.metadata.get("tags", []))
    if "remove-cell" not in tags:
        return False
    return "assert-output" in tags or "myst_nb" in cell.source or "glue(" in cell.source


def _has_multiline_string(code: str) -> bool:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return True
    return any(t.type == tokenize.STRING and t.start[0] != t.end[0] for t in tokens)


def wrap_expected_error(code: str) -> str:
    """일부러 오류를 내는 셀을, 오류를 출력하고 다음 셀로 넘어가는 셀로 바꾼다."""
    try:
        ast.parse(code)
    except SyntaxError:
        return code  # IPython 매직 따위: 감싸지 않는다.
    if _has_multiline_string(code):
        return code
    body = textwrap.indent(code.rstrip("\n"), "    ", lambda _line: True)
    return (
        "# 이 셀은 일부러 오류를 낸다. '모두 실행'이 여기서 멈추지 않도록 오류를 잡아 출력한다.\n"
        "try:\n"
        f"{body}\n"
        "except Exception:\n"
        "    import traceback\n"
        "\n"
        "    traceback.print_exc(limit=1)\n"
    )


def _top_level_imports(code: str) -> Iterator[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def data_files(codes: list[str], page_dir: Path) -> list[str]:
    """코드가 문자열로 적은 상대 경로 가운데 페이지 폴더 안에 실제로 있는 파일들.

    빌드는 페이지 폴더에서 노트북을 실행하므로 ``Path("_data/x.json")`` 같은 코드가 동작하지만,
    코랩에는 그 파일이 없다. 코랩 노트북의 설치 셀이 이 파일들을 저장소에서 내려받는다.
    """
    found = []
    for code in codes:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            value = node.value
            if not value or "\n" in value or value.startswith(("/", "~")) or "://" in value:
                continue
            path = (page_dir / value).resolve()
            if path.is_file() and path.is_relative_to(DOCS_DIR):
                found.append(Path(value).as_posix())
    return sorted(set(found))


def extra_requirements(codes: list[str]) -> list[str]:
    """페이지가 불러오는 패키지 가운데 pyproject ``docs`` 그룹에 적힌 것의 요구 사항(하한 포함).

    사이트는 이 하한에서 실행하고 시험한다(``nox -s compat``). 코랩에 이미 있는 패키지(케라스,
    텐서플로, 판다스 등)도 적는다: 코랩 런타임의 버전이 하한보다 낮으면 설치 셀이 올린다.
    kerasguide가 설치하는 패키지(텐서플로, 케라스, 넘파이)의 라이브러리 하한은 kerasguide 자신의
    요구 사항이 지킨다.
    """
    table = project_settings.dependency_group("docs")
    found = []
    for module in dict.fromkeys(m for code in codes for m in _top_level_imports(code)):
        if module == "kerasguide" or module in sys.stdlib_module_names:
            continue
        name = IMPORT_TO_DISTRIBUTION.get(module, module)
        distribution = project_settings.normalize_distribution(name)
        if distribution in table:
            found.append(table[distribution])
    return sorted(found)


# -- 노트북 -------------------------------------------------------------------------------------


def notebook_title(nb: Any) -> str:
    """노트북의 첫 ``#`` 제목."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return ""


def install_code(codes: list[str], page_dir: Path | None, settings: Settings) -> str:
    """설치 셀의 코드: kerasguide와 페이지가 불러오는 패키지, 페이지가 읽는 데이터 파일.

    코랩 노트북과 사이트에서 내려받는 노트북의 첫 코드 셀이다(``%pip`` 은 노트북의 커널이 쓰는
    파이썬 환경에 설치한다: 코랩에서도, 내 컴퓨터의 주피터에서도).
    """
    requirements = [settings.install_requirement(), *extra_requirements(codes)]
    install = (
        "# 이 노트북에 필요한 패키지를 설치한다(코랩 런타임마다 한 번).\n"
        "%pip install -q " + " ".join(f'"{r}"' for r in requirements)
    )
    files = data_files(codes, page_dir) if page_dir is not None else []
    if files and page_dir is not None:
        folder = page_dir.resolve().relative_to(ROOT_DIR).as_posix()
        install += (
            "\n\n# 이 페이지가 읽는 데이터 파일을 저장소에서 내려받는다.\n"
            "import pathlib\n"
            "import urllib.request\n\n"
            f"for name in {files!r}:\n"
            "    pathlib.Path(name).parent.mkdir(parents=True, exist_ok=True)\n"
            f'    urllib.request.urlretrieve(f"{settings.raw_url(folder)}/{{name}}", name)'
        )
    return install


def build_notebook(docname: str, path: Path, settings: Settings) -> Any:
    """페이지 하나의 코랩 노트북(nbformat 객체, 출력 없음)을 만든다."""
    import jupytext
    import nbformat

    source_nb = jupytext.read(path, fmt="md:myst")
    source_nb.cells = [cell for cell in source_nb.cells if not is_build_only(cell)]
    codes = [cell.source for cell in source_nb.cells if cell.cell_type == "code"]
    has_errors = any(
        "raises-exception" in cell.metadata.get("tags", [])
        for cell in source_nb.cells
        if cell.cell_type == "code"
    )
    title = notebook_title(source_nb)

    intro = [
        f"> 이 노트북은 강의 사이트 kerasguide의 [{title}]({settings.page_url(docname)}) "
        "페이지에서 만들었다. 출력과 그림이 있는 완성본은 그 페이지에서 볼 수 있다.",
        ">",
        "> 바로 아래 코드 셀이 이 노트북에 필요한 패키지(`kerasguide` 포함)를 설치한다. 메뉴의 "
        "*런타임 → 모두 실행* 으로 위에서부터 차례로 실행하면 된다.",
    ]
    if has_errors:
        intro += [
            ">",
            "> 몇몇 셀은 무엇이 안 되는지 보이려고 일부러 오류를 낸다. "
            "그런 셀은 '모두 실행'이 멈추지 않도록 오류를 잡아 출력만 하게 바꾸어 두었다.",
        ]
    install = install_code(codes, path.parent, settings)
    cells = [
        nbformat.v4.new_markdown_cell("\n".join(intro)),
        nbformat.v4.new_code_cell(install, metadata={METADATA_KEY: {"role": INSTALL_CELL_ROLE}}),
    ]
    for cell in source_nb.cells:
        tags = list(cell.metadata.get("tags", []))
        if cell.cell_type == "markdown":
            text = convert_markdown(cell.source, docname, settings)
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text))
            continue
        if cell.cell_type != "code":
            continue  # build-only cells were left out above (is_build_only)
        code = cell.source
        if "raises-exception" in tags:
            code = wrap_expected_error(code)
        if {"hide-cell", "hide-input"} & set(tags):
            prompt = cell.metadata.get("mystnb", {}).get("code_prompt_show", "코드 보기")
            prompt = prompt.replace("{type}", "코드")
            code = f'# @title {prompt} {{ display-mode: "form" }}\n{code}'
        metadata = {"tags": tags} if tags else {}
        cells.append(nbformat.v4.new_code_cell(code, metadata=metadata))

    for index, cell in enumerate(cells):
        cell.id = f"cell-{index:03d}"
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "colab": {"name": notebook_filename(docname), "provenance": [], "toc_visible": True},
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


def render(nb: Any) -> str:
    """노트북을 파일 내용으로(항상 같은 바이트가 나오게)."""
    import nbformat

    return nbformat.writes(nb, version=4) + "\n"


def expected_notebooks(settings: Settings | None = None) -> dict[str, str]:
    """``{파일 이름: 내용}``: 지금의 페이지들에서 만들어져야 할 노트북 전부."""
    settings = settings or load_settings()
    return {
        notebook_filename(docname): render(build_notebook(docname, path, settings))
        for docname, path in executable_pages().items()
    }


def stale_notebooks(settings: Settings | None = None) -> list[str]:
    """원본 페이지와 어긋난(없거나, 다르거나, 원본이 없는) 노트북 파일 이름들."""
    expected = expected_notebooks(settings)
    present = {p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")}
    stale = [name for name in sorted(present - expected.keys())]
    for name, content in sorted(expected.items()):
        path = NOTEBOOKS_DIR / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            stale.append(name)
    return sorted(stale)


def write_notebooks(settings: Settings | None = None) -> list[str]:
    """``docs/notebooks/`` 를 다시 만든다. 바뀐 파일 이름을 돌려준다."""
    expected = expected_notebooks(settings)
    NOTEBOOKS_DIR.mkdir(exist_ok=True)
    changed = []
    for path in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        if path.name not in expected:
            path.unlink()
            changed.append(path.name)
    for name, content in sorted(expected.items()):
        path = NOTEBOOKS_DIR / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            changed.append(name)
    return changed
