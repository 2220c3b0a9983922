"""한국어 검색의 Sphinx 쪽: 검색 언어(:class:`SearchKorean`), 빌드 이벤트, 빌드 사이의 상태 저장.

패키지 설명과 설정은 ``korean_search/__init__.py`` 에 있다.
"""

from __future__ import annotations

import json
import pickle
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import addnodes, package_dir
from sphinx.search import SearchLanguage
from sphinx.search.en import SearchEnglish
from sphinx.util import logging

from .analyser import (
    KOREAN_STOPWORDS,
    QUERY_ENDINGS,
    Analysis,
    KoreanAnalyser,
    user_words,
)
from .javascript import DATA_FILENAME, SCORER, search_data
from .javascript import render_js as _render_js

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

__all__ = [
    "DATA_FILENAME",
    "KOREAN_STOPWORDS",
    "QUERY_ENDINGS",
    "SCORER",
    "Analysis",
    "KoreanAnalyser",
    "SearchKorean",
    "glossary_groups",
    "render_js",
    "search_data",
    "setup",
]

logger = logging.getLogger(__name__)

_STATE_FILENAME = "korean_search.pickle"
# 분석기가 색인하는 단어가 바뀌면 올린다: 모든 문서를 다시 색인한다.
_STATE_VERSION = 3


def render_js(analyser: KoreanAnalyser) -> str:
    """language_data.js에 들어갈 검색어 처리 코드(Stemmer와 검색어 보조 함수)를 만든다."""
    return _render_js(analyser, Path(package_dir))


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
    table = (tuple(groups), tuple(user_words(groups)))
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
