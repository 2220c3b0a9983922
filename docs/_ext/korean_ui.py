"""사이트 화면의 문구를 한국어로: 프로젝트 번역 카탈로그(``locale_dirs``)의 브라우저 쪽 절반.

Sphinx는 ``locale_dirs`` 에 있는 ``<언어>/LC_MESSAGES/sphinx.po`` 를 빌드할 때 ``.mo`` 로
컴파일해 템플릿(furo)과 Sphinx 자신의 문구에 쓴다. 그런데 브라우저에서 보이는 문구(검색 결과 안내,
"검색하는 중")는 같은 자리의 ``sphinx.js`` 에서 읽어 ``_static/translations.js`` 로 복사하고,
``sphinx.js`` 는 만들어 주지 않는다. 이 확장은 빌드를 시작할 때 ``sphinx.po`` 에서 ``sphinx.js`` 를
만든다(Sphinx가 자기 카탈로그의 ``sphinx.js`` 를 만드는 형식과 같다). 그래서 번역은 ``.po``
한 곳에만 적는다.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel.messages.pofile import read_po

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config


def po_to_js(po_file: Path) -> str:
    """``sphinx.po`` 한 파일을 ``Documentation.addTranslations(...)`` 스크립트로 바꾼다."""
    with po_file.open("rb") as handle:
        catalog = read_po(handle)
    messages: dict[str, Any] = {}
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.id, (list, tuple)):
            messages[message.id[0]] = list(message.string)
        else:
            messages[message.id] = message.string
    data = {"locale": str(catalog.locale), "messages": messages, "plural_expr": catalog.plural_expr}
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=4)
    return f"Documentation.addTranslations({body});\n"


def _on_config_inited(app: Sphinx, config: Config) -> None:
    language = config.language or "en"
    for locale_dir in config.locale_dirs:
        folder = Path(app.confdir, locale_dir, language, "LC_MESSAGES")
        po_file = folder / "sphinx.po"
        if not po_file.is_file():
            continue
        js_file = folder / "sphinx.js"
        text = po_to_js(po_file)
        if not js_file.is_file() or js_file.read_text(encoding="utf-8") != text:
            js_file.write_text(text, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _on_config_inited)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
