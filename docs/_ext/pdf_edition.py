"""강의의 PDF판: 한 페이지로 빌드한 사이트(``singlehtml``)를 Chromium으로 인쇄한다.

``nox -s docs`` (그리고 ``nox -s tests``)가 HTML 사이트를 빌드한 뒤 부른다::

    python docs/_ext/pdf_edition.py docs docs/_build

HTML 빌드의 doctree(실행된 출력까지 담은 페이지 내용), 스타일, 템플릿, 설정의 지문이 지난 인쇄
때와 같고 PDF가 있으면 아무것도 하지 않는다. ``--keep-stale`` (``nox -s docs`` 가 CI 밖에서 준다)은
입력이 바뀌었어도 있는 PDF를 그대로 두고 한 줄로 알린다: 140쪽 남짓을 다시 인쇄하는 데 수십 초가
걸리므로, 글 한 줄 고친 빌드를 기다리게 하지 않는다. ``nox -s tests`` 는 입력이 바뀌면 다시
인쇄한다(PDF 테스트가 지금의 PDF를 읽도록). ``--force`` (``nox -s pdf``, ``nox -s docs -- --pdf``,
그리고 환경 변수 ``CI`` 가 있는 곳: CI와 사이트 게시)는 언제나 다시 인쇄한다.

브라우저는 browsers.py가 찾는다(Playwright의 Chromium, 그다음 PATH와 흔한 설치 위치). 없으면 한
줄로 알리고 건너뛴다(종료 코드 0). CI에서는 PDF판이 꼭 있어야 하므로 실패한다.

한국어 글꼴은 koreanize-matplotlib가 함께 주는 나눔고딕(NanumGothic) TTF를 쓴다. 인쇄하는 페이지에
``@font-face`` 로 넣으므로 이 기계에 한국어 글꼴이 없어도 되고, Chromium은 쓰인 글자만 골라 PDF에
넣는다(임베드). 그 TTF에는 글꼴 제작 도구(VTT)의 원본 표(``TSI0`` … ``TSI5``)가 남아 있어서
Chromium의 글꼴 검사기(OTS)가 웹 글꼴로 받지 않는다: fontTools로 그 표만 빼고 쓴다. 인쇄하는 동안
다른 호스트로 가는 요청은 모두 막는다.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import http.server
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import browsers

PDF_NAME = "kerasguide.pdf"
#: 마지막으로 인쇄한 PDF의 입력 지문(빌드 폴더에).
STAMP_NAME = "pdf-input.sha256"
FONT_URL = "/__pdf_fonts__/"

#: 인쇄에만 쓰는 스타일: 글꼴, 사이트의 틀(목차, 머리글, 버튼)은 빼고 본문만.
PRINT_CSS = f"""
@font-face {{ font-family: "KG Nanum"; src: url("{FONT_URL}NanumGothic.ttf"); }}
@font-face {{ font-family: "KG Nanum"; font-weight: 700;
             src: url("{FONT_URL}NanumGothicBold.ttf"); }}
@page {{ size: A4; margin: 16mm 14mm; }}
body {{ --font-stack: "KG Nanum", sans-serif; --font-stack--headings: "KG Nanum", sans-serif;
        --font-stack--monospace: "DejaVu Sans Mono", monospace, "KG Nanum"; }}
body, h1, h2, h3, h4, p, li, td, th, dt, dd {{ font-family: "KG Nanum", sans-serif; }}
pre, code, kbd, samp {{ font-family: "DejaVu Sans Mono", monospace, "KG Nanum"; }}
.sidebar-drawer, .toc-drawer, .mobile-header, .back-to-top, .content-icon-container,
.related-pages, .bottom-of-page, .copybtn, .kg-pdf-link, .nb-links, .headerlink,
.skip-to-content, .glossary-jump {{ display: none !important; }}
.page, .main, .content, .article-container {{ display: block !important; width: auto !important;
        margin: 0 !important; padding: 0 !important; max-width: none !important; }}
pre {{ white-space: pre-wrap !important; overflow-wrap: anywhere; }}
.table-wrapper, .output.text_html, .math-wrapper {{ overflow: visible !important; }}
img {{ max-width: 100% !important; break-inside: avoid; }}
"""


def font_dir() -> Path:
    """koreanize-matplotlib가 설치된 곳의 나눔고딕 글꼴 폴더."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location, "fonts")
        if (folder / "NanumGothic.ttf").is_file():
            return folder
    raise FileNotFoundError(
        "koreanize-matplotlib의 NanumGothic.ttf가 없다: pip install koreanize-matplotlib"
    )


def web_fonts(target: Path) -> Path:
    """나눔고딕 보통·굵게를 웹 글꼴로 쓸 수 있게(VTT 원본 표를 빼고) ``target`` 에 쓴다."""
    from fontTools.ttLib import TTFont

    source = font_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name in ("NanumGothic.ttf", "NanumGothicBold.ttf"):
        font = TTFont(source / name)
        for tag in [tag for tag in font.keys() if tag.startswith("TSI")]:  # noqa: SIM118
            del font[tag]
        font.save(target / name)
    return target


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def print_pdf(singlehtml_dir: Path, output: Path, browser: browsers.Browser) -> Path:
    """``singlehtml_dir/index.html`` 을 A4 PDF로 인쇄해 ``output`` 에 쓴다."""
    from playwright.sync_api import Route, sync_playwright

    index = singlehtml_dir / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"{index}가 없다: 먼저 sphinx-build -b singlehtml 로 빌드한다")
    output.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as scratch,
        serve(singlehtml_dir) as base,
        sync_playwright() as playwright,
    ):
        fonts = web_fonts(Path(scratch))
        chromium = playwright.chromium.launch(**browser.launch_args())
        page = chromium.new_page()

        def route(route: Route) -> None:
            url = route.request.url
            if url.startswith(base + FONT_URL.lstrip("/")):
                name = url.rsplit("/", 1)[-1]
                route.fulfill(path=str(fonts / name), content_type="font/ttf")
            elif url.startswith(base):
                route.continue_()
            else:
                route.abort()

        page.route("**/*", route)
        page.emulate_media(media="print", color_scheme="light")
        page.goto(base + "index.html", wait_until="load")
        page.add_style_tag(content=PRINT_CSS)
        statuses = page.evaluate(
            """async () => {
                await document.fonts.load('16px "KG Nanum"', '가');
                await document.fonts.load('bold 16px "KG Nanum"', '가');
                await document.fonts.ready;
                return [...document.fonts]
                    .filter((f) => f.family.includes('KG Nanum')).map((f) => f.status);
            }"""
        )
        if not statuses or any(status != "loaded" for status in statuses):
            raise RuntimeError(f"나눔고딕을 읽지 못했다: {statuses}")
        page.pdf(
            path=str(output),
            format="A4",
            print_background=True,
            outline=True,
            tagged=True,
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=(
                '<div style="font-size:8px;width:100%;text-align:center;">'
                '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
            ),
        )
        chromium.close()
    return output


def input_fingerprint(docs_dir: Path, build_dir: Path) -> str:
    """PDF판의 입력: HTML 빌드의 doctree(실행 출력 포함), 스타일, 템플릿, 설정, 이 스크립트."""
    digest = hashlib.sha256()
    files = sorted((build_dir / "doctrees").rglob("*.doctree"))
    for folder in ("_static", "_templates"):
        files += sorted(p for p in (docs_dir / folder).rglob("*") if p.is_file())
    files += [docs_dir / "conf.py", Path(__file__), Path(browsers.__file__)]
    for path in files:
        digest.update(path.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_singlehtml(docs_dir: Path, build_dir: Path) -> Path:
    """사이트를 한 페이지로 빌드한다(노트북 출력은 HTML 빌드가 채운 캐시에서, 다시 실행하지 않는다).

    Its own tree (``_build/pdf/``): myst-nb writes a build's executed notebooks and the
    download copies next to the output folder, and two builders writing the same download
    files would make each build see the other's as changed and re-read every notebook page.
    It reads the HTML build's notebook cache and its records of the modules each page loaded
    (library_dependency), so every page gets the same cache key and nothing executes again.
    """
    import library_dependency

    root = build_dir / "pdf"
    records = library_dependency.RECORDS_FOLDER
    if (build_dir / "doctrees" / records).is_dir():
        shutil.copytree(
            build_dir / "doctrees" / records, root / "doctrees" / records, dirs_exist_ok=True
        )
    target = root / "singlehtml"
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "singlehtml",
        "-D", f"nb_execution_cache_path={build_dir / '.jupyter_cache'}",
        # Its own environment: singlehtml files every page's search and index entries
        # under 'index', which must not leak into the HTML site's environment.
        "-d", str(root / "doctrees"), str(docs_dir), str(target),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return target


def make_pdf(docs_dir: Path, build_dir: Path, *, force: bool, keep_stale: bool = False) -> int:
    """필요하면 PDF판을 만든다. 종료 코드를 돌려준다."""
    output = build_dir / "html" / PDF_NAME
    stamp = build_dir / STAMP_NAME
    browser = browsers.find_browser()
    if browser is None:
        message = f"PDF판을 건너뛰었다: {browsers.missing_message()}"
        if os.environ.get("CI"):
            print(f"{message} (CI에서는 PDF판이 있어야 한다)", file=sys.stderr)
            return 1
        # A PDF from an earlier build would be out of date; the home page has no link now.
        output.unlink(missing_ok=True)
        stamp.unlink(missing_ok=True)
        print(message)
        return 0
    fingerprint = input_fingerprint(docs_dir, build_dir)
    unchanged = stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == fingerprint
    if unchanged and output.is_file() and not force:
        print(f"PDF판은 그대로다(입력이 바뀌지 않았다): {output}")
        return 0
    if keep_stale and output.is_file() and not force:
        print(
            "PDF판은 지난 인쇄 그대로 두었다(그 뒤 내용이 바뀌었다): 다시 인쇄하려면 "
            f"`nox -s pdf` 또는 `nox -s docs -- --pdf`: {output}"
        )
        return 0
    stamp.unlink(missing_ok=True)
    path = print_pdf(build_singlehtml(docs_dir, build_dir), output, browser)
    stamp.write_text(fingerprint + "\n", encoding="utf-8")
    print(f"PDF판: {path} ({path.stat().st_size / 1e6:.1f} MB, {browser.executable})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docs_dir", type=Path, help="사이트 원본 폴더 (docs)")
    parser.add_argument("build_dir", type=Path, help="빌드 폴더 (docs/_build: html/, doctrees/)")
    parser.add_argument(
        "--force", action="store_true", help="입력이 그대로여도 다시 인쇄한다 (CI에서는 언제나)"
    )
    parser.add_argument(
        "--keep-stale",
        action="store_true",
        help="PDF가 있으면 입력이 바뀌었어도 다시 인쇄하지 않는다 (없으면 인쇄한다)",
    )
    args = parser.parse_args(argv)
    force = args.force or bool(os.environ.get("CI"))
    return make_pdf(
        args.docs_dir.resolve(), args.build_dir.resolve(), force=force, keep_stale=args.keep_stale
    )


if __name__ == "__main__":
    sys.exit(main())
