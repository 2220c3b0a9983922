"""공유용 설명(Open Graph)을 페이지 front matter의 설명으로 맞춘다.

sphinxext-opengraph는 ``og:description`` (그리고 소셜 카드 그림의 대체 텍스트
``og:image:alt``)을 본문 첫머리에서 잘라 만든다. 페이지마다 front matter에 적은 한 문장 요약
(``myst.html_meta.description`` → ``<meta name="description">``)이 있으면, 링크를 공유할 때도
그 요약이 보이도록 opengraph보다 먼저(우선순위 400) 페이지 필드에 ``og:description`` 과
``og:image:alt`` 를 넣는다. opengraph는 ``og:`` 로 시작하는 페이지 필드를 그대로 쓴다.
"""

from __future__ import annotations

import html
import re
from typing import Any

from sphinx.application import Sphinx

_META_DESCRIPTION = re.compile(
    r"<meta\s+(?=[^>]*\bname=\"description\")[^>]*\bcontent=\"([^\"]*)\"", re.IGNORECASE
)


def page_description(metatags: str) -> str | None:
    """페이지의 ``<meta name="description">`` 내용(없으면 None)."""
    match = _META_DESCRIPTION.search(metatags or "")
    if match is None:
        return None
    return html.unescape(match.group(1)).strip() or None


def _on_html_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    description = page_description(context.get("metatags", ""))
    if description is None:
        return
    fields = dict(context.get("meta") or {})
    fields.setdefault("og:description", description)
    fields.setdefault("og:image:alt", description)
    context["meta"] = fields


def setup(app: Sphinx) -> dict[str, Any]:
    # sphinxext-opengraph reads the page fields in its own handler (priority 500).
    app.connect("html-page-context", _on_html_page_context, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
