"""Settings of the Colab notebooks and download links (from ``project_settings``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import project_settings


@dataclass(frozen=True)
class Settings:
    """노트북을 만들 때 쓰는 설정. ``load_settings()`` 가 pyproject의 값으로 만든다."""

    repository: str
    branch: str
    site_url: str
    notebooks_dir: str = "docs/notebooks"

    @property
    def github_path(self) -> str:
        """``owner/name`` (GitHub 저장소 주소에서)."""
        match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?", self.repository)
        if match is None:
            raise ValueError(
                f"notebook_links_repository={self.repository!r}: "
                "https://github.com/<owner>/<name> 꼴의 GitHub 저장소 주소여야 한다"
            )
        return match.group(1)

    def install_requirement(self) -> str:
        return f"kerasguide[plot] @ git+{self.repository.rstrip('/')}@{self.branch}"

    def colab_url(self, docname: str) -> str:
        return (
            f"https://colab.research.google.com/github/{self.github_path}/blob/{self.branch}/"
            f"{self.notebooks_dir}/{notebook_filename(docname)}"
        )

    def raw_url(self, repository_path: str) -> str:
        """저장소 파일의 내려받기 주소(raw.githubusercontent.com)."""
        return (
            f"https://raw.githubusercontent.com/{self.github_path}/{self.branch}/{repository_path}"
        )

    def page_url(self, docname: str) -> str:
        return f"{self.site_url.rstrip('/')}/{docname}.html"


def load_settings() -> Settings:
    """pyproject의 저장소 주소, 사이트 주소와 ``project_settings`` 의 브랜치, 노트북 폴더."""
    return Settings(
        repository=project_settings.REPOSITORY_URL,
        branch=project_settings.REPOSITORY_BRANCH,
        site_url=project_settings.SITE_URL,
        notebooks_dir=project_settings.NOTEBOOKS_DIR,
    )


def notebook_filename(docname: str) -> str:
    """``ch03/tensorflow-basics`` → ``ch03-tensorflow-basics.ipynb``."""
    return docname.replace("/", "-") + ".ipynb"
