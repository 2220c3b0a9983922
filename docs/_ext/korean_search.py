"""Sphinx HTML 검색에 한국어를 더하는 확장.

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

검색할 때(브라우저, ``korean_search.js``): 입력한 단어에서 조사와 흔한 어미를 떼어 내되, 뗀 결과가
색인된 명사·어간일 때만 뗀다(``결과``, ``정의`` 의 끝 글자는 조사가 아니다). 표기 변형은 색인할 때와
같은 표로 바꾼다. 영어와 코드 단어는 Sphinx의 영어 검색과 똑같이 Snowball 영어 어간 추출기로 다룬다.
결과 순위에는 BM25 점수(단어 빈도, 드문 정도, 문서 길이)를 더한다.

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

import functools
import json
import pickle
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import snowballstemmer
from docutils import nodes
from sphinx import addnodes, package_dir
from sphinx.search import SearchLanguage
from sphinx.search.en import SearchEnglish
from sphinx.util import logging

if TYPE_CHECKING:
    from kiwipiepy import Kiwi, Token
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
JS_TEMPLATE = HERE / "korean_search.js"
#: 빌드 결과의 ``_static/`` 에 쓰는 검색 보조 데이터(대표 단어 목록과 단어 빈도).
DATA_FILENAME = "korean_search_data.js"
_STATE_FILENAME = "korean_search.pickle"
_STATE_VERSION = 2

_HANGUL = re.compile("[\uac00-\ud7a3]")
_HANGUL_WORD = re.compile("[\uac00-\ud7a3]+")
_WORD = re.compile(r"\w+")
_EOJEOL = re.compile(r"\S+")
_ASCII_WORD = re.compile(r"[a-z0-9_]+")
_SPACE = re.compile(r"\s+")

#: 따로 색인하는 내용 형태소: 일반 명사, 고유 명사, 외국어, 한자, 어근, 동사 어간, 형용사 어간.
CONTENT_TAGS = frozenset({"NNG", "NNP", "SL", "SH", "XR", "VV", "VA"})
#: 명사 연쇄(합성어)를 이루는 형태소: 명사, 접두사, 명사 파생 접미사(``-층``, ``-치``), 어근, 한자.
SPAN_TAGS = frozenset({"NNG", "NNP", "XPN", "XSN", "XR", "SH"})
#: 이 형태소가 명사 연쇄 뒤에 오면 그 어절은 명사구가 아니다(``시작하기``, ``정의된``).
VERBAL_TAGS = frozenset({"XSV", "XSA", "VV", "VA", "VX"})
#: 띄어 쓴 명사 어절을 몇 개까지 붙여 색인하는가(``딥러닝 작업 환경`` → ``딥러닝작업환경``).
MAX_COMPOUND = 3

#: 검색어에서 떼어 낼 수 있는 조사와 어미. 브라우저가 최대 세 번 거듭 떼어 보고(``모델들을`` →
#: ``모델들`` → ``모델``), 뗀 결과가 색인된 대표 단어일 때만 받아들인다.
QUERY_ENDINGS: tuple[str, ...] = (
    # 조사
    "은", "는", "이", "가", "을", "를", "의", "에", "에서", "에게", "께서", "한테", "로",
    "으로", "로서", "으로서", "로써", "으로써", "로부터", "으로부터", "와", "과", "도", "만",
    "까지", "부터", "마저", "조차", "처럼", "보다", "만큼", "이나", "나", "이란", "란", "이라는",
    "라는", "이라고", "라고", "이라", "이며", "며", "랑", "이랑", "이다", "입니다", "이에요",
    "예요", "이지만", "인", "임", "이고", "든지", "이든지",
    # 명사 뒤 접미사
    "들", "적", "적인", "적으로",
    # 하다·되다·시키다 동사의 활용
    "하다", "한다", "하는", "하고", "하며", "하면", "하여", "해", "해서", "했다", "하였다",
    "합니다", "할", "한", "함", "하기", "하지", "하게", "해야", "하려면", "하자", "해도", "했을",
    "하던", "된다", "되다", "되는", "되고", "되며", "되면", "되어", "돼", "돼서", "됐다", "되었다",
    "됩니다", "될", "된", "됨", "되기", "되지", "되게", "시킨다", "시키다", "시키는", "시키고",
    "시켜", "시킨", "시킬",
    # 동사·형용사 어간 뒤 어미
    "다", "는다", "고", "면", "으면", "어", "아", "어서", "아서", "었다", "았다", "기", "게", "지",
    "려면", "으려면", "습니다", "니다", "는지", "은지", "던",
)  # fmt: skip


#: 검색어에서 건너뛰는 한국어 단어(색인에도 넣지 않는다): 의존 명사와 의문사.
#: ``만드는 법``, ``어떻게 설치`` 처럼 묻는 말에 붙는 단어가 모든 단어 일치(AND)를 깨지 않게 한다.
KOREAN_STOPWORDS = frozenset(
    {"것", "수", "등", "때", "법", "뭐", "무엇", "어떻게", "왜", "어디", "언제", "누가", "누구"}
)


# -- 형태소 분석 ---------------------------------------------------------------------------------


@functools.cache
def _kiwi(user_words: tuple[str, ...]) -> Kiwi:
    """사용자 사전을 더한 Kiwi를 한 번만 만든다(모델을 읽는 데 1초쯤 걸린다)."""
    from kiwipiepy import Kiwi

    # 오타 교정·다어절 사전은 색인에 쓰지 않는다: 읽는 시간이 세 배로 는다.
    kiwi = Kiwi(num_workers=1, load_typo_dict=False, load_multi_dict=False)
    for word in user_words:
        kiwi.add_user_word(word, "NNP", 0.0)
    return kiwi


def _base_tag(tag: str) -> str:
    # Kiwi는 불규칙 활용을 'VV-I', 'VA-R' 처럼 표시한다.
    return tag.split("-", 1)[0]


@dataclass(frozen=True)
class Analysis:
    """텍스트 한 조각을 색인용 단어로 나눈 결과.

    Attributes:
        words: 색인할 단어(정규화 전). 어절 전체, 내용 형태소, 명사 연쇄, 합성어 순이다.
        bases: ``words`` 중 대표 단어(내용 형태소·명사 연쇄·합성어). 검색어에서 조사를 뗀 결과가
            여기 있어야 떼기를 받아들인다.
    """

    words: list[str]
    bases: list[str]


@dataclass
class _Eojeol:
    text: str
    tokens: list[Token] = field(default_factory=list)

    def lead_span(self, start: int) -> tuple[str, int]:
        """어절 맨 앞의 명사 연쇄(표면형)와 그 형태소 수."""
        tokens = self.tokens
        if not tokens or tokens[0].start != start or _base_tag(tokens[0].tag) not in SPAN_TAGS:
            return "", 0
        end = tokens[0].end
        count = 1
        for token in tokens[1:]:
            if _base_tag(token.tag) not in SPAN_TAGS or token.start != end:
                break
            end = token.end
            count += 1
        return self.text[: end - start], count


class KoreanAnalyser:
    """한국어 텍스트를 검색 색인용 단어로 나누고, 단어를 대표형으로 정규화한다.

    Args:
        variants: 표기 변형 묶음들. 각 묶음의 첫 표기가 대표 표기다. 띄어쓰기는 무시한다
            (``손실 함수`` 와 ``손실함수`` 는 같은 표기다).
        user_words: 형태소 분석기가 쪼개지 않아야 할 한 단어 용어(사용자 사전).

    Example:
        >>> analyser = KoreanAnalyser([["텐서플로", "텐서플로우"]], ["텐서플로"])
        >>> [analyser.normalize(w) for w in analyser.split("텐서플로우는 구글이 만들었다")]
        ['텐서플로우는', '구글이', '만들었다', '텐서플로', '구글', '만들']
    """

    def __init__(
        self,
        variants: Iterable[Sequence[str]] = (),
        user_words: Iterable[str] = (),
    ) -> None:
        self.variants: dict[str, str] = {}
        for group in variants:
            keys = [_variant_key(term) for term in group]
            keys = [key for key in keys if key]
            for key in keys[1:]:
                if key != keys[0]:
                    self.variants.setdefault(key, keys[0])
        self.user_words = tuple(sorted(set(user_words)))
        self._english = snowballstemmer.stemmer("english")
        self.split = functools.lru_cache(maxsize=65536)(self._split)
        self.normalize = functools.lru_cache(maxsize=65536)(self._normalize)

    @property
    def kiwi(self) -> Kiwi:
        return _kiwi(self.user_words)

    def _normalize(self, word: str) -> str:
        """색인과 검색에서 똑같이 쓰는 정규화: 소문자, 표기 변형, 영어 어간."""
        lowered = word.lower()
        if lowered in self.variants:
            return self.variants[lowered]
        if _ASCII_WORD.fullmatch(lowered) and not lowered.isdigit():
            stemmed: str = self._english.stemWord(lowered)
            return self.variants.get(stemmed, stemmed)
        return lowered

    def analyse(self, text: str) -> Analysis:
        """텍스트를 색인용 단어와 대표 단어로 나눈다."""
        words: list[str] = _WORD.findall(text)
        if not _HANGUL.search(text):
            # 영어와 코드: Sphinx 기본 분리기와 같다. 영어 단어는 모두 대표 단어다.
            return Analysis(words, list(words))
        eojeols = [(m.start(), _Eojeol(m.group())) for m in _EOJEOL.finditer(text)]
        starts = [start for start, _ in eojeols]
        index = 0
        for token in self.kiwi.tokenize(text):
            while index + 1 < len(starts) and token.start >= starts[index + 1]:
                index += 1
            eojeols[index][1].tokens.append(token)

        bases: list[str] = []
        # (어절 앞 명사 연쇄, 어절 전체가 명사 연쇄인가, 명사 연쇄 뒤가 조사·문장 부호뿐인가)
        leads: list[tuple[str, bool, bool]] = []
        for start, eojeol in eojeols:
            tokens = eojeol.tokens
            for token in tokens:
                if _base_tag(token.tag) in CONTENT_TAGS:
                    bases.append(token.form)
            # 어절 안의 명사 연쇄(형태소 둘 이상): 표면형 그대로.
            run: list[Token] = []
            for token in [*tokens, None]:
                if (
                    token is not None
                    and _base_tag(token.tag) in SPAN_TAGS
                    and (not run or run[-1].end == token.start)
                ):
                    run.append(token)
                    continue
                if len(run) > 1:
                    bases.append(text[run[0].start : run[-1].end])
                run = [token] if token is not None and _base_tag(token.tag) in SPAN_TAGS else []
            lead, count = eojeol.lead_span(start)
            if lead and not _HANGUL_WORD.fullmatch(lead):
                lead = ""
            nominal = not any(_base_tag(t.tag) in VERBAL_TAGS for t in tokens[count:])
            leads.append((lead, bool(lead) and count == len(tokens), nominal))
        # 띄어 쓴 명사 어절의 합성: 앞 어절이 명사로만 되어 있으면 다음 어절의 앞 명사와 잇는다.
        for i in range(len(leads)):
            parts: list[str] = []
            for lead, bare, nominal in leads[i : i + MAX_COMPOUND]:
                if not lead or not nominal:
                    break
                parts.append(lead)
                if len(parts) > 1:
                    bases.append("".join(parts))
                if not bare:
                    break
        return Analysis(words + bases, bases)

    def _split(self, text: str) -> list[str]:
        return self.analyse(text).words

    def terms(self, text: str) -> list[str]:
        """색인에 실제로 들어가는 단어(정규화한 뒤)."""
        return [self.normalize(word) for word in self.split(text)]

    def js_variants(self) -> dict[str, str]:
        return dict(sorted(self.variants.items()))


def _variant_key(term: str) -> str:
    return _SPACE.sub("", term.strip()).lower()


# -- Sphinx 검색 언어 ------------------------------------------------------------------------------


@dataclass
class _BuildState:
    """빌드 사이에 이어지는 상태: 문서마다 색인한 단어의 빈도와 대표 단어."""

    analyser: KoreanAnalyser = field(default_factory=KoreanAnalyser)
    table: tuple[tuple[tuple[str, ...], ...], tuple[str, ...]] = ((), ())
    docname: str | None = None
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    bases: dict[str, set[str]] = field(default_factory=dict)
    index_entries: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)


_STATE = _BuildState()


class SearchKorean(SearchLanguage):
    """한국어 검색 언어: kiwipiepy로 색인하고 브라우저에서 조사를 뗀다."""

    lang = "ko"
    language_name = "Korean"
    stopwords = SearchEnglish.stopwords | KOREAN_STOPWORDS
    # js_stemmer_rawcode는 비워 둔다(sphinx-doc/sphinx#14229): 코드는 js_stemmer_code에 있다.
    js_stemmer_rawcode = ""

    def __init__(self, options: dict[str, str]) -> None:
        super().__init__(options)
        self.analyser = _STATE.analyser

    @property  # type: ignore[override]
    def js_stemmer_code(self) -> str:
        return render_js(self.analyser)

    def split(self, input: str) -> list[str]:
        analysis = self.analyser.analyse(input) if input else Analysis([], [])
        docname = _STATE.docname
        if docname is not None:
            counts = _STATE.counts.setdefault(docname, Counter())
            bases = _STATE.bases.setdefault(docname, set())
            normalize = self.analyser.normalize
            for word in analysis.words:
                term = normalize(word)
                if self.word_filter(term):
                    counts[term] += 1
            bases.update(t for t in map(normalize, analysis.bases) if self.word_filter(t))
        return analysis.words

    def stem(self, word: str) -> str:
        return self.analyser.normalize(word)

    def word_filter(self, word: str) -> bool:
        return bool(word) and not word.isdigit() and word not in self.stopwords


def render_js(analyser: KoreanAnalyser) -> str:
    """language_data.js에 들어갈 검색어 처리 코드(Stemmer, Scorer.score)를 만든다."""
    minified = Path(package_dir, "search", "minified-js")
    english = "\n".join(
        (minified / name).read_text(encoding="utf-8")
        for name in ("base-stemmer.js", "english-stemmer.js")
    )
    endings = sorted(set(QUERY_ENDINGS), key=lambda e: (-len(e), e))
    code = JS_TEMPLATE.read_text(encoding="utf-8")
    replacements = {
        "/*@ENGLISH_STEMMER@*/": english,
        '"@VARIANTS@"': json.dumps(analyser.js_variants(), ensure_ascii=False),
        '"@ENDINGS@"': json.dumps(endings, ensure_ascii=False),
        '"@DATA_FILENAME@"': json.dumps(DATA_FILENAME),
    }
    for marker, value in replacements.items():
        if marker not in code:
            raise RuntimeError(f"{JS_TEMPLATE.name}에 자리 표시 {marker}가 없다")
        code = code.replace(marker, value)
    return code


# -- 용어집에서 표기 변형 읽기 ---------------------------------------------------------------------


def glossary_groups(doctree: nodes.Node) -> list[tuple[str, ...]]:
    """``glossary`` 지시어의 항목마다 그 항목에 적힌 용어들(첫 용어가 대표)을 돌려준다."""
    groups: list[tuple[str, ...]] = []
    for glossary in doctree.findall(addnodes.glossary):
        for item in glossary.findall(nodes.definition_list_item):
            terms = tuple(
                term.astext().strip() for term in item.children if isinstance(term, nodes.term)
            )
            if terms:
                groups.append(terms)
    return groups


def _user_words(groups: Iterable[Sequence[str]]) -> list[str]:
    """용어집의 한 단어 한글 용어: 형태소 분석기가 쪼개거나 조사로 잘못 떼지 않게 한다."""
    return sorted({term for group in groups for term in group if _HANGUL_WORD.fullmatch(term)})


def _on_config_inited(app: Sphinx, config: Any) -> None:
    from sphinx.search import languages

    if config.korean_search:
        app.add_search_language(SearchKorean)
    elif languages.get("ko") is SearchKorean:  # 같은 프로세스의 이전 빌드가 등록했을 때
        del languages["ko"]


def _enabled(app: Sphinx) -> bool:
    indexer = getattr(app.builder, "indexer", None)
    return bool(app.config.korean_search) and (
        indexer is None or isinstance(getattr(indexer, "lang", None), SearchKorean)
    )


def _on_builder_inited(app: Sphinx) -> None:
    global _STATE
    _STATE = _BuildState()
    if not app.config.korean_search:
        return
    path = Path(app.doctreedir, _STATE_FILENAME)
    try:
        version, *saved = pickle.loads(path.read_bytes())
    except (OSError, ValueError, pickle.UnpicklingError, EOFError, TypeError):
        return
    if version == _STATE_VERSION:
        _STATE.counts, _STATE.bases, _STATE.index_entries, _STATE.table = saved
        _configure(_STATE.table)


def _configure(table: tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]) -> None:
    groups, user_words = table
    _STATE.analyser = KoreanAnalyser(groups, user_words)
    _STATE.table = table


def _on_env_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """용어집이 바뀌어 표기 변형이 달라지면 모든 문서를 다시 색인한다."""
    if not app.config.korean_search:
        return []
    groups: list[tuple[str, ...]] = []
    glossary = app.config.korean_search_glossary
    if glossary and glossary in env.all_docs:
        groups.extend(glossary_groups(env.get_doctree(glossary)))
    groups.extend(tuple(group) for group in app.config.korean_search_variants)
    table = (tuple(groups), tuple(_user_words(groups)))
    _restore_index_entries(env)
    changed = table != _STATE.table
    _configure(table)
    if changed or not set(env.all_docs) <= _STATE.counts.keys():
        # 이전 빌드의 색인이 옛 표로 만들어졌거나, 단어 빈도가 없는 문서가 있다(상태 파일이
        # 없어졌을 때): 모든 문서를 다시 쓰며 새로 색인한다. 처음 빌드할 때는 어차피 모두 쓴다.
        return sorted(env.all_docs)
    return []


def _restore_index_entries(env: BuildEnvironment) -> None:
    """Sphinx 9.0의 증분 빌드는 다시 쓰지 않는 문서의 색인 항목(용어집 용어 등)을 검색 색인에서
    잃는다: 항목은 쓰기 단계에서 ``env`` 에 모이는데, ``env`` 는 읽기 단계 끝에 저장되기 때문이다.
    지난 빌드 끝에 저장해 둔 항목을 되돌려 놓는다(다시 쓰는 문서는 새 항목으로 바뀐다).
    """
    entries = getattr(env, "_search_index_index_entries", None)
    if not isinstance(entries, dict):
        return
    for docname in list(entries):
        if docname not in env.all_docs:
            del entries[docname]
    for docname, saved in _STATE.index_entries.items():
        if docname in env.all_docs:
            entries[docname] = saved


def _on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    # HTML 빌더는 문서를 해석한 직후 그 문서를 색인한다(write_doc_serialized).
    if not _enabled(app):
        return
    _STATE.docname = docname
    _STATE.counts[docname] = Counter()
    _STATE.bases[docname] = set()


def _on_html_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if pagename == "search" and _enabled(app) and getattr(app.builder, "search", False):
        app.add_js_file(DATA_FILENAME)


def search_data(
    counts: dict[str, Counter[str]], bases: dict[str, set[str]], docnames: Iterable[str]
) -> dict[str, Any]:
    """브라우저에 줄 보조 데이터: 문서 목록과 길이, 대표 단어, 대표 단어의 문서별 빈도."""
    docs = sorted(set(docnames))
    position = {doc: i for i, doc in enumerate(docs)}
    all_bases = sorted(set().union(*(bases.get(doc, set()) for doc in docs)))
    tf: dict[str, list[list[int]]] = {}
    for doc in docs:
        for term, count in sorted(counts.get(doc, Counter()).items()):
            if term in bases.get(doc, ()):
                tf.setdefault(term, []).append([position[doc], count])
    # 문서 길이(색인한 단어 수): BM25가 긴 문서(용어집 같은)의 점수를 깎는 데 쓴다.
    lengths = [sum(counts.get(doc, Counter()).values()) for doc in docs]
    return {"docs": docs, "lengths": lengths, "bases": all_bases, "tf": dict(sorted(tf.items()))}


def _on_build_finished(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None or not _enabled(app) or not getattr(app.builder, "search", False):
        return
    all_docs = set(app.env.all_docs)
    counts = {doc: c for doc, c in _STATE.counts.items() if doc in all_docs}
    bases = {doc: b for doc, b in _STATE.bases.items() if doc in all_docs}
    index_entries = {
        doc: list(entries)
        for doc, entries in getattr(app.env, "_search_index_index_entries", {}).items()
        if doc in all_docs
    }
    state = (_STATE_VERSION, counts, bases, index_entries, _STATE.table)
    Path(app.doctreedir, _STATE_FILENAME).write_bytes(pickle.dumps(state))
    data = search_data(counts, bases, counts)
    static = Path(app.outdir, "_static")
    static.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    (static / DATA_FILENAME).write_text(
        f"window.KOREAN_SEARCH_DATA = {payload};\n", encoding="utf-8"
    )
    terms = len(data["tf"])
    logger.info("한국어 검색: 문서 %d개, 대표 단어 %d개", len(data["docs"]), terms)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("korean_search", True, "html", types=frozenset({bool}))
    app.add_config_value("korean_search_glossary", "glossary", "html", types=frozenset({str}))
    app.add_config_value("korean_search_variants", [], "html", types=frozenset({list, tuple}))
    app.connect("config-inited", _on_config_inited)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("env-updated", _on_env_updated)
    app.connect("doctree-resolved", _on_doctree_resolved)
    app.connect("html-page-context", _on_html_page_context)
    app.connect("build-finished", _on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
