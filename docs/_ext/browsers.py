"""브라우저 찾기: PDF판 인쇄(pdf_edition.py)와 브라우저 테스트(tests/browser)가 함께 쓴다.

찾는 순서:

1. 환경 변수 ``KERASGUIDE_BROWSER``: 실행 파일의 경로. 비어 있거나 ``none`` 이면 브라우저가 없는
   것으로 친다(브라우저 없는 기계를 흉내 내는 테스트, PDF를 만들고 싶지 않은 사람).
2. Playwright가 관리하는 Chromium: ``python -m playwright install chromium`` (``nox -s browsers``)
   이 설치한 것. 위치는 Playwright 자신에게 묻는다(``BrowserType.executable_path``).
3. ``PATH`` 에 있는 Chromium이나 Chrome, 그다음 운영체제마다 흔한 설치 위치(데비안의
   ``/usr/bin/chromium``, macOS와 윈도우의 Google Chrome).

못 찾으면 :func:`missing_message` 가 이 운영체제에서 브라우저를 설치하는 명령 하나를 알려 준다.
``python docs/_ext/browsers.py`` 는 찾은 브라우저의 경로를 출력한다(없으면 종료 코드 1).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_VAR = "KERASGUIDE_BROWSER"
#: 컨테이너(루트 사용자)와 GPU 없는 기계에서도 뜨도록, 그리고 인쇄하는 동안 바깥 요청 없이.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
_PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_PLAYWRIGHT_PATH = (
    "from playwright.sync_api import sync_playwright\n"
    "with sync_playwright() as p:\n"
    "    print(p.chromium.executable_path)\n"
)


@dataclass(frozen=True)
class Browser:
    """찾은 브라우저: 실행 파일과 찾은 곳(``playwright``, ``PATH``, ``installed``, 환경 변수)."""

    executable: Path
    source: str

    def launch_args(self) -> dict[str, Any]:
        """Playwright의 ``BrowserType.launch`` 인자: 이 실행 파일을 헤드리스로."""
        return {"executable_path": str(self.executable), "args": list(CHROMIUM_ARGS)}


def _installed_paths() -> list[Path]:
    """운영체제마다 Chromium과 Chrome이 흔히 설치되는 곳."""
    system = platform.system()
    if system == "Darwin":
        apps = [Path("/Applications"), Path.home() / "Applications"]
        return [
            folder / app
            for folder in apps
            for app in (
                "Google Chrome.app/Contents/MacOS/Google Chrome",
                "Chromium.app/Contents/MacOS/Chromium",
            )
        ]
    if system == "Windows":
        roots = [os.environ.get(k) for k in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")]
        return [
            Path(root, vendor, "Application", "chrome.exe")
            for root in roots
            if root
            for vendor in (r"Google\Chrome", "Chromium")
        ]
    return [
        Path(p)
        for p in (
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
            "/usr/bin/google-chrome",
            "/snap/bin/chromium",
        )
    ]


def playwright_chromium() -> Path | None:
    """Playwright가 관리하는 Chromium의 실행 파일(설치되어 있을 때만).

    Playwright를 다른 프로세스에서 부른다: 이미 Playwright가 돌고 있는 pytest 안에서도 안전하다.
    """
    try:
        result = subprocess.run(
            [sys.executable, "-c", _PLAYWRIGHT_PATH],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        return None  # Playwright가 없다
    path = Path(lines[-1])
    return path if path.is_file() else None


def find_browser() -> Browser | None:
    """PDF와 브라우저 테스트에 쓸 Chromium(또는 Chrome). 없으면 ``None``."""
    if ENV_VAR in os.environ:
        value = os.environ[ENV_VAR].strip()
        if value.lower() in {"", "none"}:
            return None
        path = Path(value).expanduser()
        return Browser(path, ENV_VAR) if path.is_file() else None
    managed = playwright_chromium()
    if managed is not None:
        return Browser(managed, "playwright")
    for name in _PATH_NAMES:
        found = shutil.which(name)
        if found:
            return Browser(Path(found), "PATH")
    for path in _installed_paths():
        if path.is_file():
            return Browser(path, "installed")
    return None


def install_command() -> str:
    """이 운영체제에서 브라우저를 갖추는 명령 하나."""
    if platform.system() == "Linux" and Path("/etc/debian_version").is_file():
        return "sudo apt-get install chromium"
    # macOS, 윈도우, 다른 리눅스: Playwright의 Chromium (python -m playwright install chromium).
    return "nox -s browsers"


def missing_message() -> str:
    """브라우저를 못 찾았을 때의 한 줄 안내."""
    if os.environ.get(ENV_VAR, "x").strip().lower() in {"", "none"}:
        return f"브라우저를 쓰지 않는다({ENV_VAR}가 비어 있다)"
    if os.environ.get(ENV_VAR):
        return f"{ENV_VAR}={os.environ[ENV_VAR]} 에 브라우저가 없다"
    return f"Chromium이나 Chrome을 찾지 못했다: `{install_command()}` 로 설치한다"


def main() -> int:
    browser = find_browser()
    if browser is None:
        print(missing_message(), file=sys.stderr)
        return 1
    print(browser.executable)
    return 0


if __name__ == "__main__":
    sys.exit(main())
