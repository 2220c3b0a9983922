"""kerasguide.use_korean_font: the Korean font a reader has, and never an error without one."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

matplotlib = pytest.importorskip("matplotlib")  # kerasguide[plot]
from matplotlib import font_manager  # noqa: E402

from kerasguide import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _restore(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(plotting, "_warned", False)
    with matplotlib.rc_context():
        yield


def _only(monkeypatch: pytest.MonkeyPatch, *families: str) -> None:
    """A machine whose fonts are DejaVu Sans plus ``families``, without the packaged font."""
    fonts = [font_manager.FontEntry(fname=f"{name}.ttf", name=name) for name in families]
    fonts.append(font_manager.FontEntry(fname="DejaVuSans.ttf", name="DejaVu Sans"))
    monkeypatch.setattr(plotting, "_packaged_font_files", lambda: [])
    monkeypatch.setattr(font_manager.fontManager, "ttflist", fonts)


def test_the_packaged_nanum_gothic_comes_first() -> None:
    pytest.importorskip("koreanize_matplotlib")
    assert plotting._packaged_font_files(), "kerasguide[plot] ships NanumGothic"
    assert plotting.use_korean_font() == "NanumGothic"
    assert matplotlib.rcParams["font.family"] == ["NanumGothic"]
    assert matplotlib.rcParams["axes.unicode_minus"] is False


@pytest.mark.parametrize(
    ("families", "chosen"),
    [
        (["AppleGothic", "Apple SD Gothic Neo"], "Apple SD Gothic Neo"),  # macOS
        (["AppleGothic"], "AppleGothic"),  # older macOS
        (["Malgun Gothic"], "Malgun Gothic"),  # Windows
        (["Noto Sans CJK JP"], "Noto Sans CJK JP"),  # Debian's fonts-noto-cjk
        (["Noto Sans CJK KR", "NanumGothic"], "NanumGothic"),  # fonts-nanum first
    ],
)
def test_the_fonts_korean_readers_have(
    monkeypatch: pytest.MonkeyPatch, families: list[str], chosen: str
) -> None:
    _only(monkeypatch, *families)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plotting.use_korean_font() == chosen
    assert matplotlib.rcParams["font.family"] == [chosen]


def test_without_a_korean_font_it_warns_once_and_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    _only(monkeypatch)
    before = list(matplotlib.rcParams["font.family"])
    with pytest.warns(plotting.KoreanFontWarning) as caught:
        assert plotting.use_korean_font() is None
    assert len(caught) == 1
    message = str(caught[0].message)
    assert f"`{plotting.FIX_COMMAND}`" in message and "한글" in message
    assert caught[0].filename == __file__  # points at the caller's line
    assert matplotlib.rcParams["font.family"] == before
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second call is silent
        assert plotting.use_korean_font() is None
