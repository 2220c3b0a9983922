"""Tests that read the built HTML site (`nox -s tests` builds it and passes --site-dir)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from bs4 import BeautifulSoup, Tag

import kerasguide

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

pytestmark = pytest.mark.site

# Every page a reader can reach from the navigation, with the least number of figures
# (matplotlib images in cell outputs) each must show.
PAGES: dict[str, int] = {
    "index": 0,
    "getting-started": 0,
    "ch03/index": 0,
    "ch03/tensorflow": 0,
    "ch03/keras": 2,
    "ch03/history": 1,
    "ch03/environment": 1,
    "ch03/tensorflow-basics": 0,
    "ch03/linear-classifier": 5,
    "ch03/keras-api": 0,
    "ch03/keras-layers": 0,
    "ch03/keras-training": 2,
    "ch03/keras-loop": 1,
    "ch03/backends": 0,
    "glossary": 0,
    "api": 0,
    "performance": 0,
    "about": 0,
    "guides/fit-parity": 1,
    "guides/gpu-environment": 0,
    "guides/litert": 0,
    "guides/long-training": 0,
}

# Lines TensorFlow, absl or Python print when something is noisy or wrong.
NOISE = re.compile(
    r"(cuda_|cudart_stub|oneDNN custom operations|absl::InitializeLog|"
    r"This TensorFlow binary is optimized|W0000 |I0000 |E0000 |"
    r"(User|Deprecation|Future|Runtime)Warning:)"
)


def executable_docnames() -> list[str]:
    names = []
    for path in sorted(DOCS.rglob("*.md")):
        relative = path.relative_to(DOCS)
        if relative.parts[0].startswith("_") or relative.parts[0] == "notebooks":
            continue
        if "file_format: mystnb" in path.read_text(encoding="utf-8")[:400]:
            names.append(relative.with_suffix("").as_posix())
    return names


@cache
def soup_of(site_dir: Path, docname: str) -> BeautifulSoup:
    path = site_dir / f"{docname}.html"
    assert path.is_file(), f"page {docname} is missing from the built site: {path}"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def article(soup: BeautifulSoup) -> Tag:
    node = soup.find("article")
    assert isinstance(node, Tag)
    return node


@pytest.mark.parametrize("docname", PAGES)
def test_page_exists_in_korean(site_dir: Path, docname: str) -> None:
    soup = soup_of(site_dir, docname)
    html = soup.find("html")
    assert isinstance(html, Tag) and html.get("lang") == "ko"
    text = article(soup).get_text()
    hangul = sum("가" <= ch <= "힣" for ch in text)
    assert hangul >= 30, f"{docname}: only {hangul} Hangul syllables in the article"
    assert soup.title is not None and soup.title.get_text(strip=True)


@pytest.mark.parametrize("docname", PAGES)
def test_page_has_a_description_for_sharing(site_dir: Path, docname: str) -> None:
    soup = soup_of(site_dir, docname)
    meta = soup.find("meta", attrs={"name": "description"})
    assert isinstance(meta, Tag), f"{docname}: no <meta name=description>"
    assert len(str(meta.get("content", ""))) >= 20


def test_every_executable_page_is_listed() -> None:
    assert set(executable_docnames()) <= set(PAGES)


@pytest.mark.parametrize("docname", executable_docnames())
def test_executable_page_was_executed(site_dir: Path, docname: str) -> None:
    body = article(soup_of(site_dir, docname))
    cells = body.select("div.cell")
    assert cells, f"{docname}: no code cells rendered"
    outputs = body.select("div.cell_output")
    assert outputs, f"{docname}: no cell produced output (page not executed?)"


@pytest.mark.parametrize("docname", executable_docnames())
def test_no_error_or_stderr_output(site_dir: Path, docname: str) -> None:
    body = article(soup_of(site_dir, docname))
    assert not body.select(".output.stderr"), f"{docname}: stderr output on the page"
    for traceback in body.select(".output.traceback"):
        cell = traceback.find_parent("div", class_="cell")
        assert cell is not None and "tag_raises-exception" in cell.get("class", []), (
            f"{docname}: an error output in a cell not tagged raises-exception:\n"
            + traceback.get_text()[:500]
        )
    for output in body.select("div.cell_output"):
        match = NOISE.search(output.get_text())
        assert match is None, f"{docname}: log noise in an output: {match.group(0)!r}"


@pytest.mark.parametrize(("docname", "figures"), [(d, n) for d, n in PAGES.items() if n])
def test_figures_present_with_alt_text(site_dir: Path, docname: str, figures: int) -> None:
    images = article(soup_of(site_dir, docname)).select("div.cell_output img")
    assert len(images) >= figures, f"{docname}: {len(images)} figures, expected {figures}+"
    for image in images:
        alt = str(image.get("alt", ""))
        assert alt and alt != "_images", f"{docname}: figure {image.get('src')} has no alt text"
        assert (site_dir / docname).parent.joinpath(unquote(str(image["src"]))).is_file()


def _internal_links(site_dir: Path) -> list[tuple[Path, str]]:
    links = []
    for page in sorted(site_dir.rglob("*.html")):
        if "_modules" in page.parts or "_static" in page.parts:
            continue
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for anchor in soup.select("article a[href]"):
            href = str(anchor["href"])
            if urlparse(href).scheme or href.startswith(("mailto:", "//")):
                continue
            links.append((page, href))
    return links


def test_internal_links_and_anchors_resolve(site_dir: Path) -> None:
    broken = []
    ids: dict[Path, set[str]] = {}
    for page, href in _internal_links(site_dir):
        target, fragment = urldefrag(href)
        path = (page.parent / unquote(target)).resolve() if target else page
        if path.is_dir():
            path = path / "index.html"
        if not path.exists():
            broken.append(f"{page.relative_to(site_dir)} -> {href}")
            continue
        if fragment and path.suffix == ".html":
            if path not in ids:
                soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
                ids[path] = {str(tag["id"]) for tag in soup.select("[id]")}
            if unquote(fragment) not in ids[path]:
                broken.append(f"{page.relative_to(site_dir)} -> {href} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_api_reference_documents_every_public_name(site_dir: Path) -> None:
    text = article(soup_of(site_dir, "api")).get_text()
    documented = {
        str(node["id"]) for node in soup_of(site_dir, "api").select("dt[id]") if node.get("id")
    }
    for name in kerasguide.__all__:
        if name in {"__version__", "env"}:
            continue
        assert f"kerasguide.{name}" in documented, f"kerasguide.{name} is not on the API page"
    for name in kerasguide.env.__all__:
        assert f"kerasguide.env.{name}" in documented, f"kerasguide.env.{name} is missing"
    assert "Traceback" not in text


def test_sitemap_lists_the_pages(site_dir: Path) -> None:
    sitemap = (site_dir / "sitemap.xml").read_text(encoding="utf-8")
    for docname in PAGES:
        assert f"{docname}.html" in sitemap or docname == "index"


def test_not_found_page_exists(site_dir: Path) -> None:
    soup = BeautifulSoup((site_dir / "404.html").read_text(encoding="utf-8"), "html.parser")
    assert "페이지" in soup.get_text()


# Absolute paths of the machine that built the site: a traceback or a printed path leaks them.
BUILD_PATH = re.compile(r"(/work/|/home/|/tmp/|/Users/|/root/|site-packages|\.nox/|[A-Z]:\\)")


@pytest.mark.parametrize("docname", executable_docnames())
def test_no_build_machine_paths_in_outputs(site_dir: Path, docname: str) -> None:
    for output in article(soup_of(site_dir, docname)).select("div.cell_output"):
        text = output.get_text()
        match = BUILD_PATH.search(text) or (str(ROOT) in text and str(ROOT))
        assert not match, f"{docname}: an output shows a build-machine path: {text[:300]!r}"


def test_backends_page_ran_keras_on_tensorflow_and_on_jax(site_dir: Path) -> None:
    body = article(soup_of(site_dir, "ch03/backends"))
    outputs = "\n".join(o.get_text() for o in body.select("div.cell_output"))
    # The page's own kernel runs Keras on JAX (hidden first cell), ...
    assert "이 커널의 케라스 백엔드: jax" in outputs
    # ... and the same Keras script ran once per backend, each printing its own backend.
    for backend in ("tensorflow", "jax"):
        assert f"[KERAS_BACKEND={backend}]" in outputs
        assert f"백엔드: {backend}" in outputs
    assert "EagerTensor" in outputs and "jax" in outputs.lower()
    # The hidden cell that picks the backend is not shown; the PyTorch listing is not run.
    assert 'os.environ["KERAS_BACKEND"] = "jax"' not in body.select("div.cell")[0].get_text()
    listings = [
        p for p in body.select("div.highlight-python pre") if "import torch" in p.get_text()
    ]
    assert listings, "the PyTorch listing is missing"
    for pre in listings:
        assert pre.find_parent("div", class_="cell") is None, "PyTorch code must not be a code cell"
        box = pre.find_parent("div", class_="admonition")
        assert box is not None and "실행하지 않은 코드" in box.get_text()


def test_backends_give_the_same_losses(site_dir: Path) -> None:
    text = article(soup_of(site_dir, "ch03/backends")).get_text()
    runs = re.findall(r"에포크별 손실: ([0-9. ]+)", text)
    assert len(runs) == 2, runs
    tf_losses, jax_losses = ([float(v) for v in run.split()] for run in runs)
    assert len(tf_losses) == len(jax_losses) == 5
    assert max(abs(a - b) for a, b in zip(tf_losses, jax_losses, strict=True)) <= 2e-4


def test_loss_table_by_problem_type(site_dir: Path) -> None:
    body = article(soup_of(site_dir, "ch03/keras-training"))
    table = next(
        t for t in body.find_all("table") if "손실 함수" in t.get_text() and "회귀" in t.get_text()
    )
    rows = {
        row.find_all("td")[0].get_text(strip=True): row.get_text(" ", strip=True)
        for row in table.find_all("tr")
        if row.find_all("td")
    }
    expected = {
        "회귀": ("mean_squared_error",),
        "이진 분류": ("sigmoid", "binary_crossentropy"),
        "다중 분류": ("softmax", "sparse_categorical_crossentropy"),
        "원-핫": ("softmax", "categorical_crossentropy"),
        "다중 레이블": ("sigmoid", "binary_crossentropy"),
    }
    for problem, words in expected.items():
        row = next((text for name, text in rows.items() if problem in name), None)
        assert row is not None, f"no row for {problem}: {list(rows)}"
        for word in words:
            assert word in row, f"{problem}: {word} missing from {row!r}"


def _glue_roles(docname: str) -> list[str]:
    source = (DOCS / f"{docname}.md").read_text(encoding="utf-8")
    return re.findall(r"\{glue:text\}`([^`:]+)", source)


@pytest.mark.parametrize("docname", [d for d in executable_docnames() if _glue_roles(d)])
def test_glued_values_are_pasted(site_dir: Path, docname: str) -> None:
    body = article(soup_of(site_dir, docname))
    text = body.get_text()
    assert "{glue" not in text and "glue:text" not in text
    pasted = body.select("span.pasted-text")
    assert len(pasted) >= len(_glue_roles(docname)), f"{docname}: glued values missing"
    for span in pasted:  # every glued value in these pages is a number
        float(span.get_text(strip=True).replace(",", ""))
