"""강의의 PDF판(``nox -s docs`` 가 ``html/kerasguide.pdf`` 로 만든다, docs/_ext/pdf_edition.py).

첫 페이지의 링크가 실제 파일로 가는지(PDF판이 없으면 링크도 없는지), PDF에 사이트의 모든 페이지
제목이 글자로 들어 있는지(한국어 글꼴이 임베드되어 글자를 뽑아낼 수 있는지), 쪽수가 그만큼 되는지
본다. 브라우저가 없어 PDF판을 만들지 않은 빌드에서는 PDF를 읽는 테스트를 건너뛴다(CI에서는 실패).
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import browsers

pytestmark = pytest.mark.site

#: 페이지 제목이 아닌 자동 페이지(PDF에 넣지 않는다).
NOT_COURSE = {"genindex.html", "search.html", "py-modindex.html", "404.html"}
# Chromium이 만든 PDF에서 pypdf는 나눔고딕의 빈칸을 제어 문자(\x01)로 뽑기도 한다.
_SPACE = re.compile(r"[\s\x00-\x1f]+")


@cache
def pdf_text(path: Path) -> tuple[int, str, frozenset[str]]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    text = "".join(page.extract_text() or "" for page in reader.pages)
    fonts: set[str] = set()
    for page in reader.pages:
        for font in page.get("/Resources", {}).get("/Font", {}).values():
            font = font.get_object()
            descriptors = [font.get("/FontDescriptor")]
            descriptors += [
                f.get_object().get("/FontDescriptor") for f in font.get("/DescendantFonts", [])
            ]
            embedded = any(d is not None and "/FontFile2" in d.get_object() for d in descriptors)
            if embedded:
                fonts.add(str(font.get("/BaseFont")).split("+")[-1])
    return len(reader.pages), _SPACE.sub("", text), frozenset(fonts)


def course_titles(site_dir: Path) -> dict[str, str]:
    titles = {}
    for path in sorted(site_dir.rglob("*.html")):
        name = path.relative_to(site_dir).as_posix()
        if name.startswith(("_modules/", "_static/")) or name in NOT_COURSE:
            continue
        h1 = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select_one("article h1")
        if h1 is not None:
            titles[name] = h1.get_text().replace("¶", "").replace("#", "").strip()
    return titles


@pytest.fixture(scope="module")
def pdf(site_dir: Path) -> Path:
    path = site_dir / "kerasguide.pdf"
    if not path.is_file():
        how = "`nox -s pdf` 로 만든다" if browsers.find_browser() else browsers.missing_message()
        message = f"PDF판이 빌드되지 않았다: {how}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI에서는 PDF판이 있어야 한다)")
        pytest.skip(message)
    return path


def test_home_page_links_the_pdf_exactly_when_the_file_is_there(site_dir: Path) -> None:
    soup = BeautifulSoup((site_dir / "index.html").read_text(encoding="utf-8"), "html.parser")
    link = soup.select_one("p.kg-pdf-link a")
    pdf = site_dir / "kerasguide.pdf"
    if os.environ.get("CI"):
        assert pdf.is_file(), "CI에서는 PDF판이 있어야 한다"
    if not pdf.is_file():
        assert link is None, "PDF판이 없는데 첫 페이지가 링크한다"
        return
    assert link is not None and link["href"] == "kerasguide.pdf"
    assert (site_dir / link["href"]).read_bytes()[:5] == b"%PDF-"


def test_pdf_has_every_page_title_as_text(site_dir: Path, pdf: Path) -> None:
    pages, text, _ = pdf_text(pdf)
    titles = course_titles(site_dir)
    assert len(titles) >= 10 and "glossary.html" in titles
    missing = {name: t for name, t in titles.items() if _SPACE.sub("", t) not in text}
    assert not missing
    # 본문도 들어 있다: 한 쪽에 한 페이지보다 훨씬 많다(그림과 출력까지).
    assert pages >= 3 * len(titles)


def test_pdf_embeds_the_korean_font(pdf: Path) -> None:
    _, text, fonts = pdf_text(pdf)
    assert "NanumGothic" in fonts, fonts
    assert "그레이디언트테이프" in text  # 한글이 글자로(도형이 아니라) 들어 있다
