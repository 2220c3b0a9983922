"""한국어 검색의 순수한 부분: 텍스트를 색인용 단어로 나누고 단어를 대표형으로 정규화한다.

Sphinx에 기대지 않는다(kiwipiepy와 snowballstemmer만 쓴다). 색인(파이썬)과 검색어 처리(브라우저,
``search.js``)가 같은 규칙을 쓰도록, 브라우저에 넘길 표(표기 변형, 떼어 낼 조사와 어미)도 여기 있다.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import snowballstemmer

if TYPE_CHECKING:
    from kiwipiepy import Kiwi, Token

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
                    # 뒷부분 합성어도(``경사하강법`` → ``하강법``): 띄어 쓴 검색어
                    # ``경사 하강법`` 의 두 단어가 붙여 쓴 페이지에서도 모두 맞는다.
                    for k in range(1, len(run) - 1):
                        bases.append(text[run[k].start : run[-1].end])
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


def user_words(groups: Iterable[Sequence[str]]) -> list[str]:
    """용어집의 한 단어 한글 용어: 형태소 분석기가 쪼개거나 조사로 잘못 떼지 않게 한다."""
    return sorted({term for group in groups for term in group if _HANGUL_WORD.fullmatch(term)})
