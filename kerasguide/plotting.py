"""matplotlib 그림에서 한글이 네모(□)로 깨지지 않게 하는 도우미."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# Packages on PyPI that ship a Korean font, in order of preference. koreanize-matplotlib's
# module runs distutils code on import (gone in Python 3.12), so we only read its font files.
_FONT_PACKAGES = ("koreanize_matplotlib",)
# System fonts (Debian: fonts-nanum, fonts-noto-cjk; Colab has neither by default).
_SYSTEM_FONT_FAMILIES = ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic")


def _packaged_font_files() -> list[Path]:
    files: list[Path] = []
    for package in _FONT_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            files.extend(sorted(Path(location, "fonts").glob("*.ttf")))
    return files


def use_korean_font() -> str:
    """matplotlib 이 한글 글꼴을 쓰도록 설정하고 그 글꼴 이름을 돌려준다.

    PyPI 패키지 ``koreanize-matplotlib`` 이 함께 배포하는 나눔고딕을 먼저 찾고, 없으면
    시스템에 설치된 한글 글꼴(나눔고딕, Noto Sans CJK KR, 맑은 고딕)을 찾는다. 사용자가
    직접 부를 때만 ``matplotlib.rcParams`` 를 바꾼다(가져오기만으로는 바꾸지 않는다).

    Returns:
        설정한 글꼴 패밀리 이름. 예: ``"NanumGothic"``.

    Raises:
        RuntimeError: 한글 글꼴을 하나도 찾지 못한 경우.
            ``pip install koreanize-matplotlib`` 로 해결된다.

    Example:
        >>> import kerasguide
        >>> kerasguide.use_korean_font()  # doctest: +SKIP
        'NanumGothic'
    """
    import matplotlib
    from matplotlib import font_manager

    for path in _packaged_font_files():
        font_manager.fontManager.addfont(str(path))
    available = {font.name for font in font_manager.fontManager.ttflist}
    for family in _SYSTEM_FONT_FAMILIES:
        if family in available:
            matplotlib.rcParams["font.family"] = family
            # The Korean fonts lack U+2212 (minus sign); use the ASCII hyphen instead.
            matplotlib.rcParams["axes.unicode_minus"] = False
            return family
    raise RuntimeError(
        "한글 글꼴을 찾지 못했다. 찾은 글꼴 패밀리 후보: "
        f"{', '.join(_SYSTEM_FONT_FAMILIES)}. "
        "`pip install koreanize-matplotlib` 으로 나눔고딕을 설치한 뒤 다시 부르면 된다."
    )
