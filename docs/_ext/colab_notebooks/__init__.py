"""강의 페이지의 노트북: 코랩에서 열기와 내려받기 (Sphinx 확장이자 ``python -m`` 도구).

모듈:

* ``settings``: 저장소, 브랜치, 사이트 주소(pyproject에서 한 번 읽은 ``project_settings``).
* ``convert``: MyST 마크다운 → 보통 마크다운(순수 함수).
* ``colab``: 코랩 노트북(``docs/notebooks/*.ipynb``) 만들기와 점검.
* ``download``: 사이트에서 내려받는 노트북(출력 포함) 만들기.
* ``extension``: Sphinx 연결(페이지 맨 위의 '노트북 내려받기', '코랩에서 열기' 링크).
* ``__main__``: ``python -m colab_notebooks [--check]`` (``nox -s notebooks``).

Config (``docs/conf.py``):
    notebook_links_repository: GitHub 저장소 주소(``https://github.com/<owner>/<name>``).
    notebook_links_branch: 코랩이 노트북을 읽을 브랜치.
    notebook_links_dir: 저장소 안에서 코랩 노트북이 있는 폴더(기본 ``docs/notebooks``).
"""

from __future__ import annotations

from typing import Any

from colab_notebooks.colab import (
    DOCS_DIR,
    INSTALL_CELL_ROLE,
    METADATA_KEY,
    NOTEBOOKS_DIR,
    build_notebook,
    data_files,
    executable_pages,
    expected_notebooks,
    extra_requirements,
    is_build_only,
    stale_notebooks,
    wrap_expected_error,
    write_notebooks,
)
from colab_notebooks.convert import convert_markdown
from colab_notebooks.download import clean_download
from colab_notebooks.settings import Settings, load_settings, notebook_filename


def setup(app: Any) -> dict[str, Any]:
    """Sphinx 확장의 진입점(``python -m colab_notebooks`` 는 Sphinx 없이 돈다)."""
    from colab_notebooks.extension import setup as setup_extension

    return setup_extension(app)


__all__ = [
    "DOCS_DIR",
    "INSTALL_CELL_ROLE",
    "METADATA_KEY",
    "NOTEBOOKS_DIR",
    "Settings",
    "build_notebook",
    "clean_download",
    "convert_markdown",
    "data_files",
    "executable_pages",
    "expected_notebooks",
    "extra_requirements",
    "is_build_only",
    "load_settings",
    "notebook_filename",
    "setup",
    "stale_notebooks",
    "wrap_expected_error",
    "write_notebooks",
]
