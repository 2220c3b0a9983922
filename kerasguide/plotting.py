"""matplotlib 그림에서 한글이 네모(□)로 깨지지 않게 하는 도우미."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

# Packages on PyPI that ship a Korean font (kerasguide[plot] installs the first). Only their
# font files are read: koreanize-matplotlib's module runs distutils code on import (gone in
# Python 3.12).
_FONT_PACKAGES = ("koreanize_matplotlib",)
# Korean fonts by matplotlib family name, in order of preference: the packaged NanumGothic
# (and Linux's fonts-nanum), macOS's, Windows's, then Noto CJK (Linux's fonts-noto-cjk; every
# regional Noto CJK family has the Hangul glyphs).
_FONT_FAMILIES = (
    "NanumGothic",
    "NanumBarunGothic",
    "Apple SD Gothic Neo",
    "AppleGothic",
    "Malgun Gothic",
    "Noto Sans CJK KR",
    "Noto Sans KR",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
)
FIX_COMMAND = "pip install koreanize-matplotlib"
_warned = False


class KoreanFontWarning(UserWarning):
    """한글 글꼴을 찾지 못했을 때의 경고(그림은 그려지지만 한글이 네모로 보인다)."""


def _packaged_font_files() -> list[Path]:
    files: list[Path] = []
    for package in _FONT_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            files.extend(sorted(Path(location, "fonts").glob("*.ttf")))
    return files


def use_korean_font() -> str | None:
    """matplotlib 이 한글 글꼴을 쓰도록 설정하고 그 글꼴 이름을 돌려준다.

    ``kerasguide[plot]`` 으로 설치했으면 함께 설치된 나눔고딕(``koreanize-matplotlib``)을 쓴다.
    없으면 이 컴퓨터의 한글 글꼴을 찾는다: macOS 의 Apple SD Gothic Neo 와 AppleGothic, 윈도우의
    맑은 고딕, 리눅스의 나눔 글꼴과 Noto Sans CJK. 하나도 없으면 경고(:class:`KoreanFontWarning`)를
    한 번 내고 ``None`` 을 돌려준다: 강의는 멈추지 않고, 그림의 한글만 네모로 보인다. 경고는 고치는
    명령(``pip install koreanize-matplotlib``)을 알려 준다. 사용자가 직접 부를 때만
    ``matplotlib.rcParams`` 를 바꾼다(가져오기만으로는 바꾸지 않는다).

    Returns:
        설정한 글꼴 패밀리 이름(예: ``"NanumGothic"``). 한글 글꼴이 없으면 ``None``.

    Example:
        >>> import kerasguide
        >>> kerasguide.use_korean_font()  # doctest: +SKIP
        'NanumGothic'
    """
    global _warned
    import matplotlib
    from matplotlib import font_manager

    for path in _packaged_font_files():
        font_manager.fontManager.addfont(str(path))
    available = {font.name for font in font_manager.fontManager.ttflist}
    for family in _FONT_FAMILIES:
        if family in available:
            matplotlib.rcParams["font.family"] = family
            # Korean fonts lack U+2212 (minus sign); use the ASCII hyphen instead.
            matplotlib.rcParams["axes.unicode_minus"] = False
            return family
    if not _warned:
        _warned = True
        warnings.warn(
            "한글 글꼴을 찾지 못했다: 그림의 한글이 네모(□)로 보인다. "
            f"`{FIX_COMMAND}` 로 나눔고딕을 설치한 뒤 다시 부르면 된다 "
            f"(찾은 글꼴 후보: {', '.join(_FONT_FAMILIES)}).",
            KoreanFontWarning,
            stacklevel=2,
        )
    return None
