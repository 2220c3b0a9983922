"""사이트의 '노트북 내려받기' 링크가 주는 노트북(출력 포함)을 만든다.

myst-nb가 실행하고 남긴 노트북에서 빌드용 숨은 셀(``library_dependency`` 확장이 붙이는
``remove-cell`` 셀, 출력을 확인하는 셀과 ``glue`` 셀)을 빼고, 마크다운 셀의 MyST 문법을 보통
마크다운으로 바꾸고, 제목 셀 바로 다음(어느 코드 셀보다 앞)에 코랩 노트북과 같은 안내 셀과
설치 셀을 넣는다. 그래서 내려받은 노트북은 코랩에서도, 시작하기 페이지대로 만든 내 컴퓨터의
환경에서도 위에서부터 실행된다(설치 셀이 ``kerasguide[plot]`` 과 페이지가 불러오는 패키지를
설치한다).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from colab_notebooks.colab import (
    INSTALL_CELL_ROLE,
    METADATA_KEY,
    install_code,
    is_build_only,
    notebook_title,
)
from colab_notebooks.convert import convert_markdown
from colab_notebooks.settings import Settings

#: library_dependency 확장이 페이지 끝에 붙이는 숨은 셀(모듈 기록, 데이터 파일 지문)의 표시.
#: 그 확장은 스핑크스를 불러오므로 가져오지 않고 같은 글자를 쓴다(테스트가 둘을 맞춰 본다).
HIDDEN_CELL_MARKERS = ("library-dependency source hash", "library-dependency data file")


def _outputs_from_cache(nb: Any, cache_path: str) -> Any:
    """jupyter-cache에서 이 노트북의 실행 결과를 찾아 합친다(없으면 그대로 돌려준다).

    myst-nb 1.4는 캐시에서 출력을 가져온 페이지(다시 실행하지 않은 페이지)의 노트북을
    ``jupyter_execute/`` 에 출력 없이 쓴다: 캐시와 합친 노트북이 아니라 원래 노트북을 쓰기
    때문이다. myst-nb가 캐시를 찾을 때와 같은 방법으로 합친다.
    """
    from jupyter_cache import get_cache

    try:
        _, merged = get_cache(cache_path).merge_match_into_notebook(nb)
    except KeyError:  # 캐시에 없다: 실행되지 않은 노트북
        return nb
    return merged


def install_cells(
    codes: list[str], title: str, docname: str, page_dir: Path | None, settings: Settings
) -> list[Any]:
    """내려받는 노트북 맨 앞의 안내 셀과 설치 셀(설치 셀은 코랩 노트북의 것과 같다)."""
    import nbformat

    intro = "\n".join(
        [
            f"> 이 노트북은 강의 사이트 kerasguide의 [{title}]({settings.page_url(docname)}) "
            "페이지를 빌드할 때 실행한 것이다. 셀의 출력은 그때 실제로 나온 결과다.",
            ">",
            "> 바로 아래 코드 셀이 이 노트북에 필요한 패키지(`kerasguide` 포함)를 지금 커널의 "
            "파이썬 환경에 설치한다. 코랩이나 내 컴퓨터의 주피터에서 위에서부터 차례로 실행하면 "
            "된다.",
        ]
    )
    install = nbformat.v4.new_code_cell(
        install_code(codes, page_dir, settings),
        metadata={METADATA_KEY: {"role": INSTALL_CELL_ROLE}},
    )
    return [nbformat.v4.new_markdown_cell(intro), install]


def clean_download(
    source: Path,
    target: Path,
    docname: str,
    settings: Settings,
    cache_path: str | None = None,
    page_dir: Path | None = None,
) -> None:
    """실행된 노트북에서 빌드용 숨은 셀을 빼고, 마크다운을 보통 마크다운으로 바꾸고, 설치 셀을
    첫 코드 셀로 넣어 쓴다. ``page_dir`` 은 페이지 폴더(페이지가 읽는 데이터 파일을 찾는 곳)."""
    import nbformat

    nb = nbformat.read(source, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if cache_path and code and not any(cell.get("outputs") for cell in code):
        nb = _outputs_from_cache(nb, cache_path)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code" and any(m in cell.source for m in HIDDEN_CELL_MARKERS):
            continue
        if is_build_only(cell):  # 확인 셀과 glue 셀
            continue
        if cell.cell_type == "markdown":
            cell.source = convert_markdown(cell.source, docname, settings)
            if not cell.source.strip():
                continue
        cells.append(cell)
    codes = [cell.source for cell in cells if cell.cell_type == "code"]
    head = install_cells(codes, notebook_title(nb), docname, page_dir, settings)
    for index, cell in enumerate(head):
        cell.id = f"install-{index}"
    # The page's title cell stays first; the note and the install cell come before any code.
    first = 1 if cells and cells[0].cell_type == "markdown" else 0
    nb.cells = cells[:first] + head + cells[first:]
    for key in ("jupytext", "file_format", "myst", "mystnb"):
        nb.metadata.pop(key, None)
    target.parent.mkdir(parents=True, exist_ok=True)
    content = nbformat.writes(nb) + "\n"
    if not target.is_file() or target.read_text(encoding="utf-8") != content:
        target.write_text(content, encoding="utf-8")
