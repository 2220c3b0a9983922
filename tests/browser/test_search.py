"""한국어 검색: 사이드바 검색 상자에 한국어를 입력하고 검색 결과 페이지를 확인한다.

기대하는 결과는 빌드된 페이지의 본문에서 계산한다. 예를 들어 '구글' 뒤에 조사가 붙은 채로만 쓰인
페이지(``구글이``, ``구글의``)도 '구글' 검색에 나와야 한다. Sphinx 기본 검색은 이런 페이지를 찾지
못한다(색인에 '구글이'만 있고, 두 글자 검색어는 부분 일치도 하지 않는다).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.browser

#: 검색이 끝났는가: searchtools.js는 결과를 다 그린 뒤 제목을 '검색 중'에서 '검색 결과'로
#: 바꾼다. 진행 표시(``Search._pulse_status``)는 쓸 수 없다: 멈춘 뒤에도 이미 예약된 타이머가
#: 다시 켠다.
SEARCH_DONE = (
    "() => { const h = document.querySelector('#search-results h2');"
    " return h !== null && h.innerText.trim() === Documentation.gettext('Search Results'); }"
)

PARTICLES = "은|는|이|가|을|를|의|에|에서|으로|로|와|과|도|만"


def search(page: Any, base_url: str, query: str, kinds: str = "") -> list[str]:
    """색인 페이지의 검색 상자에 입력하고, 결과 목록의 문서 이름을 순서대로 돌려준다."""
    page.goto(base_url + "index.html")
    box = page.locator("input.sidebar-search")
    box.fill(query)
    with page.expect_navigation():
        box.press("Enter")
    assert "search.html?q=" in page.url
    page.wait_for_function(SEARCH_DONE, timeout=60_000)
    selector = f"#search-results ul.search > li{kinds} > a"
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    names = []
    for href in hrefs:
        url, _ = urldefrag(urljoin(page.url, href))
        names.append(urlparse(url).path[len(urlparse(base_url).path) :].removesuffix(".html"))
    return names


def text_results(page: Any, base_url: str, query: str) -> set[str]:
    """본문 일치(kind-text) 결과의 문서 이름들."""
    return set(search(page, base_url, query, kinds=".kind-text"))


@cache
def page_texts(site_dir: Path) -> dict[str, str]:
    """검색 색인에 든 문서마다 본문 텍스트(색인하지 않는 노트북 링크 상자는 뺀다)."""
    raw = (site_dir / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])
    texts = {}
    for docname in index["docnames"]:
        soup = BeautifulSoup((site_dir / f"{docname}.html").read_text("utf-8"), "html.parser")
        article = soup.find("article")
        assert article is not None
        for box in article.select(".notebook-links, .headerlink"):
            box.decompose()
        texts[docname] = article.get_text(" ")
    return texts


def pages_using_only_with_particles(site_dir: Path, noun: str) -> set[str]:
    """``noun`` 이 조사와 붙은 꼴(``구글이``)로 쓰인 페이지들."""
    pattern = re.compile(rf"(?<![가-힣]){noun}(?:{PARTICLES})(?![가-힣])")
    return {doc for doc, text in page_texts(site_dir).items() if pattern.search(text)}


@pytest.mark.parametrize("noun", ["구글", "모델", "변수", "편향", "텐서", "케라스"])
def test_two_syllable_nouns_find_pages_that_use_them_with_particles(
    page: Any, base_url: str, site_dir: Path, noun: str, page_errors: list[str]
) -> None:
    expected = pages_using_only_with_particles(site_dir, noun)
    assert expected, f"'{noun}'에 조사가 붙은 페이지가 사이트에 없다: 검사할 것이 없다"
    found = set(search(page, base_url, noun))
    assert expected <= found, f"'{noun}' 검색에서 빠진 페이지: {sorted(expected - found)}"
    assert not page_errors


@pytest.mark.parametrize("noun", ["구글", "편향", "씨아노"])
def test_results_contain_the_word(page: Any, base_url: str, site_dir: Path, noun: str) -> None:
    found = text_results(page, base_url, noun)
    assert found
    texts = page_texts(site_dir)
    assert all(noun in texts[doc] for doc in found), "검색어가 없는 페이지가 결과에 있다"


@pytest.mark.parametrize(
    ("typed", "bare"),
    [
        ("모델을", "모델"),
        ("텐서플로우는", "텐서플로우"),
        ("구글이", "구글"),
        ("가중치와", "가중치"),
        ("역전파를", "역전파"),
        ("손실 함수를", "손실 함수"),
    ],
)
def test_particles_typed_in_the_query_are_stripped(
    page: Any, base_url: str, typed: str, bare: str
) -> None:
    # 문서 단위로 견준다: 용어집은 조사 없는 검색어로는 용어(색인 항목)로, 조사가 붙은 검색어로는
    # 본문 일치로 나온다.
    bare_results = set(search(page, base_url, bare))
    assert bare_results
    assert set(search(page, base_url, typed)) == bare_results


@pytest.mark.parametrize(
    ("first", "second"), [("텐서플로", "텐서플로우"), ("그레이디언트", "그래디언트")]
)
def test_glossary_spelling_variants_find_each_other(
    page: Any, base_url: str, site_dir: Path, first: str, second: str
) -> None:
    # 용어집은 본문 일치 대신 용어(색인 항목)로 나올 수 있으므로 모든 종류의 결과를 본다.
    results = set(search(page, base_url, first))
    assert results == set(search(page, base_url, second))
    using_either = {
        doc
        for doc, text in page_texts(site_dir).items()
        if re.search(rf"(?<![가-힣])({first}|{second})", text)
    }
    assert using_either <= results


def test_compound_written_together_or_apart(page: Any, base_url: str, site_dir: Path) -> None:
    """'손실함수'로도 '손실 함수'로도, 어느 쪽으로 쓴 페이지든 찾는다."""
    together = set(search(page, base_url, "손실함수"))
    apart = set(search(page, base_url, "손실 함수"))
    using = {doc for doc, text in page_texts(site_dir).items() if re.search(r"손실 ?함수", text)}
    assert using
    assert using <= together
    # 띄어 쓴 검색어는 두 단어가 모두 있는 페이지를 찾는다(붙어 있지 않아도 된다).
    assert together <= apart


@pytest.mark.parametrize("word", ["GradientTape", "Sequential", "set_random_seed"])
def test_english_and_code_words(page: Any, base_url: str, site_dir: Path, word: str) -> None:
    using = {
        doc
        for doc, text in page_texts(site_dir).items()
        if re.search(rf"\b{word}\b", text, re.IGNORECASE)
    }
    assert using
    assert using <= set(search(page, base_url, word))


def test_api_objects_are_found_by_name(page: Any, base_url: str) -> None:
    results = search(page, base_url, "SimpleDense", kinds=".kind-object")
    assert "api" in results


def test_the_page_uses_the_korean_stemmer(page: Any, base_url: str) -> None:
    """language_data.js의 Stemmer가 한국어 것인지, 조사를 실제로 떼는지 브라우저에서 본다.

    Sphinx 9.0/9.1은 js_stemmer_rawcode를 쓰는 언어에 ``window.Stemmer = KoreanStemmer`` 같은
    없는 이름을 내보낸다(sphinx-doc/sphinx#14229). 그러면 검색 페이지가 스크립트 오류로 멈춘다.
    """
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(base_url + "search.html?q=%EB%AA%A8%EB%8D%B8%EC%9D%84")
    assert response is not None and response.ok
    page.wait_for_function(SEARCH_DONE, timeout=60_000)
    assert not errors
    stems = page.evaluate(
        """() => {
          const stemmer = new Stemmer();
          return ["모델을", "텐서플로우는", "그래디언트를", "GradientTapes", "Layers"]
            .map((w) => stemmer.stemWord(w));
        }"""
    )
    # 용어집: '텐서플로'(대표) / '텐서플로우', '그레이디언트'(대표) / '그래디언트'.
    assert stems[:3] == ["모델", "텐서플로", "그레이디언트"]
    # 영어는 Sphinx 영어 검색과 같은 Snowball 어간(용어집이 한국어로 묶었으면 그 대표 표기).
    assert stems[3] in {"gradienttap", "그레이디언트테이프"}
    assert stems[4] in {"layer", "층"}
    language_data = page.request.get(base_url + "_static/language_data.js").text()
    assert "window.Stemmer =" not in language_data
    assert "KoreanSearch" in language_data


def test_search_reports_the_number_of_pages(page: Any, base_url: str) -> None:
    found = search(page, base_url, "구글")
    status = page.inner_text("#search-results .search-summary")
    count = re.search(r"(\d+)개", status)
    assert count is not None, f"검색 결과 수가 보이지 않는다: {status!r}"
    assert int(count.group(1)) == len(found) > 0


def test_result_summaries_leave_out_the_notebook_links(page: Any, base_url: str) -> None:
    search(page, base_url, "코랩에서 실행하기")
    page.wait_for_function(
        "() => document.querySelectorAll('#search-results p.context').length > 0"
    )
    page.wait_for_timeout(500)  # 요약문은 결과 페이지를 하나씩 받아 와서 붙인다.
    summaries = page.locator("#search-results p.context").all_inner_texts()
    assert summaries
    assert not any("노트북 내려받기" in text for text in summaries)


# -- 표기 변형, 띄어쓰기, 용어집 결과 -----------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("옵티마이져", "옵티마이저"),
        pytest.param(
            "경사 하강법", "경사하강법",
            # Seen December 2026 after the glossary gained 배치 경사하강법: the spaced query lists
            # the glossary twice and one page fewer. Strict: the day it is fixed, this fails.
            marks=pytest.mark.xfail(reason="띄어 쓴 질의에서 용어집이 두 번 나온다", strict=True),
        ),
        ("옵티마이져를", "옵티마이저를"),
    ],
)  # fmt: skip
def test_spelling_and_spacing_variants_find_what_the_canonical_form_finds(
    page: Any, base_url: str, variant: str, canonical: str
) -> None:
    expected = search(page, base_url, canonical)
    assert len(expected) >= 2
    assert search(page, base_url, variant) == expected


def test_glossary_hit_shows_the_definition_once(page: Any, base_url: str) -> None:
    search(page, base_url, "옵티마이저")
    items = page.locator("#search-results ul.search > li")
    hrefs = items.evaluate_all("els => els.map(e => e.querySelector('a').getAttribute('href'))")
    glossary = [h for h in hrefs if h.startswith("glossary.html")]
    # 용어 하나(읽을 수 있는 앵커)로 한 번만 나오고, 같은 페이지의 본문 일치는 겹쳐 나오지 않는다.
    assert glossary == ["glossary.html#term-옵티마이저"]
    hit = items.filter(has=page.locator('a[href="glossary.html#term-옵티마이저"]'))
    hit.locator("p.context").wait_for()
    summary = hit.inner_text()
    assert "optimizer" in summary and "가중치" in summary  # 뜻풀이가 보인다
    assert len(hrefs) == len(set(h.split("#")[0] for h in hrefs))


def test_glossary_has_a_jump_index_to_readable_anchors(page: Any, base_url: str) -> None:
    page.goto(base_url + "glossary.html")
    links = page.locator("nav.glossary-jump a")
    assert links.count() >= 10
    for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        assert re.fullmatch(r"#term-[\w-]+", href), href
        assert page.locator(f"[id='{href[1:]}']").count() == 1
    page.locator("nav.glossary-jump a", has_text="ㅇ").click()
    assert re.search(r"#term-\w", unquote(page.url))
