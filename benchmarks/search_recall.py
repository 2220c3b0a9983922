"""검색 재현율: 한국어 검색어 모음을 실제 브라우저의 검색 페이지에 넣고 상위 5개를 센다.

검색어마다 그 검색어로 찾아야 할 페이지를 적어 두었다(강의 페이지를 읽고 쓴 것). 빌드된 사이트를
127.0.0.1에서 띄우고, 데비안의 Chromium(Playwright)으로 사이드바 검색 상자에 검색어를 입력해
``search.html?q=...`` 결과가 다 나올 때까지 기다린 뒤, 결과 목록의 처음 다섯 항목에 기대한
페이지가 있는지 본다. 같은 페이지들을 Sphinx 기본 검색(``-D korean_search=0``)으로 빌드한
사이트에도 똑같이 해서 두 비율을 나란히 출력한다.

Usage:
    nox -s docs                      # docs/_build/html
    python benchmarks/search_recall.py --site-dir docs/_build/html

기준 사이트(Sphinx 기본 검색)가 ``--baseline-dir`` (기본 ``docs/_build/html-sphinx-search``)에
없으면 다음 명령으로 만든다. 노트북 실행 결과는 본 빌드의 jupyter-cache(같은 상위 폴더의
``.jupyter_cache``)를 다시 쓰므로 페이지를 다시 실행하지 않는다::

    sphinx-build -b html -D korean_search=0 -d docs/_build/doctrees-sphinx-search \
        docs docs/_build/html-sphinx-search
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TOP = 5

#: (검색어, 찾아야 할 페이지). 학생이 검색 상자에 칠 법한 말로, 조사가 붙은 형태도 섞었다.
#: 검색어는 페이지를 읽고 정했고, 결과를 본 뒤에 바꾸지 않았다. 3.5절과 3.6절을 나눈 뒤에는 내용이
#: 옮겨 간 페이지(3.5절 실습, 3.6.1–3.6.3)로 기대 페이지만 고쳤다.
QUERIES: list[tuple[str, str]] = [
    # 3.1 텐서플로 소개
    ("텐서플로우 플랫폼", "ch03/tensorflow"),
    ("넘파이와의 차이점", "ch03/tensorflow"),
    ("자동 미분", "ch03/tensorflow"),
    ("이식성", "ch03/tensorflow"),
    ("TFLite로 모바일 기기에서 실행", "ch03/tensorflow"),
    ("강화학습", "ch03/tensorflow"),
    ("TPU 같은 가속기", "ch03/tensorflow"),
    # 3.2 케라스
    ("함수형 API", "ch03/keras"),
    ("모델 서브클래싱", "ch03/keras"),
    ("Sequential 모델을 만드는 법", "ch03/keras"),
    ("워크플로", "ch03/keras"),
    ("최상위 프레임워크", "ch03/keras"),
    # 3.3 약력
    ("씨아노", "ch03/history"),
    ("케라스의 역사", "ch03/history"),
    ("백엔드 연표", "ch03/history"),
    ("파이토치와 JAX 백엔드", "ch03/history"),
    # 3.4 작업환경
    ("구글 코랩", "ch03/environment"),
    ("코랩에서 GPU를 쓰려면", "ch03/environment"),
    ("런타임 유형", "ch03/environment"),
    ("혼합 정밀도", "guides/gpu-environment"),
    ("분산 전략", "guides/gpu-environment"),
    ("메모리 증가", "guides/gpu-environment"),
    ("그래픽카드 드라이버", "ch03/environment"),
    ("WSL2에서 GPU", "ch03/environment"),
    ("작업환경 점검", "ch03/environment"),
    # 3.5 텐서플로 기본 사용법
    ("상수 텐서", "ch03/tensorflow-basics"),
    ("변수 텐서의 값을 바꾸기", "ch03/tensorflow-basics"),
    ("assign 메서드", "ch03/tensorflow-basics"),
    ("그래디언트 테이프", "ch03/tensorflow-basics"),
    ("2계 그레이디언트", "ch03/tensorflow-basics"),
    ("선형 분류기", "ch03/linear-classifier"),
    ("평균 제곱 오차", "ch03/linear-classifier"),
    ("결정 직선", "ch03/linear-classifier"),
    ("편향", "ch03/linear-classifier"),
    # 3.6 케라스의 핵심 API
    ("밀집층", "ch03/keras-layers"),
    ("자동 모양 추론", "ch03/keras-layers"),
    ("층의 가중치", "ch03/keras-layers"),
    ("손실함수와 옵티마이저", "ch03/keras-training"),
    ("검증 데이터", "ch03/keras-training"),
    ("추론", "ch03/keras-training"),
    ("모델을 컴파일하는 방법", "ch03/keras-training"),
    # 시작하기, API, 용어집
    ("가상환경 만들기", "getting-started"),
    ("사이트를 직접 빌드하기", "getting-started"),
    ("SimpleDense", "api"),
    ("용어집", "glossary"),
    # 문장처럼 친 검색어(조사와 어미가 붙은 꼴)
    ("구글이 설계한 TPU", "ch03/tensorflow"),
    ("휴대폰에서 모델을 실행", "ch03/tensorflow"),
    ("행렬 곱셈을 GPU에서", "ch03/tensorflow"),
    ("넘파이 배열과 텐서플로 텐서", "ch03/tensorflow"),
    ("자료형", "ch03/tensorflow"),
    ("가중치를 갱신하는 과정", "ch03/linear-classifier"),
    ("텐서에 값을 대입하기", "ch03/tensorflow-basics"),
    ("열벡터", "ch03/tensorflow-basics"),
    ("텐서플로우로 선형 분류기 만들기", "ch03/linear-classifier"),
    ("씨아노를 백엔드로 쓴 케라스", "ch03/history"),
    ("KERAS_BACKEND 환경 변수", "ch03/history"),
    ("시그모이드 활성화 함수", "ch03/keras-training"),
    ("층을 쌓아 만든 모델", "ch03/keras-layers"),
    ("검증 손실", "ch03/keras-training"),
    ("드라이버를 설치", "ch03/environment"),
    ("런타임 유형을 GPU로", "ch03/environment"),
    # 두 음절 명사 하나(페이지에는 조사나 어미가 붙은 꼴로 나온다)
    ("갱신", "ch03/linear-classifier"),
    ("대입", "ch03/tensorflow-basics"),
    ("직선", "ch03/linear-classifier"),
    ("구름", "ch03/linear-classifier"),
    ("곱셈", "ch03/tensorflow"),
    ("보상", "ch03/tensorflow"),
    ("코어", "ch03/tensorflow"),
    ("연표", "ch03/history"),
    ("요금", "ch03/environment"),
    ("검증", "ch03/keras-training"),
    ("컴파일", "ch03/keras-training"),
    # 흔한 오타와 띄어쓰기 변형(페이지와 용어집은 다른 표기를 쓴다)
    ("옵티마이져", "ch03/keras-training"),
    ("옵티마이져를 고르는 법", "ch03/keras-training"),
    ("경사 하강법", "ch03/linear-classifier"),
    ("그라디언트 테이프", "ch03/tensorflow-basics"),
    ("그레이디언트테이프", "ch03/tensorflow-basics"),
    ("미니배치", "ch03/linear-classifier"),
    ("활성화함수", "ch03/keras-layers"),
    ("작업 환경", "ch03/environment"),
    ("체크 포인트", "guides/long-training"),
    ("텐서 플로우", "ch03/tensorflow"),
    ("밀집 층", "ch03/keras-layers"),
]


@dataclass(frozen=True)
class Outcome:
    query: str
    expected: str
    results: list[str]

    @property
    def rank(self) -> int | None:
        """기대한 페이지가 처음 나온 순위(1부터). 상위 5개 밖이면 None."""
        for position, docname in enumerate(self.results[:TOP], start=1):
            if docname == self.expected:
                return position
        return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(site_dir: Path) -> Iterator[str]:
    """``site_dir`` 를 127.0.0.1의 빈 포트에서 띄우고 기본 주소를 준다."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


#: 검색이 끝났는가: searchtools.js는 결과를 다 그린 뒤 제목을 '검색 중'에서 '검색 결과'로
#: 바꾼다. 진행 표시(``Search._pulse_status``)는 쓸 수 없다: 멈춘 뒤에도 이미 예약된 타이머가
#: 다시 켠다.
SEARCH_DONE = (
    "() => { const h = document.querySelector('#search-results h2');"
    " return h !== null && h.innerText.trim() === Documentation.gettext('Search Results'); }"
)


def _docname(base: str, page_url: str, href: str) -> str:
    url, _fragment = urldefrag(urljoin(page_url, href))
    path = urlparse(url).path[len(urlparse(base).path) :]
    return path.removesuffix(".html")


def run_queries(site_dir: Path, queries: list[tuple[str, str]]) -> list[Outcome]:
    """검색 상자에 검색어를 하나씩 입력하고 결과 페이지 목록(순서대로)을 모은다."""
    from playwright.sync_api import sync_playwright

    outcomes = []
    with serve(site_dir) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(base + "search.html")
        for query, expected in queries:
            box = page.locator("input[name=q]").first
            box.fill(query)
            with page.expect_navigation():
                box.press("Enter")
            page.wait_for_function(SEARCH_DONE, timeout=60_000)
            hrefs = page.eval_on_selector_all(
                "#search-results ul.search > li > a", "els => els.map(e => e.getAttribute('href'))"
            )
            results = [_docname(base, page.url, href) for href in hrefs]
            outcomes.append(Outcome(query, expected, results))
        browser.close()
    return outcomes


def build_baseline(baseline_dir: Path) -> None:
    """같은 페이지를 Sphinx 기본 검색으로 빌드한다(``-D korean_search=0``)."""
    doctrees = baseline_dir.parent / "doctrees-sphinx-search"
    command = [
        sys.executable, "-m", "sphinx", "-b", "html", "-q", "-D", "korean_search=0",
        "-d", str(doctrees), str(DOCS), str(baseline_dir),
    ]  # fmt: skip
    print("기준 사이트를 빌드한다:", " ".join(command[2:]), flush=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    subprocess.run(command, check=True, cwd=ROOT, env=env)


def _rank_text(rank: int | None) -> str:
    return f"{rank}위" if rank is not None else "없음"


def report(ours: list[Outcome], baseline: list[Outcome] | None) -> dict[str, object]:
    width = max(len(q) for q, _ in QUERIES)
    print(f"\n{'검색어':<{width}}  {'찾아야 할 페이지':<24} {'한국어 검색':>8} {'Sphinx 기본':>8}")
    for index, outcome in enumerate(ours):
        other = _rank_text(baseline[index].rank) if baseline else "-"
        print(
            f"{outcome.query:<{width}}  {outcome.expected:<24} "
            f"{_rank_text(outcome.rank):>8} {other:>8}"
        )

    def share(outcomes: list[Outcome]) -> dict[str, object]:
        found = sum(o.rank is not None for o in outcomes)
        return {"found": found, "total": len(outcomes), "recall": found / len(outcomes)}

    summary: dict[str, object] = {"top": TOP, "ours": share(ours)}
    lines = [("한국어 검색(korean_search)", share(ours))]
    if baseline is not None:
        summary["baseline"] = share(baseline)
        lines.append(("Sphinx 기본 검색", share(baseline)))
    print()
    for label, numbers in lines:
        print(
            f"{label}: 검색어 {numbers['total']}개 중 {numbers['found']}개가 상위 {TOP}개 안에서 "
            f"기대한 페이지를 찾았다 ({numbers['recall']:.1%})."
        )
    summary["queries"] = [
        {
            "query": o.query,
            "expected": o.expected,
            "ours": o.results[:TOP],
            "ours_rank": o.rank,
            **(
                {"baseline": baseline[i].results[:TOP], "baseline_rank": baseline[i].rank}
                if baseline
                else {}
            ),
        }
        for i, o in enumerate(ours)
    ]
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site-dir", type=Path, required=True, help="빌드된 사이트(한국어 검색)")
    parser.add_argument(
        "--baseline-dir",
        type=Path,
        default=None,
        help="Sphinx 기본 검색으로 빌드한 같은 사이트(기본: site-dir 옆의 html-sphinx-search)",
    )
    parser.add_argument(
        "--rebuild-baseline", action="store_true", help="기준 사이트가 있어도 다시 빌드한다"
    )
    parser.add_argument("--no-baseline", action="store_true", help="한국어 검색만 잰다")
    parser.add_argument("--json", type=Path, default=None, help="결과를 JSON 파일로도 쓴다")
    args = parser.parse_args(argv)

    site_dir = args.site_dir.resolve()
    if not (site_dir / "search.html").is_file():
        parser.error(f"--site-dir={site_dir}: search.html이 없다. 먼저 사이트를 빌드한다.")
    if not Path(CHROMIUM).is_file():
        parser.error(f"{CHROMIUM}가 없다: apt-get install chromium")

    ours = run_queries(site_dir, QUERIES)
    baseline = None
    if not args.no_baseline:
        baseline_dir = (args.baseline_dir or site_dir.parent / "html-sphinx-search").resolve()
        if args.rebuild_baseline or not (baseline_dir / "search.html").is_file():
            build_baseline(baseline_dir)
        baseline = run_queries(baseline_dir, QUERIES)
    summary = report(ours, baseline)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
