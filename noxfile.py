"""Development tasks: `nox -s docs` builds the site, `nox -s tests` tests everything.

Sessions reuse their virtualenvs (TensorFlow is installed once per session), and pass
`session.posargs` through to the tool they wrap: `nox -s tests -- -k fit -x`.
"""

from __future__ import annotations

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
    return {"JUPYTER_DATA_DIR": str(data_dir), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def build_command(*extra_args: str) -> list[str]:
    return ["sphinx-build", *STRICT_HTML, *extra_args, str(DOCS_SRC), str(HTML_DIR)]


def build_site(session: nox.Session, *extra_args: str) -> None:
    env = notebook_env(session)
    for command in [build_command(*extra_args), *pdf_commands()]:
        session.run(*command, env=env)


def pdf_commands() -> list[list[str]]:
    """The PDF edition: a singlehtml build printed by Chromium (html/kerasguide.pdf).

    The home page links the PDF, so every site build (docs, tests) runs these too.
    """
    return [
        [
            "sphinx-build", "-W", "--keep-going", "-b", "singlehtml",
            # Its own environment: singlehtml files every page's search and index entries
            # under 'index', which must not leak into the HTML site's environment.
            "-d", str(BUILD_DIR / "doctrees-singlehtml"),
            str(DOCS_SRC), str(BUILD_DIR / "singlehtml"),
        ],
        ["python", "docs/_ext/pdf_edition.py", str(BUILD_DIR / "singlehtml"), str(PDF_FILE)],
    ]  # fmt: skip


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site strictly: every notebook executed, any warning or cell error fails."""
    install(session, "docs")
    if "--fresh" in session.posargs:  # forget cached outputs and re-execute every page
        shutil.rmtree(BUILD_DIR, ignore_errors=True)
    build_site(session, *(a for a in session.posargs if a != "--fresh"))
    session.log(f"사이트가 만들어졌다: {HTML_DIR / 'index.html'}")


@nox.session
def pdf(session: nox.Session) -> None:
    """Only the PDF edition (docs/_build/html/kerasguide.pdf); `nox -s docs` makes it too."""
    install(session, "docs")
    env = notebook_env(session)
    for command in pdf_commands():
        session.run(*command, env=env)
    session.log(f"PDF판이 만들어졌다: {PDF_FILE}")


@nox.session(name="docs-live")
def docs_live(session: nox.Session) -> None:
    """Serve the site on http://127.0.0.1:8000 and rebuild it on every edit (docs or library)."""
    install(session, "docs-live")
    session.run(
        "sphinx-autobuild", str(DOCS_SRC), str(HTML_DIR),
        "-j", "auto", "-d", str(BUILD_DIR / "doctrees"),
        "--watch", str(ROOT / "kerasguide"),
        "--ignore", "*/_build/*", "--ignore", "*/notebooks/*",
        "--ignore", "*.ipynb_checkpoints*",
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
        *(r for r in nox.project.dependency_groups(PYPROJECT, "docs") if r.startswith("jupytext")),
        "tomli; python_version < '3.11'",
    )
    session.run(
        "python", "-m", "colab_notebooks", *session.posargs,
        env={"PYTHONPATH": str(DOCS_SRC / "_ext")},
    )  # fmt: skip


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests, the strict site build, then tests that read the built site and browse it.

    The site is built (after pytest's collection) only when a selected test reads it, so
    `nox -s tests -- -k fit` runs the library's tests without building the site.
    """
    install(session, "docs", "test")
    env = notebook_env(session)
    # pytest's own exit codes pass through: 5 (no tests collected) fails the session too.
    # A failed browser test keeps its Playwright trace and a screenshot (pytest-playwright).
    browser_artifacts = [
        "--tracing=retain-on-failure", "--screenshot=only-on-failure",
        f"--output={BUILD_DIR / 'test-results'}",
    ]  # fmt: skip
    builds = [f"--build-site={shlex.join(c)}" for c in [build_command(), *pdf_commands()]]
    session.run(
        "pytest", f"--site-dir={HTML_DIR}", *builds, *browser_artifacts, *session.posargs,
        env={**env, "KERAS_BACKEND": "tensorflow"},
    )  # fmt: skip
    # The library again on Keras's other backend (the pages, the site and Sphinx stay on
    # TensorFlow): every test of fit, the layer and env runs on both.
    for backend in BACKENDS[1:]:
        session.log(f"라이브러리 테스트를 케라스의 {backend} 백엔드에서 다시 실행한다.")
        session.run(
            "pytest", *LIBRARY_TESTS, *session.posargs,
            env={"KERAS_BACKEND": backend},
            success_codes=[0, 5],  # 5: the arguments selected only site or browser tests
        )  # fmt: skip


# The library's own tests: no built site, no Sphinx, no notebooks (tests-lib, compat).
LIBRARY_TESTS = ["tests/training", "tests/env", "tests/layers", "tests/test_layout.py"]
# The docs tooling's own tests (extensions, notebooks), without a built site.
DOCS_TOOLING_TESTS = [
    "tests/test_notebooks.py", "tests/test_korean_search.py", "tests/test_glossary_index.py",
    "tests/sphinx",
]  # fmt: skip


# Keras backends the library is tested on (KERAS_BACKEND); the site's pages run on TensorFlow.
BACKENDS = ["tensorflow", "jax"]


@nox.session(name="tests-lib")
@nox.parametrize("backend", BACKENDS)
def tests_lib(session: nox.Session, backend: str) -> None:
    """The library's tests alone on one Keras backend, without the site's packages.

    For Python versions the site cannot be built with (Sphinx 9 needs 3.11), and for a quick
    check of the library: `nox -s tests-lib -- -k fit` (both backends), or one backend:
    `nox -s "tests-lib(backend='jax')"`.
    """
    session.install("-e", ".[plot,jax]", *nox.project.dependency_groups(PYPROJECT, "test"))
    session.run("pytest", *LIBRARY_TESTS, *session.posargs, env={"KERAS_BACKEND": backend})


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
    if part == "library":
        session.run("pytest", *LIBRARY_TESTS, *session.posargs)
    else:
        session.run(
            "pytest", *DOCS_TOOLING_TESTS,
            *session.posargs,
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
