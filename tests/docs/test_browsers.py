"""No browser needed: docs/_ext/browsers.py finds one or says how to get one, the PDF edition is
skipped without it (required in CI) and printed again only when its input changed, and the
browser tests skip (or fail in CI) with a reason that says how to enable them.

`KERASGUIDE_BROWSER=` (empty) points the lookup at nothing: the machine without a browser.
"""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from pathlib import Path
from types import ModuleType

import pdf_edition
import pytest

import browsers

ROOT = Path(__file__).resolve().parents[2]


def _fake_executable(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(browsers.ENV_VAR, "")
    monkeypatch.delenv("CI", raising=False)


def test_the_lookup_pointed_at_nothing_finds_nothing(no_browser: None) -> None:
    assert browsers.find_browser() is None
    assert browsers.ENV_VAR in browsers.missing_message()


@pytest.mark.parametrize(
    ("system", "debian", "command"),
    [
        ("Darwin", False, "nox -s browsers"),
        ("Windows", False, "nox -s browsers"),
        ("Linux", True, "sudo apt-get install chromium"),
        ("Linux", False, "nox -s browsers"),
    ],
)
def test_the_message_names_one_command_for_this_os(
    monkeypatch: pytest.MonkeyPatch, system: str, debian: bool, command: str
) -> None:
    monkeypatch.delenv(browsers.ENV_VAR, raising=False)
    monkeypatch.setattr(browsers.platform, "system", lambda: system)
    is_file = Path.is_file
    monkeypatch.setattr(
        Path, "is_file", lambda p: debian if str(p) == "/etc/debian_version" else is_file(p)
    )
    assert browsers.install_command() == command
    assert f"`{command}`" in browsers.missing_message()


def test_playwrights_chromium_comes_before_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    managed = _fake_executable(tmp_path / "ms-playwright", "chrome")
    _fake_executable(tmp_path / "bin", "chromium")
    monkeypatch.delenv(browsers.ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(browsers, "playwright_chromium", lambda: managed)
    assert browsers.find_browser() == browsers.Browser(managed, "playwright")
    monkeypatch.setattr(browsers, "playwright_chromium", lambda: None)
    found = browsers.find_browser()
    assert found is not None and (found.executable, found.source) == (
        tmp_path / "bin" / "chromium",
        "PATH",
    )
    assert found.launch_args()["executable_path"] == str(tmp_path / "bin" / "chromium")
    assert "--no-sandbox" in found.launch_args()["args"]


def test_usual_install_paths_per_os(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browsers.platform, "system", lambda: "Darwin")
    assert Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome") in (
        browsers._installed_paths()
    )
    monkeypatch.setattr(browsers.platform, "system", lambda: "Windows")
    monkeypatch.setenv("PROGRAMFILES", r"C:\Program Files")
    assert Path(r"C:\Program Files", r"Google\Chrome", "Application", "chrome.exe") in (
        browsers._installed_paths()
    )
    monkeypatch.setattr(browsers.platform, "system", lambda: "Linux")
    assert Path("/usr/bin/chromium") in browsers._installed_paths()


def test_playwright_is_asked_in_another_process() -> None:
    # Inside pytest-playwright's running event loop the sync API cannot start again: the
    # lookup asks a child Python. Whatever this machine has, the answer is a file or None.
    found = browsers.playwright_chromium()
    assert found is None or found.is_file()


def _build_dir(tmp_path: Path) -> tuple[Path, Path]:
    docs = tmp_path / "docs"
    for folder in ("_static", "_templates"):
        (docs / folder).mkdir(parents=True)
    (docs / "conf.py").write_text("project = 'x'\n", encoding="utf-8")
    build = tmp_path / "_build"
    (build / "doctrees").mkdir(parents=True)
    (build / "doctrees" / "index.doctree").write_bytes(b"one")
    (build / "html").mkdir()
    return docs, build


def test_without_a_browser_the_pdf_is_skipped_in_one_line(
    no_browser: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs, build = _build_dir(tmp_path)
    (build / "html" / pdf_edition.PDF_NAME).write_bytes(b"%PDF- old")  # an earlier build's
    assert pdf_edition.main([str(docs), str(build)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("PDF판을 건너뛰었다")
    # The home page links the PDF only when a browser was found: no stale file stays behind.
    assert not (build / "html" / pdf_edition.PDF_NAME).exists()


def test_without_a_browser_ci_fails(
    no_browser: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "1")
    docs, build = _build_dir(tmp_path)
    assert pdf_edition.main([str(docs), str(build)]) == 1


def test_the_pdf_is_printed_again_only_when_its_input_changed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(browsers.ENV_VAR, str(_fake_executable(tmp_path / "bin", "chromium")))
    printed: list[Path] = []

    def fake_print(singlehtml: Path, output: Path, browser: browsers.Browser) -> Path:
        printed.append(singlehtml)
        output.write_bytes(b"%PDF-")
        return output

    monkeypatch.setattr(pdf_edition, "build_singlehtml", lambda d, b: b / "singlehtml")
    monkeypatch.setattr(pdf_edition, "print_pdf", fake_print)
    docs, build = _build_dir(tmp_path)
    args = [str(docs), str(build)]
    assert pdf_edition.main(args) == 0 and len(printed) == 1  # first build
    assert pdf_edition.main(args) == 0 and len(printed) == 1  # nothing changed
    assert "그대로다" in capsys.readouterr().out
    (build / "doctrees" / "index.doctree").write_bytes(b"two")  # a page changed
    assert pdf_edition.main(args) == 0 and len(printed) == 2
    (docs / "_static" / "site.css").write_text("p {}", encoding="utf-8")  # a style changed
    assert pdf_edition.main(args) == 0 and len(printed) == 3
    assert pdf_edition.main([*args, "--force"]) == 0 and len(printed) == 4  # asked
    monkeypatch.setenv("CI", "1")
    assert pdf_edition.main(args) == 0 and len(printed) == 5  # CI always prints
    (build / "html" / pdf_edition.PDF_NAME).unlink()
    monkeypatch.delenv("CI")
    assert pdf_edition.main(args) == 0 and len(printed) == 6  # the PDF was deleted
    capsys.readouterr()

    # `nox -s docs` (--keep-stale): after an edit the old PDF stays, and one line says so.
    (build / "doctrees" / "index.doctree").write_bytes(b"three")
    assert pdf_edition.main([*args, "--keep-stale"]) == 0 and len(printed) == 6
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "nox -s pdf" in out[0]
    assert pdf_edition.main(args) == 0 and len(printed) == 7  # `nox -s tests` prints it again
    assert pdf_edition.main([*args, "--keep-stale"]) == 0 and len(printed) == 7  # up to date
    (build / "html" / pdf_edition.PDF_NAME).unlink()
    assert pdf_edition.main([*args, "--keep-stale"]) == 0 and len(printed) == 8  # none yet
    (build / "doctrees" / "index.doctree").write_bytes(b"four")
    assert pdf_edition.main([*args, "--keep-stale", "--force"]) == 0 and len(printed) == 9
    monkeypatch.setenv("CI", "1")
    (build / "doctrees" / "index.doctree").write_bytes(b"five")
    assert pdf_edition.main([*args, "--keep-stale"]) == 0 and len(printed) == 10  # CI: always


def _browser_conftest() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "browser_conftest", ROOT / "tests" / "browser" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_browser_tests_skip_with_how_to_enable_them_and_fail_in_ci(
    no_browser: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    conftest = _browser_conftest()
    with pytest.raises(pytest.skip.Exception, match="KERASGUIDE_BROWSER"):
        conftest.browser_or_skip()
    monkeypatch.delenv(browsers.ENV_VAR)
    monkeypatch.setattr(browsers, "find_browser", lambda: None)
    with pytest.raises(pytest.skip.Exception, match=r"`(nox -s browsers|sudo apt-get .*)`"):
        conftest.browser_or_skip()
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI"):
        conftest.browser_or_skip()


def test_browsers_cli_exits_1_without_a_browser(no_browser: None) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "_ext" / "browsers.py")],
        capture_output=True, text=True, env=os.environ.copy(), check=False,
    )  # fmt: skip
    assert result.returncode == 1 and result.stdout == ""
    assert browsers.ENV_VAR in result.stderr
