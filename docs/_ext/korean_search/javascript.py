"""브라우저 쪽 코드와 데이터: ``search.js`` 를 채워 language_data.js에 넣을 코드를 만들고, 빌드가
끝날 때 쓸 보조 데이터(문서 길이, 대표 단어, 단어 빈도)를 계산한다. Sphinx에 기대지 않는다.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .analyser import QUERY_ENDINGS, KoreanAnalyser

HERE = Path(__file__).parent
JS_TEMPLATE = HERE / "search.js"
#: 결과 순위를 매기는 코드: conf.py의 ``html_search_scorer`` 가 이 파일을 가리킨다.
SCORER = HERE / "scorer.js"
#: 빌드 결과의 ``_static/`` 에 쓰는 검색 보조 데이터(대표 단어 목록과 단어 빈도).
DATA_FILENAME = "korean_search_data.js"


def render_js(analyser: KoreanAnalyser, sphinx_package_dir: Path) -> str:
    """language_data.js에 들어갈 검색어 처리 코드(Stemmer, Scorer.score)를 만든다."""
    minified = Path(sphinx_package_dir, "search", "minified-js")
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
