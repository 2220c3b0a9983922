"""Sphinx HTML 검색에 한국어를 더하는 확장(패키지).

Sphinx에는 한국어 검색 언어가 없어서 ``language = "ko"`` 이면 영어 분리기로 색인한다. 그러면
조사가 붙은 어절(``텐서플로우는``, ``모델을``)이 통째로 색인되고, 브라우저 쪽 부분 일치는 세
글자 이상인 검색어에만 적용되므로 ``모델``, ``변수``, ``편향`` 같은 두 음절 명사로는 아무것도
찾지 못한다.

이 확장은 ``app.add_search_language`` 로 한국어 검색 언어(:class:`SearchKorean`)를 등록한다.

색인할 때(파이썬, kiwipiepy 형태소 분석기):

* 어절 전체(Sphinx 기본 분리기가 만드는 단어)를 그대로 색인한다.
* 내용 형태소를 색인한다: 일반·고유 명사, 외국어(영어 단어), 한자, 어근, 동사·형용사 어간.
* 어절 안의 명사 연쇄(``밀집층``, ``역전파``, ``손실함수``)와, 띄어 쓴 명사 어절의 합성
  (``손실 함수`` → ``손실함수``)을 색인해 붙여 쓰든 띄어 쓰든 찾게 한다.
* 용어집(``docs/glossary.md``)의 한 항목에 나란히 적힌 표기(``텐서플로`` / ``텐서플로우``)를
  모두 첫 표기로 바꿔 색인한다. 용어집의 한 단어 용어는 형태소 분석기의 사용자 사전에도 넣는다.

검색할 때(브라우저, ``search.js``): 입력한 단어에서 조사와 흔한 어미를 떼어 내되, 뗀 결과가
색인된 명사·어간일 때만 뗀다(``결과``, ``정의`` 의 끝 글자는 조사가 아니다). 표기 변형은 색인할 때와
같은 표로 바꾼다. 영어와 코드 단어는 Sphinx의 영어 검색과 똑같이 Snowball 영어 어간 추출기로 다룬다.
합성 명사는 뒷부분도 색인하므로(``경사하강법`` → ``하강법``) 띄어 쓴 검색어(``경사 하강법``)가
붙여 쓴 페이지도 찾는다. 검색어의 표기 변형(``옵티마이져``)은 검색 전에 대표 표기로 바꾼다.
결과 순위는 Sphinx의 ``html_search_scorer`` 로 넘기는 ``scorer.js`` 가 BM25 점수(단어 빈도, 드문
정도, 문서 길이)로 매긴다. 용어집 용어에 맞은 결과의 요약에는 그 용어의 뜻풀이를 보인다.

패키지의 구성: ``analyser`` (순수한 형태소 분석과 정규화), ``javascript`` (브라우저 코드 채우기와
보조 데이터 계산), 이 모듈(Sphinx 검색 언어, 이벤트, 빌드 사이의 상태 저장).

Sphinx 9.0/9.1은 ``js_stemmer_rawcode`` 를 쓰는 검색 언어에 대해 존재하지 않는 이름
(``window.Stemmer = KoreanStemmer``)을 내보낸다(sphinx-doc/sphinx#14229). 이 확장은
``js_stemmer_rawcode`` 를 쓰지 않고 ``js_stemmer_code`` 에 전체 코드를 직접 넣는다.

Config:
    korean_search: ``False`` 이면 등록하지 않는다(Sphinx 기본 검색과 비교할 때
    ``-D korean_search=0``).
    korean_search_glossary: 표기 변형과 사용자 사전을 읽을 용어집 문서 이름(기본 ``"glossary"``).
    korean_search_variants: 용어집 밖에서 더할 표기 변형 묶음. 각 묶음의 첫 표기가 대표 표기다.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .analyser import KOREAN_STOPWORDS, QUERY_ENDINGS, Analysis, KoreanAnalyser

if TYPE_CHECKING:
    from sphinx.application import Sphinx

__all__ = ["KOREAN_STOPWORDS", "QUERY_ENDINGS", "Analysis", "KoreanAnalyser", "setup"]


def setup(app: Sphinx) -> dict[str, Any]:
    from .sphinx_glue import setup as setup_extension

    return setup_extension(app)


def __getattr__(name: str) -> Any:
    """Sphinx 쪽 이름(``SearchKorean``, ``render_js`` …)은 처음 쓸 때 불러온다: 분석기만 쓰는
    코드(``korean_search.analyser``)는 Sphinx 없이 돈다."""
    import importlib

    if name.startswith("__") or name == "sphinx_glue":
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.sphinx_glue"), name)
