"""독자가 만나는 사이트: 모든 페이지를 휴대폰(390px)과 데스크톱(1280px) 너비, 밝은 테마와 어두운
테마로 열어 본다.

페이지마다 네 가지 모습을 한 번씩만 열고(:func:`visit`), 그때 잰 것을 여러 테스트가 나눠 본다.

- 페이지가 옆으로 밀리지 않는다(문서 전체의 가로 스크롤이 없다).
- 한국어 본문은 어절 사이에서만 줄을 바꾼다(``word-break: keep-all``).
- 화면과 화면 낭독기용 이름(aria-label, title, placeholder)에 영어 UI 문구가 없다.
- 다른 호스트로 가는 요청이 하나도 없다(모두 막고 기록한다: 인터넷이 없어도 똑같이 보인다).
- axe-core가 심각(serious)하거나 치명적(critical)인 접근성 문제를 찾지 못한다.
- 그림은 SVG다(어떤 화면 밀도에서도 선명하다). 수식은 MathML이다.
- 1280px에서도 페이지 목차가 보인다.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]

WIDTHS = {"phone": 390, "desktop": 1280}
THEMES = ("light", "dark")

#: 테마, Sphinx, 복사 버튼이 영어로 내보내는 UI 문구(한국어 카탈로그가 없으면 보이는 것들).
ENGLISH_UI = (
    "Next",
    "Previous",
    "On this page",
    "Back to top",
    "Skip to content",
    "Copyright",
    "Made with",
    "Last updated",
    "Toggle",
    "Link to this",
    "Copy",
    "Copy to clipboard",
    "Copied",
    "Edit this page",
    "View this page",
    "Search Results",
    "Searching",
    "Hide Search Matches",
    "Your search did not match",
    "Please activate JavaScript",
    "Index",
    "Home",
    "Contents",
    "Menu",
    "Expand",
    "Light mode",
    "Dark mode",
    "Auto light",
)
_ENGLISH_UI = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in ENGLISH_UI) + r")\b")


def site_pages(site_dir: Path) -> list[str]:
    """빌드된 사이트의 모든 HTML 페이지(모듈 소스 보기와 404는 빼고)."""
    names = []
    for path in sorted(site_dir.rglob("*.html")):
        relative = path.relative_to(site_dir).as_posix()
        if relative.startswith(("_modules/", "_static/", "_images/")) or relative == "404.html":
            continue
        names.append(relative)
    return names


#: Pages Sphinx writes besides the sources' (the index, search and module index).
GENERATED_PAGES = ("genindex.html", "py-modindex.html", "search.html")


def source_pages() -> list[str]:
    """The HTML pages the build makes, from the sources: known at collection time.

    The site is built after collection (`nox -s tests` on a fresh clone has none before), so
    the parameters cannot come from the built site; test_source_pages_are_the_built_pages
    checks that the two lists agree.
    """
    docs = ROOT / "docs"
    names = [
        path.relative_to(docs).with_suffix(".html").as_posix()
        for path in docs.rglob("*.md")
        if not path.relative_to(docs).parts[0].startswith(("_", "notebooks"))
    ]
    return sorted([*names, *GENERATED_PAGES])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "page_name" in metafunc.fixturenames:
        metafunc.parametrize("page_name", source_pages())


def test_source_pages_are_the_built_pages(site_dir: Path) -> None:
    assert sorted(source_pages()) == sorted(site_pages(site_dir))


@dataclass
class Visit:
    """한 페이지를 한 너비와 한 테마로 열었을 때 잰 것."""

    url: str
    document_width: int
    viewport_width: int
    word_break: list[str]
    ui_text: list[str]
    outside_requests: list[str]
    serious: list[str]
    images: list[str]
    math: dict[str, int]
    toc: dict[str, Any]
    errors: list[str] = field(default_factory=list)


MEASURE = """
() => {
  const article = document.querySelector('article[role=main]') || document.body;
  const hangul = /[\\uac00-\\ud7a3]/;
  const breaks = [...article.querySelectorAll('p, li, dd, td, th, h1, h2, h3')]
    .filter((el) => hangul.test(el.textContent))
    .slice(0, 200)
    .map((el) => getComputedStyle(el).wordBreak);
  // UI 문구: 본문(article) 밖의 보이는 글자, 그리고 어디에 있든 화면 낭독기용 이름·툴팁.
  const text = [];
  const chrome = document.querySelectorAll(
    '.mobile-header, .sidebar-drawer, .toc-drawer, footer, .back-to-top, .skip-to-content,'
    + ' #search-results > h2, #search-results > p, .content-icon-container'
  );
  chrome.forEach((el) => text.push(el.innerText));
  const names = ['aria-label', 'title', 'placeholder', 'data-tooltip'];
  document.querySelectorAll(names.map((name) => `[${name}]`).join(',')).forEach((el) => {
    for (const name of names) if (el.hasAttribute(name)) text.push(el.getAttribute(name));
  });
  document.querySelectorAll('svg title').forEach((el) => text.push(el.textContent));
  const images = [...document.querySelectorAll('.cell_output img')].map((img) => img.src);
  const toc = document.querySelector('.toc-drawer');
  const tocItems = document.querySelectorAll('.toc-tree li').length;
  const box = toc ? toc.getBoundingClientRect() : null;
  return {
    documentWidth: document.documentElement.scrollWidth,
    viewportWidth: document.documentElement.clientWidth,
    wordBreak: breaks,
    uiText: text,
    images,
    math: {
      mathml: document.querySelectorAll('math').length,
      raw: (article.innerText.match(/\\\\\\(|\\\\\\[|\\$\\$/g) || []).length,
    },
    toc: {
      items: tocItems,
      hidden: document.querySelector('.toc-drawer .no-toc, .toc-title-container.no-toc') !== null,
      left: box ? box.left : null,
      right: box ? box.right : null,
      width: box ? box.width : 0,
    },
  };
}
"""


@pytest.fixture(scope="session")
def visit(
    browser: Any, base_url: str, pytestconfig: pytest.Config
) -> Iterator[Callable[[str, str, str], Visit]]:
    """``visit(page_name, width, theme)``: 페이지를 한 번 열어 재고, 결과를 기억해 둔다.

    문제(옆으로 밀림, 다른 호스트 요청, 심각한 접근성 문제, 스크립트 오류)가 보이면 그 모습을
    pytest-playwright의 ``--output`` 폴더 아래 ``reader/`` 에 화면 전체로 찍어 둔다.
    """
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    shots = Path(pytestconfig.getoption("--output", "test-results")) / "reader"
    cache: dict[tuple[str, str, str], Visit] = {}
    local = urlparse(base_url).netloc

    def run(page_name: str, width: str, theme: str) -> Visit:
        key = (page_name, width, theme)
        if key in cache:
            return cache[key]
        phone = width == "phone"
        context = browser.new_context(
            viewport={"width": WIDTHS[width], "height": 844 if phone else 800},
            is_mobile=phone,
            has_touch=phone,
            color_scheme=theme,
        )
        context.set_default_timeout(60_000)
        outside: list[str] = []

        def route(route: Any) -> None:
            if urlparse(route.request.url).netloc == local:
                route.continue_()
            else:  # 다른 호스트: 막고(오프라인처럼) 기록한다.
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", route)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        url = base_url + page_name
        page.goto(url, wait_until="load")
        if page_name == "search.html":
            page.goto(url + "?q=옵티마이저", wait_until="load")
            page.wait_for_selector("#search-results ul.search li", timeout=60_000)
        measured = page.evaluate(MEASURE)
        results = axe.run(page)
        serious = [
            f"{violation['id']} ({violation['impact']}): "
            + "; ".join(node["target"][0] for node in violation["nodes"][:3])
            for violation in results.response["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        problem = (
            measured["documentWidth"] > measured["viewportWidth"] or outside or serious or errors
        )
        if problem:
            shots.mkdir(parents=True, exist_ok=True)
            name = f"{page_name.replace('/', '_')}-{width}-{theme}.png"
            page.screenshot(path=str(shots / name), full_page=True)
        cache[key] = Visit(
            url=url,
            document_width=measured["documentWidth"],
            viewport_width=measured["viewportWidth"],
            word_break=measured["wordBreak"],
            ui_text=measured["uiText"],
            outside_requests=outside,
            serious=serious,
            images=measured["images"],
            math=measured["math"],
            toc=measured["toc"],
            errors=errors,
        )
        context.close()
        return cache[key]

    yield run


VIEWS = [pytest.param(w, t, id=f"{w}-{t}") for w in WIDTHS for t in THEMES]


@pytest.mark.parametrize(("width", "theme"), VIEWS)
def test_page_does_not_pan_sideways(visit: Any, page_name: str, width: str, theme: str) -> None:
    seen = visit(page_name, width, theme)
    assert seen.document_width <= seen.viewport_width, (
        f"{page_name}: 문서 너비 {seen.document_width}px > 화면 {seen.viewport_width}px"
    )
    assert not seen.errors


@pytest.mark.parametrize(("width", "theme"), VIEWS)
def test_korean_breaks_between_words(visit: Any, page_name: str, width: str, theme: str) -> None:
    seen = visit(page_name, width, theme)
    assert seen.word_break, f"{page_name}: 한국어 문단이 없다"
    assert set(seen.word_break) == {"keep-all"}


@pytest.mark.parametrize(("width", "theme"), VIEWS)
def test_no_english_interface(visit: Any, page_name: str, width: str, theme: str) -> None:
    seen = visit(page_name, width, theme)
    found = sorted({m.group() for text in seen.ui_text for m in _ENGLISH_UI.finditer(text)})
    assert not found, f"{page_name}: 영어 UI 문구 {found}"


@pytest.mark.parametrize(("width", "theme"), VIEWS)
def test_no_request_to_another_host(visit: Any, page_name: str, width: str, theme: str) -> None:
    seen = visit(page_name, width, theme)
    assert seen.outside_requests == []


@pytest.mark.parametrize(("width", "theme"), VIEWS)
def test_no_serious_accessibility_violation(
    visit: Any, page_name: str, width: str, theme: str
) -> None:
    seen = visit(page_name, width, theme)
    assert seen.serious == [], f"{page_name} ({width}, {theme})"


def test_figures_are_vector_and_math_is_mathml(visit: Any, page_name: str) -> None:
    seen = visit(page_name, "phone", "light")
    assert all(urlparse(src).path.endswith(".svg") for src in seen.images), seen.images
    assert seen.math["raw"] == 0, f"{page_name}: 그려지지 않은 수식 원문이 보인다"


def test_figures_and_math_exist_somewhere(visit: Any, site_dir: Path) -> None:
    """위 테스트가 빈 목록으로 통과하지 않게: 사이트에는 그림과 수식이 실제로 있다."""
    pages = site_pages(site_dir)
    seen = [visit(name, "phone", "light") for name in pages]
    assert sum(len(s.images) for s in seen) >= 5
    assert sum(s.math["mathml"] for s in seen) >= 10


def test_page_contents_visible_at_1280(visit: Any, page_name: str) -> None:
    seen = visit(page_name, "desktop", "light")
    if seen.toc["items"] < 2 or seen.toc["hidden"]:
        pytest.skip("이 페이지에는 페이지 목차가 없다")
    assert seen.toc["width"] > 100
    assert seen.toc["left"] >= 0 and seen.toc["right"] <= WIDTHS["desktop"]
