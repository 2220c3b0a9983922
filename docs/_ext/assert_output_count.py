"""페이지의 숨은 확인 셀(``assert-output`` 태그) 세기: Sphinx 없이 쓰는 순수 함수.

출력에 대한 문장마다 그 문장을 확인하는 숨은 셀(``:tags: [remove-cell, assert-output]``)을 둔다.
개발 정보 페이지는 이 셀의 수를 손으로 적지 않고, 빌드할 때 ``docs/conf.py`` 가 이 모듈로 센
값을 MyST 치환(``{{ assert_output_cells }}``)으로 보여 준다.
"""

from __future__ import annotations

import re
from pathlib import Path

#: 확인 셀을 나타내는 태그.
ASSERT_TAG = "assert-output"

_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})\{code-cell\}")
_OPTION_LINE = re.compile(r"^:([A-Za-z0-9_-]+):\s*(.*)$")
_YAML_TAGS = re.compile(r"^tags:\s*(.*)$")
_SKIPPED_TOP = {"notebooks", "jupyter_execute"}


def _tag_list(value: str) -> list[str]:
    """``[a, b]`` 나 ``a`` 꼴의 태그 값을 이름 목록으로."""
    return [t.strip().strip("'\"") for t in value.strip().strip("[]").split(",") if t.strip()]


def cell_tags(text: str) -> list[list[str]]:
    """MyST 노트북 본문에서 코드 셀마다 그 셀의 태그 목록을 순서대로 돌려준다.

    셀 옵션은 울타리 바로 아래의 ``:tags: [...]`` 줄이나 ``---`` 로 둘러싼 YAML 블록의
    ``tags: [...]`` (또는 ``- 태그`` 목록) 줄에서 읽는다.
    """
    lines = text.splitlines()
    found: list[list[str]] = []
    i = 0
    while i < len(lines):
        opened = _FENCE_OPEN.match(lines[i])
        i += 1
        if opened is None:
            continue
        fence = opened.group(1)
        tags: list[str] = []
        if i < len(lines) and lines[i].strip() == "---":  # YAML 블록
            i += 1
            while i < len(lines) and lines[i].strip() != "---":
                match = _YAML_TAGS.match(lines[i])
                if match and match.group(1).strip():
                    tags += _tag_list(match.group(1))
                elif match:  # tags: 다음 줄부터 "- 태그" 목록
                    while i + 1 < len(lines) and lines[i + 1].lstrip().startswith("- "):
                        i += 1
                        tags.append(lines[i].lstrip()[2:].strip().strip("'\""))
                i += 1
        else:
            while i < len(lines) and (option := _OPTION_LINE.match(lines[i])):
                if option.group(1) == "tags":
                    tags += _tag_list(option.group(2))
                i += 1
        found.append(tags)
        while i < len(lines) and not lines[i].startswith(fence):  # 셀 본문을 건너뛴다.
            i += 1
        i += 1
    return found


def count_assert_cells(text: str) -> int:
    """본문 하나에 있는 ``assert-output`` 태그 코드 셀의 수."""
    return sum(ASSERT_TAG in tags for tags in cell_tags(text))


def count_in_docs(docs_dir: Path) -> dict[str, int]:
    """``docs_dir`` 아래 페이지(``*.md``)마다의 확인 셀 수(셀이 있는 페이지만).

    빌드 산출물과 숨은 폴더(``_build``, ``_ext`` 등 ``_`` 나 ``.`` 로 시작하는 폴더),
    ``notebooks/``, ``jupyter_execute/`` 는 세지 않는다.
    """
    counts: dict[str, int] = {}
    for path in sorted(docs_dir.rglob("*.md")):
        relative = path.relative_to(docs_dir)
        top = relative.parts[0]
        if len(relative.parts) > 1 and (top.startswith(("_", ".")) or top in _SKIPPED_TOP):
            continue
        count = count_assert_cells(path.read_text(encoding="utf-8"))
        if count:
            counts[relative.with_suffix("").as_posix()] = count
    return counts
