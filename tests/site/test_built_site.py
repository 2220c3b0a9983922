"""Tests that read the built HTML site (`nox -s tests` builds it and passes --site-dir)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from bs4 import BeautifulSoup, Tag

import kerasguide

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

pytestmark = pytest.mark.site

# Every page a reader can reach from the navigation, with the least number of figures
# (matplotlib images in cell outputs) each must show.
PAGES: dict[str, int] = {
    "index": 0,
    "getting-started": 0,
    "ch03/index": 0,
    "ch03/tensorflow": 0,
    "ch03/keras": 1,
    "ch03/history": 1,
    "ch03/environment": 0,
    "ch03/tensorflow-basics": 3,
    "ch03/keras-api": 1,
    "glossary": 0,
    "api": 0,
    "performance": 0,
    "about": 0,
    "guides/long-training": 0,
}

# Lines TensorFlow, absl or Python print when something is noisy or wrong.
NOISE = re.compile(
    r"(cuda_|cudart_stub|oneDNN custom operations|absl::InitializeLog|"
    r"This TensorFlow binary is optimized|W0000 |I0000 |E0000 |"
    r"(User|Deprecation|Future|Runtime)Warning:)"
)


def executable_docnames() -> list[str]:
    names = []
    for path in sorted(DOCS.rglob("*.md")):
        relative = path.relative_to(DOCS)
        if relative.parts[0].startswith("_") or relative.parts[0] == "notebooks":
            continue
        if "file_format: mystnb" in path.read_text(encoding="utf-8")[:400]:
            names.append(relative.with_suffix("").as_posix())
    return names


@cache
def soup_of(site_dir: Path, docname: str) -> BeautifulSoup:
    path = site_dir / f"{docname}.html"
    assert path.is_file(), f"page {docname} is missing from the built site: {path}"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def article(soup: BeautifulSoup) -> Tag:
    node = soup.find("article")
    assert isinstance(node, Tag)
    return node


@pytest.mark.parametrize("docname", PAGES)
def test_page_exists_in_korean(site_dir: Path, docname: str) -> None:
    soup = soup_of(site_dir, docname)
    html = soup.find("html")
    assert isinstance(html, Tag) and html.get("lang") == "ko"
    text = article(soup).get_text()
    hangul = sum("가" <= ch <= "힣" for ch in text)
    assert hangul >= 30, f"{docname}: only {hangul} Hangul syllables in the article"
    assert soup.title is not None and soup.title.get_text(strip=True)


@pytest.mark.parametrize("docname", PAGES)
def test_page_has_a_description_for_sharing(site_dir: Path, docname: str) -> None:
    soup = soup_of(site_dir, docname)
    meta = soup.find("meta", attrs={"name": "description"})
    assert isinstance(meta, Tag), f"{docname}: no <meta name=description>"
    assert len(str(meta.get("content", ""))) >= 20


def test_every_executable_page_is_listed() -> None:
    assert set(executable_docnames()) <= set(PAGES)


@pytest.mark.parametrize("docname", executable_docnames())
def test_executable_page_was_executed(site_dir: Path, docname: str) -> None:
    body = article(soup_of(site_dir, docname))
    cells = body.select("div.cell")
    assert cells, f"{docname}: no code cells rendered"
    outputs = body.select("div.cell_output")
    assert outputs, f"{docname}: no cell produced output (page not executed?)"


@pytest.mark.parametrize("docname", executable_docnames())
def test_no_error_or_stderr_output(site_dir: Path, docname: str) -> None:
    body = article(soup_of(site_dir, docname))
    assert not body.select(".output.stderr"), f"{docname}: stderr output on the page"
    for traceback in body.select(".output.traceback"):
        cell = traceback.find_parent("div", class_="cell")
        assert cell is not None and "tag_raises-exception" in cell.get("class", []), (
            f"{docname}: an error output in a cell not tagged raises-exception:\n"
            + traceback.get_text()[:500]
        )
    for output in body.select("div.cell_output"):
        match = NOISE.search(output.get_text())
        assert match is None, f"{docname}: log noise in an output: {match.group(0)!r}"


@pytest.mark.parametrize(("docname", "figures"), [(d, n) for d, n in PAGES.items() if n])
def test_figures_present_with_alt_text(site_dir: Path, docname: str, figures: int) -> None:
    images = article(soup_of(site_dir, docname)).select("div.cell_output img")
    assert len(images) >= figures, f"{docname}: {len(images)} figures, expected {figures}+"
    for image in images:
        alt = str(image.get("alt", ""))
        assert alt and alt != "_images", f"{docname}: figure {image.get('src')} has no alt text"
        assert (site_dir / docname).parent.joinpath(unquote(str(image["src"]))).is_file()


def _internal_links(site_dir: Path) -> list[tuple[Path, str]]:
    links = []
    for page in sorted(site_dir.rglob("*.html")):
        if "_modules" in page.parts or "_static" in page.parts:
            continue
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for anchor in soup.select("article a[href]"):
            href = str(anchor["href"])
            if urlparse(href).scheme or href.startswith(("mailto:", "//")):
                continue
            links.append((page, href))
    return links


def test_internal_links_and_anchors_resolve(site_dir: Path) -> None:
    broken = []
    ids: dict[Path, set[str]] = {}
    for page, href in _internal_links(site_dir):
        target, fragment = urldefrag(href)
        path = (page.parent / unquote(target)).resolve() if target else page
        if path.is_dir():
            path = path / "index.html"
        if not path.exists():
            broken.append(f"{page.relative_to(site_dir)} -> {href}")
            continue
        if fragment and path.suffix == ".html":
            if path not in ids:
                soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
                ids[path] = {str(tag["id"]) for tag in soup.select("[id]")}
            if unquote(fragment) not in ids[path]:
                broken.append(f"{page.relative_to(site_dir)} -> {href} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_api_reference_documents_every_public_name(site_dir: Path) -> None:
    text = article(soup_of(site_dir, "api")).get_text()
    documented = {
        str(node["id"]) for node in soup_of(site_dir, "api").select("dt[id]") if node.get("id")
    }
    for name in kerasguide.__all__:
        if name in {"__version__", "env"}:
            continue
        assert f"kerasguide.{name}" in documented, f"kerasguide.{name} is not on the API page"
    for name in kerasguide.env.__all__:
        assert f"kerasguide.env.{name}" in documented, f"kerasguide.env.{name} is missing"
    assert "Traceback" not in text


def test_sitemap_lists_the_pages(site_dir: Path) -> None:
    sitemap = (site_dir / "sitemap.xml").read_text(encoding="utf-8")
    for docname in PAGES:
        assert f"{docname}.html" in sitemap or docname == "index"


def test_not_found_page_exists(site_dir: Path) -> None:
    soup = BeautifulSoup((site_dir / "404.html").read_text(encoding="utf-8"), "html.parser")
    assert "페이지" in soup.get_text()
