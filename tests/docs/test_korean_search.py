"""한국어 검색 확장(docs/_ext/korean_search/)의 분리기와 정규화.

브라우저 쪽(검색어에서 조사 떼기, 순위)은 tests/browser/test_search.py가 실제 사이트에서 본다.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import korean_search
import pytest
from docutils import nodes
from korean_search import KoreanAnalyser, SearchKorean
from sphinx import addnodes
from sphinx.search.en import SearchEnglish

ROOT = Path(__file__).resolve().parents[2]

VARIANTS = [
    ("텐서플로", "텐서플로우", "TensorFlow"),
    ("그레이디언트", "그래디언트"),
    ("손실 함수", "loss function"),
]


@pytest.fixture(scope="module")
def plain() -> KoreanAnalyser:
    return KoreanAnalyser()


@pytest.fixture(scope="module")
def glossary() -> KoreanAnalyser:
    return KoreanAnalyser(VARIANTS, ["텐서플로", "텐서플로우", "그레이디언트", "그래디언트"])


@pytest.mark.parametrize(
    ("text", "noun"),
    [
        ("텐서플로우는 구글이 만들었다.", "구글"),
        ("모델을 훈련한다.", "모델"),
        ("변수를 만든다.", "변수"),
        ("편향은 0으로 초기화된다.", "편향"),
        ("가중치와 편향을 가진다.", "가중치"),
        ("층에서 계산한다.", "층"),
    ],
)
def test_noun_with_a_particle_is_indexed_bare(plain: KoreanAnalyser, text: str, noun: str) -> None:
    terms = plain.terms(text)
    assert noun in terms
    # Sphinx의 영어 분리기처럼 어절 전체도 남는다(검색어 부분 일치가 쓸 수 있다).
    assert any(term.startswith(noun) and term != noun for term in terms)


def test_whole_words_of_the_default_splitter_are_kept(plain: KoreanAnalyser) -> None:
    text = "텐서플로우는 구글이 만들었다"
    words = plain.split(text)
    assert words[:3] == re.findall(r"\w+", text)


def test_verb_and_adjective_stems_are_indexed(plain: KoreanAnalyser) -> None:
    terms = plain.terms("구글이 만들었다. 값이 작다.")
    assert "만들" in terms
    assert "작" in terms


@pytest.mark.parametrize("text", ["손실 함수를 정의한다", "손실함수를 정의한다"])
def test_compound_nouns_written_together_or_apart(plain: KoreanAnalyser, text: str) -> None:
    terms = plain.terms(text)
    assert {"손실함수", "손실", "함수"} <= set(terms)


def test_three_noun_compound(plain: KoreanAnalyser) -> None:
    terms = plain.terms("딥러닝 작업 환경을 만든다")
    assert {"딥러닝작업환경", "작업환경", "딥러닝작업"} <= set(terms)


def test_no_compound_across_a_verb(plain: KoreanAnalyser) -> None:
    # '시작하기'는 명사구가 아니다: '텐서플로시작'은 색인하지 않는다.
    terms = plain.terms("케라스 시작하기")
    assert "케라스시작" not in terms
    assert "시작" in terms


def test_no_compound_after_a_particle(plain: KoreanAnalyser) -> None:
    assert "모델훈련" not in plain.terms("모델을 훈련 데이터로 학습시킨다")


def test_glossary_variants_map_to_the_first_form(glossary: KoreanAnalyser) -> None:
    assert glossary.normalize("텐서플로우") == "텐서플로"
    assert glossary.normalize("그래디언트") == "그레이디언트"
    assert glossary.normalize("TensorFlow") == "텐서플로"
    assert glossary.normalize("tensorflow") == "텐서플로"
    # 띄어쓰기는 무시한다: 합성어로 색인되는 꼴도 대표 표기를 따른다.
    assert glossary.normalize("lossfunction") == "손실함수"
    assert glossary.normalize("손실함수") == "손실함수"


def test_variant_spellings_index_the_same_term(glossary: KoreanAnalyser) -> None:
    first = glossary.terms("텐서플로우는 그래디언트를 계산한다")
    second = glossary.terms("텐서플로는 그레이디언트를 계산한다")
    assert {"텐서플로", "그레이디언트"} <= set(first) & set(second)


def test_user_words_keep_glossary_terms_whole(glossary: KoreanAnalyser) -> None:
    text = "3.5절 텐서플로 시작하기"
    # 사전이 없으면 Kiwi는 '텐서플로'를 '텐서플' + 조사 '로'로 읽을 수 있다.
    assert "텐서플로" in glossary.analyse(text).bases
    assert set(glossary.analyse(text).bases) >= {"텐서플로", "시작"}


def test_english_and_code_words_match_sphinx_english(plain: KoreanAnalyser) -> None:
    english = SearchEnglish({})
    text = "x = keras.layers.Dense(units=3)  # Layers compute outputs"
    expected = [english.stem(word) for word in re.findall(r"\w+", text)]
    assert plain.terms(text) == expected
    assert plain.normalize("Variable") == english.stem("Variable")


def test_mixed_english_with_particle(plain: KoreanAnalyser) -> None:
    terms = plain.terms("tf.Variable과 GPU에서 실행한다")
    assert {"tf", plain.normalize("Variable"), "gpu", "실행"} <= set(terms)


def test_bases_are_content_words_only(plain: KoreanAnalyser) -> None:
    analysis = plain.analyse("텐서플로우는 구글이 만들었다")
    assert "텐서플로우는" in analysis.words
    assert "텐서플로우는" not in analysis.bases
    assert {"텐서플로우", "구글", "만들"} <= set(analysis.bases)


def test_search_language_counts_terms_per_document() -> None:
    language = SearchKorean({})
    korean_search._STATE.docname = "page"
    korean_search._STATE.counts["page"] = Counter()
    korean_search._STATE.bases["page"] = set()
    try:
        language.split("모델을 만들고 모델을 훈련한다")
    finally:
        korean_search._STATE.docname = None
    counts = korean_search._STATE.counts.pop("page")
    bases = korean_search._STATE.bases.pop("page")
    assert counts["모델"] == 2
    assert "모델" in bases and "모델을" not in bases
    assert language.lang == "ko"
    assert language.stem("모델") == "모델"


def test_word_filter_drops_digits_and_stopwords() -> None:
    language = SearchKorean({})
    assert language.word_filter("모델")
    assert language.word_filter("층")
    assert not language.word_filter("42")
    assert not language.word_filter("the")
    assert not language.word_filter("법")


def test_search_data_keeps_frequencies_of_base_terms() -> None:
    counts = {"a": Counter({"모델": 3, "모델을": 1}), "b": Counter({"모델": 1})}
    bases = {"a": {"모델"}, "b": {"모델"}}
    data = korean_search.search_data(counts, bases, ["b", "a"])
    assert data["docs"] == ["a", "b"]
    assert data["lengths"] == [4, 1]
    assert data["bases"] == ["모델"]
    assert data["tf"] == {"모델": [[0, 3], [1, 1]]}


def test_glossary_groups_read_every_term_line() -> None:
    item = nodes.definition_list_item(
        "",
        nodes.term("", "그레이디언트"),
        nodes.term("", "그래디언트"),
        nodes.definition("", nodes.paragraph("", "*gradient*.")),
    )
    single = nodes.definition_list_item(
        "", nodes.term("", "편향"), nodes.definition("", nodes.paragraph("", "*bias*."))
    )
    document = nodes.section("", addnodes.glossary("", nodes.definition_list("", item, single)))
    assert korean_search.glossary_groups(document) == [("그레이디언트", "그래디언트"), ("편향",)]


def test_javascript_carries_the_same_tables(glossary: KoreanAnalyser) -> None:
    code = korean_search.render_js(glossary)
    assert "@VARIANTS@" not in code and "@ENDINGS@" not in code
    assert '"그래디언트": "그레이디언트"' in code
    assert "var Stemmer = function" in code
    assert "EnglishStemmer" in code
    # sphinx-doc/sphinx#14229: Sphinx 9.0/9.1 emits 'window.Stemmer = KoreanStemmer' for
    # languages with js_stemmer_rawcode; this language must not rely on it.
    assert "window.Stemmer" not in code
    assert SearchKorean.js_stemmer_rawcode == ""
    endings = re.search(r"const endings = (\[.*?\]);", code)
    assert endings is not None
    lengths = [len(e) for e in endings.group(1).strip("[]").replace('"', "").split(", ")]
    assert lengths == sorted(lengths, reverse=True)


def test_indexing_the_site_costs_little(plain: KoreanAnalyser) -> None:
    # Not a timing test: the analyser must reuse one Kiwi instance and memoise texts.
    text = "케라스는 파이썬으로 작성된 딥러닝 API다"
    assert plain.split(text) is plain.split(text)
    assert plain.kiwi is KoreanAnalyser().kiwi


def test_the_analyser_is_pure_python_without_sphinx() -> None:
    """분석기(korean_search.analyser)는 Sphinx 없이 돈다: 새 인터프리터에서 불러 본다."""
    import subprocess

    code = (
        "import sys; sys.path.insert(0, 'docs/_ext');"
        "import korean_search.analyser as a;"
        "print(a.KoreanAnalyser([['옵티마이저', '옵티마이져']]).normalize('옵티마이져'));"
        "print(any(m == 'sphinx' or m.startswith('sphinx.') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["옵티마이저", "False"]


def test_query_splitter_and_scorer_are_sphinx_hooks(glossary: KoreanAnalyser) -> None:
    """검색어 처리(Stemmer, splitQuery)는 검색 언어 코드에, 순위는 html_search_scorer 파일에."""
    code = korean_search.render_js(glossary)
    assert "var Stemmer = function" in code
    assert "var splitQuery = " in code
    assert "Scorer.score =" not in code  # 페이지를 읽을 때 덮어쓰지 않는다
    scorer = korean_search.SCORER.read_text(encoding="utf-8")
    assert re.search(r"^var Scorer = \{", scorer, re.M)
    # searchtools.js는 Scorer가 이미 있으면 제 기본값을 쓰지 않는다: 기본 가중치를 모두 갖춘다.
    for key in ("objNameMatch", "objPartialMatch", "objPrio", "objPrioDefault", "title",
                "partialTitle", "term", "partialTerm"):  # fmt: skip
        assert re.search(rf"^\s+{key}:", scorer, re.M), key


@pytest.mark.site  # reads the built site (skipped without --site-dir)
def test_search_page_uses_the_scorer_file(site_dir: Path) -> None:
    language_data = (site_dir / "_static" / "language_data.js").read_text(encoding="utf-8")
    assert "KoreanSearch.textScore(docname, KoreanSearch.lastTerms, score)" in language_data
    assert "var Stemmer = function" in language_data


def test_compound_nouns_index_their_tail(glossary: KoreanAnalyser) -> None:
    """붙여 쓴 합성 명사의 뒷부분도 색인한다: '경사 하강법' 검색(두 단어 모두)이 맞는다."""
    terms = glossary.terms("미니 배치 경사하강법을 쓴다")
    assert {"경사하강법", "경사", "하강법"} <= set(terms)
