"""용어집을 찾아보기 쉽게: 읽을 수 있는 고정 앵커와 첫 글자(ㄱ ㄴ ㄷ …, A-Z) 바로 가기.

Sphinx의 ``glossary`` 지시어는 한글 용어에 ``#term-88`` 같은 번호 앵커를 붙인다. 번호는 용어를
더하거나 빼면 바뀌므로 밖에서 건 링크가 엉뚱한 용어로 간다. 이 확장은 문서를 읽은 직후
(``doctree-read``) 용어마다 용어 자체로 만든 앵커(``#term-경사하강법``, ``#term-gradienttape``)를
첫 앵커로 붙이고, 용어 참조(``{term}``)와 찾아보기·검색 색인이 그 앵커를 가리키게 한다. 예전 번호
앵커도 남겨 둔다(이미 퍼진 링크가 깨지지 않는다).

또 용어집마다 앞에 첫 글자 바로 가기를 넣는다: 한글 용어는 첫 음절의 초성(쌍자음은 예사소리와
함께: ㄲ → ㄱ), 영문 용어는 첫 글자. 각 글자는 그 글자로 시작하는 첫 용어로 간다. 용어집의 글은
건드리지 않으므로 어떤 용어가 더해져도 그대로 맞는다.
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import addnodes

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: 한글 음절의 초성 19개(유니코드 순서).
CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
#: 바로 가기에 쓰는 14개: 쌍자음은 예사소리에 묶는다(사전의 찾아보기와 같다).
_PLAIN = {"ㄲ": "ㄱ", "ㄸ": "ㄷ", "ㅃ": "ㅂ", "ㅆ": "ㅅ", "ㅉ": "ㅈ"}
KOREAN_INITIALS = "ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ"
_NOT_WORD = re.compile(r"[^\w]+")


def initial_of(term: str) -> str | None:
    """용어의 첫 글자 묶음: 한글은 초성(ㄱ…ㅎ), 영문은 대문자(A…Z), 그 밖은 None."""
    text = term.strip()
    if not text:
        return None
    first = text[0]
    if "\uac00" <= first <= "\ud7a3":
        initial = CHOSEONG[(ord(first) - 0xAC00) // 588]
        return _PLAIN.get(initial, initial)
    if first.isascii() and first.isalpha():
        return first.upper()
    return None


def readable_id(term: str) -> str:
    """용어로 만든 앵커: 소문자로, 글자·숫자가 아닌 것은 하이픈으로.

    ``경사 하강법`` → ``term-경사-하강법``, ``tf.function`` → ``term-tf-function``.
    """
    slug = _NOT_WORD.sub("-", term.strip().lower()).strip("-")
    return f"term-{slug or 'x'}"


def jump_index_html(targets: dict[str, str]) -> str:
    """첫 글자 바로 가기(``nav``). 용어가 없는 글자는 링크 없이 흐리게 보인다."""
    latin = sorted(k for k in targets if k.isascii())
    groups = [KOREAN_INITIALS, "".join(latin)]
    parts = ['<nav class="glossary-jump" aria-label="첫 글자로 용어 찾기">']
    for group in groups:
        if not group:
            continue
        parts.append('<ul class="glossary-jump-group">')
        for letter in group:
            if letter in targets:
                parts.append(f'<li><a href="#{escape(targets[letter])}">{escape(letter)}</a></li>')
            else:
                parts.append(f'<li><span aria-hidden="true">{escape(letter)}</span></li>')
        parts.append("</ul>")
    parts.append("</nav>")
    return "".join(parts)


def _on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    std: Any = env.get_domain("std")
    for glossary in list(doctree.findall(addnodes.glossary)):
        targets: dict[str, str] = {}
        for term in glossary.findall(nodes.term):
            if not term["ids"]:
                continue
            old_id = term["ids"][0]
            text = term.astext().strip()
            new_id = readable_id(text)
            suffix = 2
            while new_id in doctree.ids and doctree.ids[new_id] is not term:
                new_id = f"{readable_id(text)}-{suffix}"
                suffix += 1
            if new_id != old_id:
                term["ids"].insert(0, new_id)
                doctree.ids[new_id] = term
                for key, (doc, label) in list(std.objects.items()):
                    if key[0] == "term" and doc == docname and label == old_id:
                        std.objects[key] = (docname, new_id)
                for key, (doc, label) in list(std._terms.items()):
                    if doc == docname and label == old_id:
                        std._terms[key] = (docname, new_id)
                for index in term.findall(addnodes.index):
                    index["entries"] = [
                        (kind, value, new_id if tid == old_id else tid, main, key)
                        for kind, value, tid, main, key in index["entries"]
                    ]
            initial = initial_of(text)
            # 한 항목의 첫 표기만 바로 가기의 대상이 된다(항목은 첫 표기로 정렬된다).
            first_of_item = term.parent.index(term) == 0
            if initial is not None and first_of_item:
                targets.setdefault(initial, new_id)
        if targets:
            nav = nodes.raw("", jump_index_html(targets), format="html")
            glossary.parent.insert(glossary.parent.index(glossary), nav)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", _on_doctree_read)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
