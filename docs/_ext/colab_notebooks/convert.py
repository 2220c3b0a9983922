"""MyST 마크다운을 주피터와 코랩이 그리는 보통 마크다운으로 바꾼다(Sphinx 없이 쓰는 순수 함수).

* 인라인 역할(``{term}`` 등)은 글자로, ``{doc}`` 은 사이트의 해당 페이지 링크로 바꾼다.
* 지시어(``:::{note}`` 등)는 인용 블록으로, 코드와 수식 지시어는 울타리 코드와 ``$$`` 로 바꾼다.
"""

from __future__ import annotations

import posixpath
import re
import textwrap

from colab_notebooks.settings import Settings

_ADMONITION_TITLES = {
    "note": "참고",
    "tip": "팁",
    "hint": "힌트",
    "important": "중요",
    "warning": "경고",
    "caution": "주의",
    "attention": "주의",
    "danger": "위험",
    "error": "오류",
    "seealso": "함께 보기",
    "admonition": "",
    "dropdown": "",
    "topic": "",
    "sidebar": "",
    "margin": "",
    "card": "",
    "grid-item-card": "",
    "tab-item": "",
}
_CODE_DIRECTIVES = {"code-block", "code", "sourcecode", "code-cell"}
_DROP_DIRECTIVES = {"toctree", "contents", "index", "raw", "eval-rst", "only"}
_ROLE = re.compile(r"\{([a-zA-Z0-9:_-]+)\}`([^`]*)`")
_TITLED_TARGET = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
_FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|:{3,})\{([a-zA-Z0-9:_-]+)\}\s*(.*)$")
_TARGET_LINE = re.compile(r"^\s*\([^()\s]+\)=\s*$")
_COMMENT_LINE = re.compile(r"^\s*%")
_OPTION_LINE = re.compile(r"^\s*:([a-zA-Z0-9_-]+):\s*(.*)$")
_ATTRS_INLINE = re.compile(r"\]\{[^{}]*\}")


def _role_text(role: str, content: str, docname: str, settings: Settings) -> str:
    name = role.split(":")[-1]
    match = _TITLED_TARGET.match(content)
    title, target = (match.group(1), match.group(2)) if match else (None, content)
    if name == "doc":
        base = posixpath.dirname(docname)
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
        resolved = posixpath.normpath(resolved)
        return f"[{title or target}]({settings.page_url(resolved)})"
    if name in {"math"}:
        return f"${content}$"
    if name in {"func", "meth", "class", "mod", "obj", "attr", "exc", "data", "const"}:
        shown = title or target
        if shown.startswith("~"):
            shown = shown[1:].rsplit(".", 1)[-1]
        return f"`{shown}`"
    if name in {"abbr"}:
        return re.sub(r"\s*\(.*\)$", "", content)
    if name in {"kbd", "command", "file", "samp", "literal", "code"}:
        return f"`{content}`"
    return title if title is not None else target


def convert_inline(text: str, docname: str, settings: Settings) -> str:
    """인라인 역할(``{term}`...```, ``{doc}`...``` 등)을 보통 마크다운으로 바꾼다."""

    out: list[str] = []
    i = 0
    while i < len(text):
        role = _ROLE.match(text, i)
        if role and (i == 0 or text[i - 1] != "`"):
            out.append(_role_text(role.group(1), role.group(2), docname, settings))
            i = role.end()
            continue
        if text[i] == "`":  # 코드 스팬은 그대로 둔다.
            run = re.match(r"`+", text[i:])
            assert run is not None
            ticks = run.group()
            end = text.find(ticks, i + len(ticks))
            if end < 0:
                out.append(text[i:])
                break
            out.append(text[i : end + len(ticks)])
            i = end + len(ticks)
            continue
        out.append(text[i])
        i += 1
    return _ATTRS_INLINE.sub("]", "".join(out))


def _blockquote(lines: list[str]) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in lines]


def convert_markdown(source: str, docname: str, settings: Settings) -> str:
    """MyST 마크다운 셀 하나를 주피터가 그리는 보통 마크다운으로 바꾼다."""
    lines = source.splitlines()
    out = _convert_block(lines, docname, settings)
    text = "\n".join(out).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def _convert_block(lines: list[str], docname: str, settings: Settings) -> list[str]:
    out: list[str] = []
    i = 0
    in_code: str | None = None
    while i < len(lines):
        line = lines[i]
        plain_fence = re.match(r"^\s*(`{3,}|~{3,})(?!\{)", line)
        if in_code is not None:
            out.append(line)
            if line.strip().startswith(in_code) and line.strip().strip(in_code[0]) == "":
                in_code = None
            i += 1
            continue
        if plain_fence:
            in_code = plain_fence.group(1)
            out.append(line)
            i += 1
            continue
        opened = _FENCE_OPEN.match(line)
        if opened:
            indent, fence, name, argument = opened.groups()
            body, i = _directive_body(lines, i + 1, fence)
            out.extend(
                indent + row if row else row
                for row in _render_directive(name, argument, body, docname, settings)
            )
            continue
        if _TARGET_LINE.match(line) or _COMMENT_LINE.match(line):
            i += 1
            continue
        out.append(convert_inline(line, docname, settings))
        i += 1
    return _convert_deflists(out)


def _directive_body(lines: list[str], start: int, fence: str) -> tuple[list[str], int]:
    """여는 줄 다음부터 같은 울타리(같은 문자, 같은 길이 이상)로 닫히는 데까지."""
    char = fence[0]
    body = []
    i = start
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped and set(stripped) == {char} and len(stripped) >= len(fence):
            return body, i + 1
        body.append(lines[i])
        i += 1
    return body, i


def _split_options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    options: dict[str, str] = {}
    if body and body[0].strip() == "---":
        for j in range(1, len(body)):
            if body[j].strip() == "---":
                for row in body[1:j]:
                    key, _, value = row.partition(":")
                    options[key.strip()] = value.strip()
                return options, body[j + 1 :]
    j = 0
    while j < len(body):
        match = _OPTION_LINE.match(body[j])
        if not match:
            break
        options[match.group(1)] = match.group(2)
        j += 1
    return options, body[j:]


def _render_directive(
    name: str, argument: str, body: list[str], docname: str, settings: Settings
) -> list[str]:
    options, content = _split_options(body)
    content = textwrap.dedent("\n".join(content)).splitlines()
    name = name.split(":")[-1]
    if name in _DROP_DIRECTIVES:
        return []
    if name in _CODE_DIRECTIVES:
        language = argument.strip().split()[0] if argument.strip() else ""
        return ["", f"```{language}", *content, "```", ""]
    if name == "math":
        return ["", "$$", *content, "$$", ""]
    if name in {"figure", "image"}:
        alt = options.get("alt", "")
        path = argument.strip()
        url = (
            path
            if "://" in path
            else f"{settings.site_url.rstrip('/')}/_images/{posixpath.basename(path)}"
        )
        caption = _convert_block(content, docname, settings) if name == "figure" else []
        return ["", f"![{alt}]({url})", *(["", *caption] if caption else []), ""]
    inner = _convert_block(content, docname, settings)
    if name in _ADMONITION_TITLES:
        title = convert_inline(argument.strip(), docname, settings) or _ADMONITION_TITLES[name]
        head = [f"**{title}**", ""] if title else []
        return ["", *_blockquote(head + inner), ""]
    # tab-set, grid, container 같은 배치용 지시어: 내용만 남긴다.
    title = convert_inline(argument.strip(), docname, settings)
    return ["", *([f"**{title}**", ""] if title else []), *inner, ""]


def _convert_deflists(lines: list[str]) -> list[str]:
    """정의 목록(``용어`` 다음 줄 ``: 정의``)을 굵은 용어와 문단으로 바꾼다."""
    out: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith(": ") and index > 0 and out and out[-1].strip():
            term = out.pop()
            out.extend([f"**{term.strip()}**", "", line[2:]])
        else:
            out.append(line)
    return out
