"""수식을 빌드할 때 MathML로 바꿔 HTML에 넣는 Sphinx 수식 렌더러.

Sphinx의 기본 렌더러(``sphinx.ext.mathjax``)는 MathJax를 CDN에서 읽는다. 인터넷이 없거나 CDN이
막힌 곳에서는 ``\\(4.9t^2\\)`` 같은 원문이 그대로 보인다. 이 렌더러는 latex2mathml(순수
파이썬)로 LaTeX를 MathML로 바꿔 페이지에 넣는다. 브라우저는 MathML을 스스로 그리므로 스크립트도,
웹 글꼴도, 다른 호스트로 가는 요청도 없다. 화면 낭독기는 MathML을 수식으로 읽고, 브라우저로
PDF를 인쇄할 때도 수식이 그대로 나온다.

``conf.py`` 에서 ``html_math_renderer = "mathml"`` 로 고른다.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.util.math import get_node_equation_number

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.writers.html5 import HTML5Translator


def to_mathml(latex: str, *, display: bool) -> str:
    """LaTeX 한 조각을 ``<math>`` 요소로 바꾼다. 원문은 ``alttext`` 로 남긴다.

    Raises:
        ValueError: latex2mathml이 읽지 못하는 LaTeX일 때(원문을 알려 준다).
    """
    try:
        markup = convert(latex.strip(), display="block" if display else "inline")
    except Exception as error:  # latex2mathml은 여러 종류의 예외를 낸다.
        raise ValueError(f"수식을 MathML로 바꾸지 못했다: {latex!r} ({error})") from error
    alt = latex.strip().replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return markup.replace("<math ", f'<math alttext="{alt}" ', 1)


def _visit_math(self: HTML5Translator, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate"))
    self.body.append(to_mathml(node.astext(), display=False))
    self.body.append("</span>")
    raise nodes.SkipNode


def _visit_displaymath(self: HTML5Translator, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", "", CLASS="math notranslate"))
    if node.get("number"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, "이 수식으로 가는 링크")
        self.body.append("</span>")
    self.body.append(to_mathml(node.astext(), display=True))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_html_math_renderer(
        "mathml",
        inline_renderers=(_visit_math, None),
        block_renderers=(_visit_displaymath, None),
    )
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
