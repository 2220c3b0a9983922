"""Development tasks: `nox -s docs` builds the site, `nox -s tests` tests everything.

Sessions reuse their virtualenvs (TensorFlow is installed once per session), and pass
`session.posargs` through to the tool they wrap: `nox -s tests -- -k fit -x`.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent.resolve()
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")

DOCS_SRC = ROOT / "docs"
BUILD_DIR = DOCS_SRC / "_build"
HTML_DIR = BUILD_DIR / "html"
PDF_FILE = HTML_DIR / "kerasguide.pdf"
# Sphinx builds with every core; myst-nb executes notebooks in the parallel read phase.
STRICT_HTML = ["-j", "auto", "-W", "--keep-going", "-b", "html", "-d", str(BUILD_DIR / "doctrees")]
# TensorFlow in the build, its notebook kernels and the tests: no C++ INFO/WARNING lines, and
# oneDNN off (its start-up notice goes, and every run computes with the same kernels). A value
# the user set wins.
DOCS_REQUIREMENTS = nox.project.dependency_groups(PYPROJECT, "docs")
TF_QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def tf_env() -> dict[str, str]:
    return {name: os.environ.get(name, value) for name, value in TF_QUIET.items()}


def install(session: nox.Session, *groups: str) -> None:
    """Install kerasguide (editable, so pages run the working tree) and dependency groups."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, *groups))


def notebook_env(session: nox.Session) -> dict[str, str]:
    """Make notebook kernels run in this session's virtualenv, not a user-wide kernelspec."""
    venv = Path(session.virtualenv.location)
    data_dir = venv / "share" / "jupyter"
    if not (data_dir / "kernels" / "python3" / "kernel.json").is_file():
        session.run(
            "python", "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
            silent=True,
        )  # fmt: skip
    # The user's own data dir (~/.local/share/jupyter) would come first; point it here.
    return {
        "JUPYTER_DATA_DIR": str(data_dir), "PYDEVD_DISABLE_FILE_VALIDATION": "1", **tf_env(),
    }  # fmt: skip


def browser_found(session: nox.Session) -> bool:
    """Whether docs/_ext/browsers.py finds a Chromium for the PDF edition (session's venv)."""
    output = session.run(
        "python", "docs/_ext/browsers.py", silent=True, success_codes=[0, 1], log=False
    )  # fmt: skip
    lines = str(output).strip().splitlines()
    return bool(lines) and Path(lines[-1]).is_file()


def site_commands(session: nox.Session, *extra_args: str, pdf: str = "changed") -> list[list[str]]:
    """The HTML build, then the PDF edition, printed when `pdf` says (CI: always).

    `pdf`: "changed" reprints when its input changed (the tests read it); "missing" prints only
    when there is none yet and otherwise keeps the old one with a notice (the edit loop of
    `nox -s docs`: reprinting some 140 pages takes tens of seconds); "always".
    Without a browser the PDF is skipped with a one-line notice (in CI it fails), and the home
    page then has no PDF link (the template shows it when `kg_pdf_edition` is set).
    """
    pdf_link = ["-A", "kg_pdf_edition=1"] if browser_found(session) else []
    html = ["sphinx-build", *STRICT_HTML, *pdf_link, *extra_args, str(DOCS_SRC), str(HTML_DIR)]
    when = {"changed": [], "missing": ["--keep-stale"], "always": ["--force"]}[pdf]
    return [
        [*TF_STARTUP_FILTER, *html],
        ["python", "docs/_ext/pdf_edition.py", str(DOCS_SRC), str(BUILD_DIR), *when],
    ]


# Runs the build with TensorFlow's C++ start-up lines (which TF_CPP_MIN_LOG_LEVEL cannot hold
# back) taken out of its stderr: the build's and every notebook kernel's.
TF_STARTUP_FILTER = ["python", "docs/_ext/tf_startup_filter.py"]


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site strictly: every notebook executed, any warning or cell error fails.

    The PDF edition is printed when there is none yet; after an edit the old one stays (one
    line says so) until `nox -s docs -- --pdf` or `nox -s pdf` prints it again. CI (and the
    Pages workflow) always prints it. `nox -s docs -- --fresh` re-executes every page.
    """
    install(session, "docs")
    env = notebook_env(session)
    if "--fresh" in session.posargs:  # forget cached outputs and re-execute every page
        shutil.rmtree(BUILD_DIR, ignore_errors=True)
    extra = [a for a in session.posargs if a not in {"--fresh", "--pdf"}]
    pdf = "always" if "--pdf" in session.posargs else "missing"
    for command in site_commands(session, *extra, pdf=pdf):
        session.run(*command, env=env)
    session.log(f"사이트가 만들어졌다: {HTML_DIR / 'index.html'}")


@nox.session
def pdf(session: nox.Session) -> None:
    """The PDF edition alone (docs/_build/html/kerasguide.pdf), printed again even if unchanged.

    It prints the site that `nox -s docs` built last (the singlehtml build reads the same
    notebook cache).
    """
    install(session, "docs")
    session.run(
        "python", "docs/_ext/pdf_edition.py", str(DOCS_SRC), str(BUILD_DIR), "--force",
        env=notebook_env(session),
    )  # fmt: skip


@nox.session
def browsers(session: nox.Session) -> None:
    """Install Playwright's Chromium, for the PDF edition and the browser tests.

    Run it once on macOS, Windows, or a Linux without Debian's `chromium` package; the docs and
    tests sessions find it there (docs/_ext/browsers.py).
    """
    session.install(*(r for r in DOCS_REQUIREMENTS if r.startswith("playwright")))
    session.run("python", "-m", "playwright", "install", "chromium", *session.posargs)
    session.run("python", "docs/_ext/browsers.py")


@nox.session(name="docs-live")
def docs_live(session: nox.Session) -> None:
    """Serve the site on http://127.0.0.1:8000 and rebuild it on every edit (docs or library)."""
    install(session, "docs-live")
    session.run(
        *TF_STARTUP_FILTER, "sphinx-autobuild", str(DOCS_SRC), str(HTML_DIR),
        "-j", "auto", "-d", str(BUILD_DIR / "doctrees"),
        "--watch", str(ROOT / "kerasguide"),
        "--ignore", "*/_build/*", "--ignore", "*/notebooks/*",
        "--ignore", "*.ipynb_checkpoints*",
        # The home page links the PDF edition if the last `nox -s docs` printed one.
        *(["-A", "kg_pdf_edition=1"] if PDF_FILE.is_file() else []),
        *session.posargs,
        env=notebook_env(session),
    )  # fmt: skip


@nox.session
def notebooks(session: nox.Session) -> None:
    """Regenerate the Colab notebooks (docs/notebooks/*.ipynb) from the MyST pages.

    `nox -s notebooks -- --check` only reports notebooks that drifted from their pages.
    """
    # jupytext reads the pages; the settings come from pyproject (tomli before Python 3.11).
    session.install(
        *(r for r in DOCS_REQUIREMENTS if r.startswith("jupytext")),
        "tomli; python_version < '3.11'",
    )
    session.run(
        "python", "-m", "colab_notebooks", *session.posargs,
        env={"PYTHONPATH": str(DOCS_SRC / "_ext")},
    )  # fmt: skip


@nox.session
def tests(session: nox.Session) -> None:
    """Every test: library and docs tooling on every core, then the site built once and the
    tests that read it and browse it, then the library again on JAX.

    The site is built (after pytest's collection) only when a selected test reads it, so
    `nox -s tests -- -k fit` runs the library's tests without building the site. When
    `nox -s docs` has just built it, the build finds nothing to do (no page re-executed, the
    PDF kept). Each pytest run may select nothing; all of them selecting nothing fails.
    """
    install(session, "docs", "test")
    env = {**notebook_env(session), "KERAS_BACKEND": "tensorflow"}
    # The slowest tests of each run are listed at its end: where the time goes.
    args = ["--durations=20", *session.posargs]
    status = Path(session.create_tmp()) / "pytest-exit-codes"
    status.unlink(missing_ok=True)
    env[EXIT_LOG_VAR] = str(status)
    # A failed browser test keeps its Playwright trace and a screenshot (pytest-playwright).
    browser_artifacts = [
        "--tracing=retain-on-failure", "--screenshot=only-on-failure",
        f"--output={BUILD_DIR / 'test-results'}",
    ]  # fmt: skip
    builds = [f"--build-site={shlex.join(c)}" for c in site_commands(session)]
    site = [f"--site-dir={HTML_DIR}", *builds, *browser_artifacts]
    if any(a.startswith("-m") for a in args):  # the caller's own marker selection: one run
        session.run("pytest", *site, *args, env=env, success_codes=[0, 5])
    else:
        # Tests that need no built site, on every core (they hold in any order).
        session.run(
            "pytest", *parallel(args), "-m", "not site and not browser", *args,
            env=env, success_codes=[0, 5],
        )  # fmt: skip
        session.run("pytest", "-m", "site or browser", *site, *args, env=env, success_codes=[0, 5])
    # The library again on Keras's other backend (the pages, the site and Sphinx stay on
    # TensorFlow): every test of fit, the layer and env runs on both.
    for backend in BACKENDS[1:]:
        session.log(f"라이브러리 테스트를 케라스의 {backend} 백엔드에서 다시 실행한다.")
        session.run(
            "pytest", *parallel(args), *library_tests(args), *args,
            env={**env, "KERAS_BACKEND": backend}, success_codes=[0, 5],
        )  # fmt: skip
    codes = status.read_text(encoding="utf-8").split() if status.is_file() else []
    if codes and set(codes) == {"5"}:
        session.error("고른 테스트가 하나도 없다 (pytest 종료 코드 5)")


# tests/conftest.py appends each pytest run's exit code to the file this variable names.
EXIT_LOG_VAR = "KERASGUIDE_PYTEST_EXIT_LOG"
# Folders whose tests need the docs group (Sphinx, the pages' packages, a built site). Every
# other folder under tests/ holds the library's own tests (tests-lib, compat, JAX).
DOCS_TEST_DIRS = ["tests/docs", "tests/sphinx", "tests/site", "tests/browser"]


def library_tests(args: list[str]) -> list[str]:
    """The library's tests: the test paths given in `args` (if any), else tests/, never the
    docs folders."""
    paths = [] if any(is_test_path(a) for a in args) else ["tests"]
    return [*paths, *(f"--ignore={d}" for d in DOCS_TEST_DIRS)]


def is_test_path(arg: str) -> bool:
    return not arg.startswith("-") and (ROOT / arg.split("::")[0]).exists()


def parallel(args: list[str]) -> list[str]:
    """pytest-xdist on every core for a whole run; one process when the arguments pick tests
    (`-k`, a path), where starting workers would cost more than it saves. `-n 0` in the
    arguments turns it off too."""
    picks = any(a.startswith("-k") or is_test_path(a) for a in args)
    return [] if picks else ["-n", "auto"]


# Keras backends the library is tested on (KERAS_BACKEND); the site's pages run on TensorFlow.
BACKENDS = ["tensorflow", "jax"]


@nox.session(name="tests-lib")
@nox.parametrize("backend", BACKENDS)
def tests_lib(session: nox.Session, backend: str) -> None:
    """The library's tests alone on one Keras backend, without the site's packages.

    For Python versions the site cannot be built with (Sphinx 9 needs 3.11), and for a quick
    check of the library: `nox -s tests-lib -- -k fit` (both backends), or one backend:
    `nox -s "tests-lib(backend='jax')"`. The tests run in a random order (pytest-randomly
    prints the seed; `-- --randomly-seed=N` repeats that order).
    """
    session.install("-e", ".[plot,jax]", *nox.project.dependency_groups(PYPROJECT, "test"))
    args = list(session.posargs)
    session.run(
        "pytest", *parallel(args), *library_tests(args), *args,
        env={**tf_env(), "KERAS_BACKEND": backend},
    )  # fmt: skip


@nox.session
@nox.parametrize("part", ["library", "docs"])
def compat(session: nox.Session, part: str) -> None:
    """Everything at the lowest versions pyproject allows, resolved together by uv.

    `library`: kerasguide (with its extras) and the test group, lowest-direct: the library's
    tests. `docs`: the same plus the docs group (the packages the pages import, at their
    floors): the docs tooling's tests and every Colab notebook executed in a fresh kernel,
    its install cell replaced by a check that the checkout's kerasguide is imported.
    """
    if session.venv_backend != "uv":
        session.error("compat needs uv's resolver: install nox with `pip install 'nox[uv]'`")
    groups = ["test"] if part == "library" else ["docs", "test"]
    # --upgrade: resolve afresh, so a reused virtualenv never keeps versions above the floors.
    session.install(
        "--resolution", "lowest-direct", "--upgrade",
        "-e", ".[plot]", *nox.project.dependency_groups(PYPROJECT, *groups),
    )  # fmt: skip
    versions = ["tensorflow", "keras", "numpy"]
    if part == "docs":
        versions += ["sphinx", "myst-nb", "pandas", "matplotlib"]
    session.run(
        "python", "-c", "import sys, importlib.metadata as m; "
        "print(*(f'{d}=={m.version(d)}' for d in sys.argv[1:]))", *versions,
    )  # fmt: skip
    args = list(session.posargs)
    if part == "library":
        session.run("pytest", *parallel(args), *library_tests(args), *args, env=tf_env())
    else:
        # The docs tooling's own tests (extensions, notebooks), without a built site.
        session.run(
            "pytest", *parallel(args), "tests/docs", "tests/sphinx", *args,
            env=notebook_env(session),
        )  # fmt: skip


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check) and mypy (strict) on the package."""
    # mypy reads kerasguide from the source tree; TensorFlow ships no types, so it is not
    # installed here (that saves a minute and a gigabyte).
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".", *session.posargs)
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def linkcheck(session: nox.Session) -> None:
    """Check the site's external links (needs internet; internal links are checked in tests)."""
    install(session, "docs")
    session.run(
        "sphinx-build", "-b", "linkcheck", "-d", str(BUILD_DIR / "doctrees"),
        str(DOCS_SRC), str(BUILD_DIR / "linkcheck"), *session.posargs,
        env=notebook_env(session),
    )  # fmt: skip


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark kerasguide.fit against Model.fit and print seconds per epoch."""
    session.install("-e", ".[jax]")  # `nox -s bench -- --backend jax` runs on JAX
    session.run("python", "benchmarks/bench_fit.py", *session.posargs)
