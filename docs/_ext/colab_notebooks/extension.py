"""실행되는 페이지 맨 위에 노트북 내려받기 링크와 '코랩에서 열기' 링크를 넣는다.

* 내려받기: myst-nb가 페이지를 실행하고 남긴 노트북(``jupyter_execute/<docname>.ipynb``, 출력
  포함)으로 ``download`` 모듈이 내려받을 사본을 만든다. Sphinx의 ``download_reference`` 로
  연결하므로 사본은 ``_downloads/`` 로 복사되고 링크에는 ``download`` 속성이 붙는다.
* 코랩: ``docs/notebooks/<docname의 /를 -로>.ipynb`` (``python -m colab_notebooks`` 가 만들어
  저장소에 두는 노트북)를 GitHub에서 여는 코랩 주소다.

링크 상자는 보이지 않는 노드(``nodes.Invisible``)의 하위 클래스로 만들어, 공유용 설명
(sphinxext-opengraph의 ``og:description``)을 만들 때 건너뛰게 한다. ``no-search`` 클래스를 붙여
검색 색인에도 넣지 않는다.

Config:
    notebook_links_repository: GitHub 저장소 주소(``https://github.com/<owner>/<name>``).
    notebook_links_branch: 코랩이 노트북을 읽을 브랜치.
    notebook_links_dir: 저장소 안에서 코랩 노트북이 있는 폴더(기본 ``docs/notebooks``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging

from colab_notebooks.download import clean_download
from colab_notebooks.settings import Settings, notebook_filename

logger = logging.getLogger(__name__)

DOWNLOAD_FOLDER = "notebook_downloads"


class notebook_links(nodes.General, nodes.Invisible, nodes.Element):
    """페이지 맨 위의 링크 상자. HTML에서만 그린다."""


def _visit_html(self: Any, node: notebook_links) -> None:
    self.body.append(self.starttag(node, "div"))


def _depart_html(self: Any, node: notebook_links) -> None:
    self.body.append("</div>\n")


def _skip(self: Any, node: notebook_links) -> None:
    raise nodes.SkipNode


def _settings(app: Sphinx) -> Settings:
    return Settings(
        repository=app.config.notebook_links_repository,
        branch=app.config.notebook_links_branch,
        site_url=app.config.html_baseurl or "",
        notebooks_dir=app.config.notebook_links_dir,
    )


def _is_executable(doctree: nodes.document) -> bool:
    return any(node.get("nb_element") == "cell_code" for node in doctree.findall(nodes.container))


def _on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    if not _is_executable(doctree):
        return
    config = getattr(env, "mystnb_config", None)
    if config is None:
        return
    parts = docname.split("/")
    executed = Path(config.output_folder).joinpath(*parts[:-1], parts[-1] + ".ipynb")
    if not executed.is_file():
        logger.warning(
            "실행된 노트북을 찾지 못했다: %s", executed, location=docname, type="notebook_links"
        )
        return
    settings = _settings(app)
    download = (
        Path(config.output_folder).parent / DOWNLOAD_FOLDER / Path(*parts).with_suffix(".ipynb")
    )
    cache_path = config.execution_cache_path if config.execution_mode == "cache" else None
    page_dir = Path(env.doc2path(docname)).parent
    clean_download(executed, download, docname, settings, cache_path, page_dir)

    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    box = notebook_links(classes=["notebook-links", "no-search"])
    paragraph = nodes.paragraph()
    reftarget = "/" + os.path.relpath(download, app.srcdir).replace(os.sep, "/")
    link = addnodes.download_reference(
        "", "", reftarget=reftarget, refdoc=docname, classes=["notebook-download"]
    )
    link += nodes.literal("", "노트북 내려받기 (.ipynb)", classes=["download"])
    paragraph += link
    colab_url = None
    if settings.repository:  # 저장소를 정하지 않은 사이트에는 코랩 링크가 없다.
        try:
            colab_url = settings.colab_url(docname)
        except ValueError as error:
            logger.warning(str(error), location=docname, type="notebook_links")
    if colab_url is not None:
        paragraph += nodes.Text(" ")
        paragraph += nodes.reference(
            "",
            "코랩에서 열기",
            refuri=colab_url,
            classes=["colab-link"],
            reftitle="구글 코랩에서 이 페이지의 노트북을 연다",
        )
    box += paragraph
    # 제목(H1) 바로 다음에 넣는다.
    title_index = next(
        (i for i, child in enumerate(section.children) if isinstance(child, nodes.title)), -1
    )
    section.insert(title_index + 1, box)

    colab_file = Path(app.srcdir).parent / settings.notebooks_dir / notebook_filename(docname)
    if colab_url is not None and not colab_file.is_file():
        logger.info(
            "코랩 노트북이 아직 없다: %s (`nox -s notebooks` 로 만든다)",
            colab_file,
            location=docname,
        )


def setup(app: Sphinx) -> dict[str, Any]:
    skip = (_skip, None)
    app.add_node(
        notebook_links,
        html=(_visit_html, _depart_html),
        latex=skip,
        text=skip,
        man=skip,
        texinfo=skip,
    )
    app.add_config_value("notebook_links_repository", "", "env", types=frozenset({str}))
    app.add_config_value("notebook_links_branch", "main", "env", types=frozenset({str}))
    app.add_config_value("notebook_links_dir", "docs/notebooks", "env", types=frozenset({str}))
    # 환경 수집기(다운로드 파일 등록)는 우선순위 500: 그보다 먼저 링크를 넣는다.
    app.connect("doctree-read", _on_doctree_read, priority=400)
    app.add_css_file("notebook_links.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
