"""용어집의 첫 글자 바로 가기와 읽을 수 있는 앵커(docs/_ext/glossary_index.py)."""

from __future__ import annotations

import re
from pathlib import Path

import glossary_index
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("term", "initial"),
    [("가중치", "ㄱ"), ("깊이", "ㄱ"), ("텐서", "ㅌ"), ("쌍곡", "ㅅ"), ("GPU", "G"),
     ("tf.function", "T"), ("2계 그레이디언트", None)],
)  # fmt: skip
def test_initial_of(term: str, initial: str | None) -> None:
    assert glossary_index.initial_of(term) == initial


def test_readable_id_keeps_the_term() -> None:
    assert glossary_index.readable_id("경사 하강법") == "term-경사-하강법"
    assert glossary_index.readable_id("tf.GradientTape") == "term-tf-gradienttape"


def test_jump_index_links_present_letters_only() -> None:
    html = glossary_index.jump_index_html({"ㄱ": "term-가중치", "A": "term-api"})
    assert re.findall(r'href="#([^"]+)">(.)<', html) == [("term-가중치", "ㄱ"), ("term-api", "A")]
    # 용어가 없는 초성도 자리를 지키되 링크가 아니다.
    assert '<span aria-hidden="true">ㄴ</span>' in html
    assert html.count("<li>") == 14 + 1


@pytest.mark.site
def test_built_glossary_uses_readable_anchors(site_dir: Path) -> None:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((site_dir / "glossary.html").read_text(encoding="utf-8"), "html.parser")
    terms = soup.select("dl.glossary > dt")
    assert len(terms) > 50
    for dt in terms:
        # 같은 앵커가 되는 용어(ReLU, relu)는 뒤의 것에 -2가 붙는다.
        wanted = glossary_index.readable_id(dt.get_text().replace("¶", "").strip())
        assert re.fullmatch(re.escape(wanted) + r"(-\d+)?", dt["id"]), dt["id"]
    # 다른 페이지의 용어 링크도 읽을 수 있는 앵커로 간다.
    page = (site_dir / "ch03" / "keras.html").read_text(encoding="utf-8")
    links = re.findall(r'href="\.\./glossary\.html#([^"]+)"', page)
    assert links and all(not re.fullmatch(r"term-\d+", a) for a in links)
    ids = {dt["id"] for dt in terms}
    assert set(links) <= ids
