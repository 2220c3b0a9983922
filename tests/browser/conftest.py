"""브라우저 테스트의 준비물: 빌드된 사이트를 띄우는 서버와 Playwright로 조종하는 Chromium.

사이트는 GitHub Pages에서처럼 ``html_baseurl`` 의 경로(``/kerasguide/``) 아래에서 서비스하고,
없는 주소에는 상태 404와 함께 ``404.html`` 을 돌려준다(그래야 404 페이지의 절대 경로 링크를 시험할
수 있다). 브라우저는 docs/_ext/browsers.py가 찾는다(Playwright의 Chromium, 그다음 PATH와 흔한 설치
위치의 Chromium이나 Chrome: PDF판과 같은 브라우저). 없으면 브라우저 테스트는 어떻게 갖추는지 알리며
건너뛰지만, CI(환경 변수 ``CI``)에서는 실패한다: ``.ci/run`` 이 데비안의 Chromium을 설치한다.
"""

from __future__ import annotations

import functools
import http.server
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

import browsers

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
SITE_URL: str = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "urls"
]["Homepage"]
#: 사이트가 서비스되는 경로(GitHub Pages의 프로젝트 사이트: ``/kerasguide/``).
_SITE_PATH = urlparse(SITE_URL).path.strip("/")
PREFIX = f"/{_SITE_PATH}/" if _SITE_PATH else "/"


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    site_dir: Path

    def log_message(self, format: str, *args: object) -> None:
        pass

    def translate_path(self, path: str) -> str:
        parsed = urlparse(path).path
        if not parsed.startswith(PREFIX):
            return str(self.site_dir / "__outside_the_site__")
        return super().translate_path("/" + parsed[len(PREFIX) :])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = self.site_dir / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # 브라우저가 응답을 다 받기 전에 연결을 끊는 일(페이지 이동)은 흔하다.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def site_server(site_dir: Path) -> Iterator[str]:
    """사이트를 127.0.0.1의 빈 포트에서 띄우고 사이트의 기본 주소(``…/kerasguide/``)를 준다."""
    handler = type("Handler", (_SiteHandler,), {"site_dir": site_dir})
    server = _QuietServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def base_url(site_server: str) -> str:
    return site_server


# -- Playwright: pytest-playwright's fixtures (browser, context, page) on the Chromium found -------
# `nox -s tests` passes --tracing=retain-on-failure and --screenshot=only-on-failure: a failed
# browser test leaves its trace (`playwright show-trace`) and a screenshot under --output.


def browser_or_skip() -> browsers.Browser:
    """찾은 브라우저. 없으면 건너뛰되(어떻게 갖추는지 알린다) CI에서는 실패한다."""
    browser = browsers.find_browser()
    if browser is not None:
        return browser
    message = f"브라우저 테스트를 건너뛴다: {browsers.missing_message()}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI에서는 브라우저 테스트를 건너뛰지 않는다)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright가 브라우저를 띄울 때의 인자: browsers.py가 찾은 Chromium."""
    launch = browser_or_skip().launch_args()
    return {
        **browser_type_launch_args,
        **launch,
        "args": [*browser_type_launch_args.get("args", []), *launch["args"]],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "accept_downloads": True,
        "permissions": ["clipboard-read", "clipboard-write"],
    }


@pytest.fixture(autouse=True)
def _generous_timeouts(request: pytest.FixtureRequest) -> None:
    # 두 코어 기계에서 다른 작업(노트북 커널)과 함께 돌 때도 넉넉하게.
    if "context" in request.fixturenames:
        context = request.getfixturevalue("context")
        context.set_default_timeout(60_000)
        context.set_default_navigation_timeout(60_000)


@pytest.fixture
def page_errors(page: Any) -> list[str]:
    """페이지에서 잡히지 않은 자바스크립트 오류."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors
