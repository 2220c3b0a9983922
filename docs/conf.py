"""Sphinx configuration for the kerasguide course site."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

DOCS_DIR = Path(__file__).parent.resolve()
ROOT_DIR = DOCS_DIR.parent
if str(DOCS_DIR / "_ext") not in sys.path:
    sys.path.insert(0, str(DOCS_DIR / "_ext"))

# Settings read once from pyproject (docs/_ext/project_settings.py): the site's public address
# and the repository live in one place, pyproject's [project.urls].
from project_settings import (  # noqa: E402
    NOTEBOOKS_DIR,
    REPOSITORY_BRANCH,
    REPOSITORY_URL,
    SITE_URL,
    VERSION,
)

# -- Figures: notebook kernels draw matplotlib figures as SVG (sharp at any zoom and density) --
# (jupyter-cache does not see this: after changing it, rebuild with `nox -s docs -- --fresh`.)
KERNEL_CONFIG = ["c.InlineBackend.figure_formats = {'svg'}"]


def _prepare_notebook_kernels(app: Any) -> None:
    """Environment for the notebook kernels of this build (they inherit this process's).

    Done when the build starts (``setup`` below), not when conf.py is imported.
    """
    # Keep TensorFlow's C++ INFO and WARNING lines off the pages.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TensorFlow writes a few C++ start-up lines (CUDA probing, oneDNN notice) to file
    # descriptor 2 before any log level applies, and ipykernel copies fd output into the page
    # as stderr. Kernels of this build run with `capture_fd_output = False`, so those lines go
    # to the build log; Python-level warnings still reach the page and fail the strict build.
    ipython_dir = Path(app.doctreedir).parent / "ipython"
    (ipython_dir / "profile_default").mkdir(parents=True, exist_ok=True)
    # The kernel application's own log (not the page's warnings, which go to the page) at
    # ERROR: ipykernel 7 warns at every kernel start that its loopback TCP is unencrypted.
    (ipython_dir / "profile_default" / "ipython_kernel_config.py").write_text(
        "c.IPKernelApp.capture_fd_output = False\n"
        "c.IPKernelApp.log_level = 'ERROR'\n" + "".join(f"{line}\n" for line in KERNEL_CONFIG),
        encoding="utf-8",
    )
    os.environ["IPYTHONDIR"] = str(ipython_dir)
    # Fixed hashing, so that printed sets and dicts keep their order between builds.
    os.environ.setdefault("PYTHONHASHSEED", "0")


def _library_source(app: Any, modname: str) -> tuple[str, dict[str, Any]] | None:
    """kerasguide's source for viewcode's "[소스]" pages, read from the file, not imported.

    Without this handler viewcode imports every documented module at the end of each build,
    even one that changed nothing, and ``kerasguide.layers`` imports TensorFlow: seconds of
    start-up and its C++ start-up lines in the build log. In exchange viewcode rewrites the
    ten ``_modules/`` pages on every build (it has no file time to compare): a fraction of a
    second. A module that does not parse (mid-edit, under docs-live) is left to viewcode.
    """
    from sphinx.pycode import ModuleAnalyzer, PycodeError

    if modname.split(".")[0] != "kerasguide":
        return None
    base = ROOT_DIR.joinpath(*modname.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            try:
                analyzer = ModuleAnalyzer.for_file(path, modname)
                analyzer.find_tags()
            except PycodeError:
                return None
            return analyzer.code, analyzer.tags
    return None


def setup(app: Any) -> None:
    # Before myst-nb's own builder-inited handler (priority 500) and any kernel start.
    app.connect("builder-inited", _prepare_notebook_kernels, priority=100)
    app.connect("viewcode-find-source", _library_source)


def _register_korean_font() -> str:
    import importlib.util

    from matplotlib import font_manager

    spec = importlib.util.find_spec("koreanize_matplotlib")
    for location in (spec.submodule_search_locations or []) if spec else []:
        for path in sorted(Path(location, "fonts").glob("NanumGothic*.ttf")):
            font_manager.fontManager.addfont(str(path))
    return "NanumGothic"


# -- Project information -----------------------------------------------------------------------

project = "kerasguide"
html_title = "케라스와 텐서플로: 실행하며 배우는 3장"
author = "kerasguide 개발자들"
copyright = "2026, kerasguide 개발자들"
release = VERSION
language = "ko"

# -- General configuration ---------------------------------------------------------------------

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
    "sphinx_design",
    "sphinx_sitemap",
    "sphinxext.opengraph",
    "notfound.extension",
    # Local extensions (docs/_ext/).
    "library_dependency",
    "sitemap_all_pages",
    "korean_search",
    "colab_notebooks",
    "page_meta",
    "korean_ui",
    "mathml_math",
    "glossary_index",
]

# Build output and execution artefacts must never be read back as sources.
exclude_patterns = [
    "_build",
    "jupyter_execute",
    ".jupyter_cache",
    "**.ipynb_checkpoints",
    "notebooks",
    "Thumbs.db",
    ".DS_Store",
]
templates_path = ["_templates"]
nitpicky = False

# -- MyST and MyST-NB --------------------------------------------------------------------------


def _recall_substitutions() -> dict[str, str]:
    """The about page's search-recall figures, from the file benchmarks/search_recall.py wrote.

    `python benchmarks/search_recall.py --site-dir docs/_build/html --json
    docs/_data/search_recall.json` measures them; the page never types them by hand.
    """
    path = DOCS_DIR / "_data" / "search_recall.json"
    if not path.is_file():  # not measured yet: the page says so instead of showing numbers
        unknown = "(아직 재지 않았다: 아래 명령으로 잰다)"
        names = ["recall_top", "recall_queries", "recall_ours", "recall_sphinx", "recall_missed"]
        return dict.fromkeys(names, unknown)
    data = json.loads(path.read_text(encoding="utf-8"))

    def line(key: str) -> str:
        share = data[key]
        return f"{share['total']}개 중 {share['found']}개 ({share['recall']:.1%})"

    missed = [q["query"] for q in data["queries"] if q["ours_rank"] is None]
    return {
        "recall_top": str(data["top"]),
        "recall_queries": str(data["ours"]["total"]),
        "recall_ours": line("ours"),
        "recall_sphinx": line("baseline"),
        "recall_missed": ", ".join(f"`{q}`" for q in missed) or "없음",
    }


def _assert_output_substitutions() -> dict[str, str]:
    """The about page's count of hidden assertion cells (docs/_ext/assert_output_count.py).

    Counted in the pages' sources at every build: the page never types the number by hand.
    """
    from assert_output_count import count_in_docs

    counts = count_in_docs(DOCS_DIR)
    return {
        "assert_output_cells": str(sum(counts.values())),
        "assert_output_pages": str(len(counts)),
    }


myst_substitutions = {**_recall_substitutions(), **_assert_output_substitutions()}
myst_enable_extensions = [
    "colon_fence",
    "deflist",
    "dollarmath",
    "amsmath",
    "attrs_inline",
    "substitution",
]
myst_heading_anchors = 3

# Execute every notebook at build time, reusing jupyter-cache where code is unchanged.
nb_execution_mode = "cache"
nb_execution_timeout = 600  # seconds per cell
nb_execution_raise_on_error = False  # a failing cell is a warning: `-W` fails the build ...
nb_execution_show_tb = True  # ... and shows the traceback in the log
nb_merge_streams = True
# Any stderr output (warnings, TF logs) becomes a Sphinx warning, and `-W` turns it into a
# failed build: the pages never carry log noise.
nb_output_stderr = "warn"
# The toggle of hidden cells speaks Korean too ({type} would insert English: input/output/all).
nb_code_prompt_show = "펼쳐 보기"
nb_code_prompt_hide = "접기"

# Re-execute pages that import kerasguide whenever the library's source changes.
library_dependency_packages = {"kerasguide": "../kerasguide"}

# -- API reference -----------------------------------------------------------------------------

autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

# -- HTML --------------------------------------------------------------------------------------

html_theme = "furo"
html_baseurl = SITE_URL
html_static_path = ["_static"]
html_css_files = ["kerasguide.css"]
html_js_files = ["kerasguide.js"]
html_last_updated_fmt = "%Y-%m-%d"
html_theme_options = {
    "source_repository": REPOSITORY_URL,
    "source_branch": REPOSITORY_BRANCH,
    "source_directory": "docs/",
    "navigation_with_keys": True,
}
html_show_sourcelink = False

# Copy buttons copy the code only: no prompts, no outputs.
copybutton_exclude = ".linenos, .gp, .go"
copybutton_selector = "div.cell_input div.highlight pre, div:not(.output) > div.highlight pre"

# sitemap.xml with clean URLs under html_baseurl.
sitemap_url_scheme = "{link}"
sitemap_locales = [None]
sitemap_excludes = ["404.html", "search.html", "genindex.html", "py-modindex.html", "_modules/*"]

# Open Graph tags so a shared link shows the page's title and description.
ogp_site_url = SITE_URL
ogp_site_name = html_title
ogp_type = "article"
ogp_enable_meta_description = True
# Social preview cards are drawn with matplotlib: give them a Korean font (the NanumGothic
# files that koreanize-matplotlib ships; its module itself is not imported).
ogp_social_cards = {"font": _register_korean_font()}

# 404 page with absolute links (served from the site's root on GitHub Pages).
notfound_context = {
    "title": "페이지를 찾을 수 없다",
    "body": (
        "<h1>페이지를 찾을 수 없다 (404)</h1>"
        "<p>주소가 바뀌었거나 없는 페이지다. 왼쪽 목차나 검색 상자에서 찾는 내용을 검색해 보자.</p>"
    ),
}
notfound_urls_prefix = "/" + SITE_URL.split("://", 1)[-1].split("/", 1)[-1].strip("/") + "/"

# -- Korean interface (docs/locale/, docs/_templates/, docs/_ext/korean_ui.py) ------------------
# The theme's and Sphinx's strings come from docs/locale/ko/LC_MESSAGES/sphinx.po (Sphinx compiles
# it); an absolute path, since Sphinx looks up the browser-side catalog relative to the cwd.
locale_dirs = [str(DOCS_DIR / "locale")]

# -- Math without a CDN (docs/_ext/mathml_math.py) ---------------------------------------------
# LaTeX becomes MathML at build time: no MathJax script, no request to another host.
html_math_renderer = "mathml"

# -- Sharing (docs/_ext/page_meta.py) ---------------------------------------------------------
# og:description and the social card's alt text use each page's front-matter description
# (myst.html_meta.description) instead of the page's first words.

# -- Korean search (docs/_ext/korean_search/) ---------------------------------------------------
# Korean search language: kiwipiepy splits words into morphemes at index time; the browser
# strips particles from queries. Spelling variants come from the glossary entries (first term
# line = the form the site uses). `-D korean_search=0` builds with Sphinx's own search.
korean_search = True
korean_search_glossary = "glossary"
# Result ranking (BM25 over the Korean index) through Sphinx's own option for a custom scorer.
html_search_scorer = str(DOCS_DIR / "_ext" / "korean_search" / "scorer.js")
# Common misspellings that the glossary does not list: the first form is the one the site uses.
korean_search_variants = [["옵티마이저", "옵티마이져"], ["그레이디언트", "그라디언트"]]

# -- Notebooks: download and Colab (docs/_ext/colab_notebooks/) -------------------------------
# Every executable page links its executed notebook (.ipynb with outputs) and opens
# docs/notebooks/<page>.ipynb in Colab; that notebook's first cell installs kerasguide from
# this repository and branch. `nox -s notebooks` regenerates docs/notebooks/ from the pages.
notebook_links_repository = REPOSITORY_URL
notebook_links_branch = REPOSITORY_BRANCH
notebook_links_dir = NOTEBOOKS_DIR
