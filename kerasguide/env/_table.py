"""한글이 섞인 글을 고정폭 글꼴에서 줄 맞춤하는 작은 도우미.

한글 음절처럼 동아시아 넓은 문자(``unicodedata.east_asian_width`` 가 ``W`` 나 ``F``)는
터미널과 노트북 출력에서 두 칸을 차지한다. ``str.ljust`` 는 글자 수로 맞추므로 한글이 섞인
표가 어긋난다. 여기서는 화면 칸 수로 맞춘다. 선은 모호한 폭(``A``)의 상자 그리기 문자 대신
ASCII 로 그린다(한국어 글꼴에서는 상자 문자가 두 칸이 되기도 한다).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# A word: non-space characters, where a `code span` may contain spaces.
_WORD = re.compile(r"(?:`[^`]*`|[^\s`])+|`")


def display_width(text: str) -> int:
    """``text`` 가 고정폭 화면에서 차지하는 칸 수."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text: str, width: int) -> str:
    """``text`` 뒤에 공백을 붙여 화면 폭을 ``width`` 칸으로 맞춘다(넘치면 그대로 둔다)."""
    return text + " " * max(0, width - display_width(text))


def format_rows(rows: Sequence[tuple[str, str]], *, gap: int = 2) -> list[str]:
    """두 열(이름, 값)의 행들을 이름 열의 화면 폭에 맞춰 줄 맞춤한다.

    값에 줄바꿈이 있으면 다음 줄은 값 열의 시작 위치에서 이어진다.
    """
    key_width = max((display_width(key) for key, _ in rows), default=0)
    lines: list[str] = []
    for key, value in rows:
        value_lines = value.split("\n") or [""]
        lines.append((pad(key, key_width + gap) + value_lines[0]).rstrip())
        for more in value_lines[1:]:
            lines.append((" " * (key_width + gap) + more).rstrip())
    return lines


def wrap(text: str, width: int) -> list[str]:
    """``text`` 를 화면 폭 ``width`` 칸 안에서 공백을 기준으로 줄바꿈한다.

    역따옴표로 감싼 부분(예: ```pip install 'tensorflow[and-cuda]'```)은 복사해 쓸 명령이므로
    중간에서 끊지 않는다. 한 낱말이 ``width`` 보다 길면 그 낱말은 자르지 않고 한 줄에 둔다.
    """
    lines: list[str] = []
    current = ""
    for word in _WORD.findall(text):
        candidate = f"{current} {word}" if current else word
        if current and display_width(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current or not lines:
        lines.append(current)
    return lines
