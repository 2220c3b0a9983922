"""강의 사이트가 갖출 것들을 실제 브라우저에서: 복사 버튼, 노트북 내려받기와 코랩 링크, 어두운
테마, 404 페이지, 사이트맵, 공유할 때 보이는 제목과 설명.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import colab_notebooks
import nbformat
import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser

EXECUTABLE = sorted(colab_notebooks.executable_pages())


@pytest.fixture(scope="module")
def settings() -> colab_notebooks.Settings:
    return colab_notebooks.load_settings()


@pytest.fixture(scope="module")
def site_url(settings: colab_notebooks.Settings) -> str:
    return settings.site_url.rstrip("/") + "/"


def local(base_url: str, site_url: str, public_url: str) -> str:
    """사이트 주소(``https://…/kerasguide/x.html``)를 테스트 서버 주소로."""
    assert public_url.startswith(site_url), public_url
    return base_url + public_url[len(site_url) :]


def luminance(css_color: str) -> float:
    red, green, blue = (int(v) for v in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


# -- 복사 버튼 ----------------------------------------------------------------------------------


def copy_with_button(page: Any, block: Any) -> str:
    block.hover()
    button = block.locator("button.copybtn")
    button.click()
    return str(page.evaluate("navigator.clipboard.readText()"))


def first_code_cell_source(docname: str) -> str:
    text = (ROOT / "docs" / f"{docname}.md").read_text(encoding="utf-8")
    match = re.search(r"^```\{code-cell\}[^\n]*\n(.*?)^```", text, re.M | re.S)
    assert match is not None
    return match.group(1)


def test_copy_button_copies_the_code_cell_without_its_output(page: Any, base_url: str) -> None:
    page.goto(base_url + "getting-started.html")
    cell = page.locator("div.cell").first
    copied = copy_with_button(page, cell.locator("div.cell_input div.highlight"))
    assert copied.strip() == first_code_cell_source("getting-started").strip()
    output = cell.locator("div.cell_output").inner_text()
    assert output.strip()
    for line in output.strip().splitlines():
        assert line.strip() not in copied


def test_copy_button_leaves_out_prompts_and_doctest_output(page: Any, base_url: str) -> None:
    page.goto(base_url + "api.html")
    block = page.locator("div.highlight:has(span.gp)").first
    prompts = block.locator("span.gp").all_inner_texts()
    outputs = [t.strip() for t in block.locator("span.go").all_inner_texts() if t.strip()]
    assert prompts
    copied = copy_with_button(page, block)
    assert copied.strip()
    assert ">>>" not in copied and "..." not in copied.replace("...)", "")
    for line in copied.splitlines():
        assert line not in outputs, f"doctest 출력이 복사되었다: {line!r}"


# -- 노트북 내려받기와 코랩 ------------------------------------------------------------------------


@pytest.mark.parametrize("docname", EXECUTABLE)
def test_download_link_gives_the_executed_notebook(
    page: Any, base_url: str, docname: str, tmp_path: Path
) -> None:
    page.goto(f"{base_url}{docname}.html")
    links = page.locator("article .notebook-links")
    assert links.count() == 1
    # 제목(H1) 바로 아래에 있다.
    assert page.evaluate(
        "() => document.querySelector('article h1').nextElementSibling"
        ".classList.contains('notebook-links')"
    )
    with page.expect_download() as download_info:
        links.locator("a.notebook-download").click()
    download = download_info.value
    assert download.suggested_filename == docname.rsplit("/", 1)[-1] + ".ipynb"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and any(cell.outputs for cell in code), "내려받은 노트북에 출력이 없다"
    assert not any("library-dependency" in cell.source for cell in code)
    title = page.locator("article h1").inner_text().rstrip("¶").strip()
    assert nb.cells[0].source.splitlines()[0].replace("`", "") == "# " + title
    assert not any("{term}`" in cell.source for cell in nb.cells if cell.cell_type == "markdown")


@pytest.mark.parametrize("docname", EXECUTABLE)
def test_colab_link_opens_the_repository_notebook(
    page: Any, base_url: str, docname: str, settings: colab_notebooks.Settings
) -> None:
    expected = settings.colab_url(docname)
    opened: list[str] = []

    def fake_colab(route: Any) -> None:  # 이 기계는 인터넷에 닿지 않는다: 코랩 대신 답한다.
        opened.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>Colab</title>")

    page.route("https://colab.research.google.com/**", fake_colab)
    page.goto(f"{base_url}{docname}.html")
    link = page.locator("article .notebook-links a.colab-link")
    assert link.get_attribute("href") == expected
    link.click()
    page.wait_for_url(expected)
    assert opened == [expected]
    # 코랩이 GitHub에서 여는 파일은 저장소에 있고, 첫 코드 셀이 kerasguide를 설치한다.
    repo_path = urlparse(expected).path.split(f"/blob/{settings.branch}/", 1)[1]
    nb = nbformat.read(ROOT / repo_path, as_version=4)
    first_code = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert "%pip install" in first_code.source and "kerasguide" in first_code.source


def test_pages_without_code_have_no_notebook_links(page: Any, base_url: str) -> None:
    for docname in ("index", "glossary"):
        page.goto(f"{base_url}{docname}.html")
        assert page.locator(".notebook-links").count() == 0


# -- 어두운 테마 --------------------------------------------------------------------------------


def figure_page(site_dir: Path) -> str:
    for docname in EXECUTABLE:
        soup = BeautifulSoup((site_dir / f"{docname}.html").read_text("utf-8"), "html.parser")
        if soup.select("article div.cell_output img"):
            return docname
    pytest.fail("그림이 있는 페이지가 없다")


def test_dark_mode_toggle_keeps_figures_readable(page: Any, base_url: str, site_dir: Path) -> None:
    docname = figure_page(site_dir)
    page.goto(f"{base_url}{docname}.html")
    toggle = page.locator("button.theme-toggle:visible").first
    for _ in range(3):
        if page.evaluate("document.body.dataset.theme") == "dark":
            break
        toggle.click()
    assert page.evaluate("document.body.dataset.theme") == "dark"
    body_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert luminance(body_background) < 0.3, body_background
    image = page.locator("article div.cell_output img").first
    image.scroll_into_view_if_needed()
    background = image.evaluate("el => getComputedStyle(el).backgroundColor")
    assert luminance(background) > 0.95, f"어두운 테마에서 그림 배경이 흰색이 아니다: {background}"
    # 선택은 다음 페이지에도 이어진다.
    page.goto(base_url + "index.html")
    assert page.evaluate("document.body.dataset.theme") == "dark"


def test_figures_readable_when_the_system_prefers_dark(
    browser: Any, base_url: str, site_dir: Path
) -> None:
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(f"{base_url}{figure_page(site_dir)}.html")
        assert page.evaluate("document.body.dataset.theme") in {"auto", None, ""}
        body_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert luminance(body_background) < 0.3
        image = page.locator("article div.cell_output img").first
        background = image.evaluate("el => getComputedStyle(el).backgroundColor")
        assert luminance(background) > 0.95, background
    finally:
        context.close()


# -- 404, 사이트맵, 공유 ----------------------------------------------------------------------


def test_not_found_page_is_korean_and_styled(page: Any, base_url: str) -> None:
    response = page.goto(base_url + "ch03/no-such-page.html")
    assert response is not None and response.status == 404
    assert "찾을 수 없" in page.title()
    assert "찾을 수 없" in page.locator("article").inner_text()
    # 404 페이지는 어느 깊이에서나 열리므로 자원과 링크가 절대 경로여야 한다.
    stylesheets = page.eval_on_selector_all("link[rel=stylesheet]", "els => els.map(e => e.href)")
    assert stylesheets
    for href in stylesheets:
        assert page.request.get(href).ok, f"404 페이지의 스타일시트를 못 읽는다: {href}"
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
    page.locator("a.sidebar-brand").first.click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith(("kerasguide", "index.html"))
    assert page.locator("article h1").count() == 1


def sitemap_urls(page: Any, base_url: str) -> list[str]:
    response = page.request.get(base_url + "sitemap.xml")
    assert response.ok
    root = ET.fromstring(response.body())
    return [loc.text or "" for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]


def test_sitemap_lists_reachable_pages(page: Any, base_url: str, site_url: str) -> None:
    urls = sitemap_urls(page, base_url)
    assert site_url + "index.html" in urls
    for docname in EXECUTABLE:
        assert f"{site_url}{docname}.html" in urls
    for url in urls:
        assert page.request.get(local(base_url, site_url, url)).ok, url


def test_shared_links_show_the_page_title_and_description(
    page: Any, base_url: str, site_url: str
) -> None:
    for url in sitemap_urls(page, base_url):
        if "/_modules/" in url or url.endswith(
            ("genindex.html", "py-modindex.html", "search.html", "404.html")
        ):
            continue  # 색인, 소스 코드, 검색, 404: 공유할 강의 페이지가 아니다
        page.goto(local(base_url, site_url, url))
        heading = page.locator("article h1").first.inner_text().rstrip("¶").strip()

        def meta(selector: str) -> str:
            return str(page.locator(selector).first.get_attribute("content") or "")

        assert page.title().startswith(heading), (url, page.title())
        assert meta('meta[property="og:title"]') == heading
        description = meta('meta[name="description"]')
        assert len(description) >= 20, f"{url}: 설명이 없거나 짧다"
        assert meta('meta[property="og:description"]') == description, url
        assert meta('meta[property="og:url"]') == url
        image = meta('meta[property="og:image"]')
        assert page.request.get(local(base_url, site_url, image)).ok, image
        assert "코랩에서 열기" not in meta('meta[property="og:image:alt"]')
