"""MyST 강의 페이지에서 코랩(Colab)용 노트북(``docs/notebooks/*.ipynb``)을 만든다.

실행되는 페이지(front matter에 ``file_format: mystnb``, 코드 셀이 하나 이상)마다 jupytext로
노트북을 읽고, 코랩에서 그대로 실행되도록 고친다.

* 맨 앞에 안내 셀과 설치 셀을 넣는다. 설치 셀은 ``kerasguide[plot]`` 을 강의 저장소에서 설치하고
  (저장소 주소와 브랜치는 ``docs/conf.py`` 의 ``notebook_links_repository`` /
  ``notebook_links_branch``), 페이지가 불러오는 패키지 가운데 코랩에 없는 것(pyproject의 ``docs``
  그룹에 적힌 버전)을 함께 설치한다. 페이지가 상대 경로로 읽는 저장소의 데이터 파일
  (``_data/...``)도 내려받는다.
* 마크다운 셀의 MyST 문법(``{term}`` 같은 역할, ``:::{note}`` 같은 지시어)을 주피터와 코랩이
  그리는 보통 마크다운으로 바꾼다. ``{doc}`` 은 사이트의 해당 페이지 링크가 된다.
* ``raises-exception`` 태그가 붙은 셀(일부러 오류를 내는 셀)은 ``try``/``except`` 로 감싸 오류를
  출력한다. 코랩의 '모두 실행'은 태그를 모르고 첫 오류에서 멈추기 때문이다.
* 풀이 셀(``hide-cell``/``hide-input`` 태그)은 코랩 양식(``# @title ... {display-mode: "form"}``)
  으로 코드를 접어 둔다.

노트북에는 출력이 없다(코랩에서 실행한다). 출력이 있는 노트북은 사이트의 각 페이지에서 내려받는다.

Usage:
    python docs/_ext/colab_notebooks.py          # docs/notebooks/를 다시 만든다
    python docs/_ext/colab_notebooks.py --check  # 원본과 어긋난 노트북이 있으면 실패한다

``nox -s notebooks`` 가 첫 번째 명령을 실행한다.
"""

from __future__ import annotations

import argparse
import ast
import io
import posixpath
import re
import runpy
import sys
import textwrap
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOCS_DIR = Path(__file__).resolve().parents[1]
ROOT_DIR = DOCS_DIR.parent
NOTEBOOKS_DIR = DOCS_DIR / "notebooks"

#: 코랩 런타임에 이미 설치된 패키지(불러오는 이름). 설치 셀에 넣지 않는다.
COLAB_PREINSTALLED = frozenset(
    {"tensorflow", "keras", "numpy", "matplotlib", "sklearn", "scipy", "pandas", "PIL"}
)
#: 불러오는 이름과 배포 이름이 다른 패키지.
IMPORT_TO_DISTRIBUTION = {"sklearn": "scikit-learn", "PIL": "pillow", "yaml": "pyyaml"}
#: 설치 셀 표시(테스트가 이 셀을 로컬 점검 셀로 바꾼다).
INSTALL_CELL_ROLE = "install"
METADATA_KEY = "kerasguide"

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


@dataclass(frozen=True)
class Settings:
    """노트북을 만들 때 쓰는 설정(``docs/conf.py`` 에서 읽는다)."""

    repository: str
    branch: str
    site_url: str
    notebooks_dir: str = "docs/notebooks"

    @property
    def github_path(self) -> str:
        """``owner/name`` (GitHub 저장소 주소에서)."""
        match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?", self.repository)
        if match is None:
            raise ValueError(
                f"notebook_links_repository={self.repository!r}: "
                "https://github.com/<owner>/<name> 꼴의 GitHub 저장소 주소여야 한다"
            )
        return match.group(1)

    def install_requirement(self) -> str:
        return f"kerasguide[plot] @ git+{self.repository.rstrip('/')}@{self.branch}"

    def colab_url(self, docname: str) -> str:
        return (
            f"https://colab.research.google.com/github/{self.github_path}/blob/{self.branch}/"
            f"{self.notebooks_dir}/{notebook_filename(docname)}"
        )

    def raw_url(self, repository_path: str) -> str:
        """저장소 파일의 내려받기 주소(raw.githubusercontent.com)."""
        return (
            f"https://raw.githubusercontent.com/{self.github_path}/{self.branch}/{repository_path}"
        )

    def page_url(self, docname: str) -> str:
        return f"{self.site_url.rstrip('/')}/{docname}.html"


def load_settings(conf_py: Path = DOCS_DIR / "conf.py") -> Settings:
    """``docs/conf.py`` 를 실행해 저장소 주소, 브랜치, 사이트 주소를 읽는다."""
    namespace = runpy.run_path(str(conf_py), run_name="conf")
    return Settings(
        repository=namespace["notebook_links_repository"],
        branch=namespace["notebook_links_branch"],
        site_url=namespace["html_baseurl"],
        notebooks_dir=namespace.get("notebook_links_dir", "docs/notebooks"),
    )


def notebook_filename(docname: str) -> str:
    """``ch03/tensorflow-basics`` → ``ch03-tensorflow-basics.ipynb``."""
    return docname.replace("/", "-") + ".ipynb"


def executable_pages(docs_dir: Path = DOCS_DIR) -> dict[str, Path]:
    """실행되는 페이지: front matter에 ``file_format: mystnb`` 가 있고 코드 셀이 있는 문서."""
    pages = {}
    for path in sorted(docs_dir.rglob("*.md")):
        relative = path.relative_to(docs_dir)
        if relative.parts[0].startswith(("_", ".")) or relative.parts[0] in {
            "notebooks",
            "jupyter_execute",
        }:
            continue
        text = path.read_text(encoding="utf-8")
        front = _FRONT_MATTER.match(text)
        if front is None or not re.search(r"^file_format:\s*mystnb\s*$", front.group(1), re.M):
            continue
        if "```{code-cell}" not in text:
            continue
        pages[relative.with_suffix("").as_posix()] = path
    return pages


# -- MyST → 보통 마크다운 -----------------------------------------------------------------------

_ADMONITION_TITLES = {
    "note": "참고",
    "tip": "팁",
    "hint": "힌트",
    "important": "중요",
    "warning": "경고",
    "caution": "주의",
    "attention": "주의",
    "danger": "위험",
    "error": "오류",
    "seealso": "함께 보기",
    "admonition": "",
    "dropdown": "",
    "topic": "",
    "sidebar": "",
    "margin": "",
    "card": "",
    "grid-item-card": "",
    "tab-item": "",
}
_CODE_DIRECTIVES = {"code-block", "code", "sourcecode", "code-cell"}
_DROP_DIRECTIVES = {"toctree", "contents", "index", "raw", "eval-rst", "only"}
_ROLE = re.compile(r"\{([a-zA-Z0-9:_-]+)\}`([^`]*)`")
_TITLED_TARGET = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
_FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|:{3,})\{([a-zA-Z0-9:_-]+)\}\s*(.*)$")
_TARGET_LINE = re.compile(r"^\s*\([^()\s]+\)=\s*$")
_COMMENT_LINE = re.compile(r"^\s*%")
_OPTION_LINE = re.compile(r"^\s*:([a-zA-Z0-9_-]+):\s*(.*)$")
_ATTRS_INLINE = re.compile(r"\]\{[^{}]*\}")


def _role_text(role: str, content: str, docname: str, settings: Settings) -> str:
    name = role.split(":")[-1]
    match = _TITLED_TARGET.match(content)
    title, target = (match.group(1), match.group(2)) if match else (None, content)
    if name == "doc":
        base = posixpath.dirname(docname)
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
        resolved = posixpath.normpath(resolved)
        return f"[{title or target}]({settings.page_url(resolved)})"
    if name in {"math"}:
        return f"${content}$"
    if name in {"func", "meth", "class", "mod", "obj", "attr", "exc", "data", "const"}:
        shown = title or target
        if shown.startswith("~"):
            shown = shown[1:].rsplit(".", 1)[-1]
        return f"`{shown}`"
    if name in {"abbr"}:
        return re.sub(r"\s*\(.*\)$", "", content)
    if name in {"kbd", "command", "file", "samp", "literal", "code"}:
        return f"`{content}`"
    return title if title is not None else target


def convert_inline(text: str, docname: str, settings: Settings) -> str:
    """인라인 역할(``{term}`...```, ``{doc}`...``` 등)을 보통 마크다운으로 바꾼다."""

    out: list[str] = []
    i = 0
    while i < len(text):
        role = _ROLE.match(text, i)
        if role and (i == 0 or text[i - 1] != "`"):
            out.append(_role_text(role.group(1), role.group(2), docname, settings))
            i = role.end()
            continue
        if text[i] == "`":  # 코드 스팬은 그대로 둔다.
            run = re.match(r"`+", text[i:])
            assert run is not None
            ticks = run.group()
            end = text.find(ticks, i + len(ticks))
            if end < 0:
                out.append(text[i:])
                break
            out.append(text[i : end + len(ticks)])
            i = end + len(ticks)
            continue
        out.append(text[i])
        i += 1
    return _ATTRS_INLINE.sub("]", "".join(out))


def _blockquote(lines: list[str]) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in lines]


def convert_markdown(source: str, docname: str, settings: Settings) -> str:
    """MyST 마크다운 셀 하나를 주피터가 그리는 보통 마크다운으로 바꾼다."""
    lines = source.splitlines()
    out = _convert_block(lines, docname, settings)
    text = "\n".join(out).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def _convert_block(lines: list[str], docname: str, settings: Settings) -> list[str]:
    out: list[str] = []
    i = 0
    in_code: str | None = None
    while i < len(lines):
        line = lines[i]
        plain_fence = re.match(r"^\s*(`{3,}|~{3,})(?!\{)", line)
        if in_code is not None:
            out.append(line)
            if line.strip().startswith(in_code) and line.strip().strip(in_code[0]) == "":
                in_code = None
            i += 1
            continue
        if plain_fence:
            in_code = plain_fence.group(1)
            out.append(line)
            i += 1
            continue
        opened = _FENCE_OPEN.match(line)
        if opened:
            indent, fence, name, argument = opened.groups()
            body, i = _directive_body(lines, i + 1, fence)
            out.extend(
                indent + row if row else row
                for row in _render_directive(name, argument, body, docname, settings)
            )
            continue
        if _TARGET_LINE.match(line) or _COMMENT_LINE.match(line):
            i += 1
            continue
        out.append(convert_inline(line, docname, settings))
        i += 1
    return _convert_deflists(out)


def _directive_body(lines: list[str], start: int, fence: str) -> tuple[list[str], int]:
    """여는 줄 다음부터 같은 울타리(같은 문자, 같은 길이 이상)로 닫히는 데까지."""
    char = fence[0]
    body = []
    i = start
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped and set(stripped) == {char} and len(stripped) >= len(fence):
            return body, i + 1
        body.append(lines[i])
        i += 1
    return body, i


def _split_options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    options: dict[str, str] = {}
    if body and body[0].strip() == "---":
        for j in range(1, len(body)):
            if body[j].strip() == "---":
                for row in body[1:j]:
                    key, _, value = row.partition(":")
                    options[key.strip()] = value.strip()
                return options, body[j + 1 :]
    j = 0
    while j < len(body):
        match = _OPTION_LINE.match(body[j])
        if not match:
            break
        options[match.group(1)] = match.group(2)
        j += 1
    return options, body[j:]


def _render_directive(
    name: str, argument: str, body: list[str], docname: str, settings: Settings
) -> list[str]:
    options, content = _split_options(body)
    content = textwrap.dedent("\n".join(content)).splitlines()
    name = name.split(":")[-1]
    if name in _DROP_DIRECTIVES:
        return []
    if name in _CODE_DIRECTIVES:
        language = argument.strip().split()[0] if argument.strip() else ""
        return ["", f"```{language}", *content, "```", ""]
    if name == "math":
        return ["", "$$", *content, "$$", ""]
    if name in {"figure", "image"}:
        alt = options.get("alt", "")
        path = argument.strip()
        url = (
            path
            if "://" in path
            else f"{settings.site_url.rstrip('/')}/_images/{posixpath.basename(path)}"
        )
        caption = _convert_block(content, docname, settings) if name == "figure" else []
        return ["", f"![{alt}]({url})", *(["", *caption] if caption else []), ""]
    inner = _convert_block(content, docname, settings)
    if name in _ADMONITION_TITLES:
        title = convert_inline(argument.strip(), docname, settings) or _ADMONITION_TITLES[name]
        head = [f"**{title}**", ""] if title else []
        return ["", *_blockquote(head + inner), ""]
    # tab-set, grid, container 같은 배치용 지시어: 내용만 남긴다.
    title = convert_inline(argument.strip(), docname, settings)
    return ["", *([f"**{title}**", ""] if title else []), *inner, ""]


def _convert_deflists(lines: list[str]) -> list[str]:
    """정의 목록(``용어`` 다음 줄 ``: 정의``)을 굵은 용어와 문단으로 바꾼다."""
    out: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith(": ") and index > 0 and out and out[-1].strip():
            term = out.pop()
            out.extend([f"**{term.strip()}**", "", line[2:]])
        else:
            out.append(line)
    return out


# -- 코드 셀 ------------------------------------------------------------------------------------


def _has_multiline_string(code: str) -> bool:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return True
    return any(t.type == tokenize.STRING and t.start[0] != t.end[0] for t in tokens)


def wrap_expected_error(code: str) -> str:
    """일부러 오류를 내는 셀을, 오류를 출력하고 다음 셀로 넘어가는 셀로 바꾼다."""
    try:
        ast.parse(code)
    except SyntaxError:
        return code  # IPython 매직 따위: 감싸지 않는다.
    if _has_multiline_string(code):
        return code
    body = textwrap.indent(code.rstrip("\n"), "    ", lambda _line: True)
    return (
        "# 이 셀은 일부러 오류를 낸다. '모두 실행'이 여기서 멈추지 않도록 오류를 잡아 출력한다.\n"
        "try:\n"
        f"{body}\n"
        "except Exception:\n"
        "    import traceback\n"
        "\n"
        "    traceback.print_exc(limit=1)\n"
    )


def _top_level_imports(code: str) -> Iterator[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def data_files(codes: list[str], page_dir: Path) -> list[str]:
    """코드가 문자열로 적은 상대 경로 가운데 페이지 폴더 안에 실제로 있는 파일들.

    빌드는 페이지 폴더에서 노트북을 실행하므로 ``Path("_data/x.json")`` 같은 코드가 동작하지만,
    코랩에는 그 파일이 없다. 코랩 노트북의 설치 셀이 이 파일들을 저장소에서 내려받는다.
    """
    found = []
    for code in codes:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            value = node.value
            if not value or "\n" in value or value.startswith(("/", "~")) or "://" in value:
                continue
            path = (page_dir / value).resolve()
            if path.is_file() and path.is_relative_to(DOCS_DIR):
                found.append(Path(value).as_posix())
    return sorted(set(found))


def _docs_requirements(pyproject: Path = ROOT_DIR / "pyproject.toml") -> dict[str, str]:
    """pyproject ``docs`` 그룹의 요구 사항을 배포 이름(정규화)으로 찾는 표."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    table = {}
    for requirement in data.get("dependency-groups", {}).get("docs", []):
        if not isinstance(requirement, str):
            continue
        name = re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]
        table[_normalize_distribution(name)] = requirement
    return table


def _normalize_distribution(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def extra_requirements(codes: list[str]) -> list[str]:
    """페이지가 불러오지만 코랩에 없고 kerasguide가 설치하지도 않는 패키지의 요구 사항."""
    table = _docs_requirements()
    found = []
    for module in dict.fromkeys(m for code in codes for m in _top_level_imports(code)):
        if (
            module in COLAB_PREINSTALLED
            or module == "kerasguide"
            or module in sys.stdlib_module_names
        ):
            continue
        distribution = _normalize_distribution(IMPORT_TO_DISTRIBUTION.get(module, module))
        if distribution in table:
            found.append(table[distribution])
    return sorted(found)


# -- 노트북 -------------------------------------------------------------------------------------


def _title(nb: Any) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return ""


def build_notebook(docname: str, path: Path, settings: Settings) -> Any:
    """페이지 하나의 코랩 노트북(nbformat 객체, 출력 없음)을 만든다."""
    import jupytext
    import nbformat

    source_nb = jupytext.read(path, fmt="md:myst")
    codes = [cell.source for cell in source_nb.cells if cell.cell_type == "code"]
    requirements = [settings.install_requirement(), *extra_requirements(codes)]
    has_errors = any(
        "raises-exception" in cell.metadata.get("tags", [])
        for cell in source_nb.cells
        if cell.cell_type == "code"
    )
    title = _title(source_nb)

    intro = [
        f"> 이 노트북은 강의 사이트 kerasguide의 [{title}]({settings.page_url(docname)}) "
        "페이지에서 만들었다. 출력과 그림이 있는 완성본은 그 페이지에서 볼 수 있다.",
        ">",
        "> 바로 아래 코드 셀이 이 노트북에 필요한 패키지(`kerasguide` 포함)를 설치한다. 메뉴의 "
        "*런타임 → 모두 실행* 으로 위에서부터 차례로 실행하면 된다.",
    ]
    if has_errors:
        intro += [
            ">",
            "> 몇몇 셀은 무엇이 안 되는지 보이려고 일부러 오류를 낸다. "
            "그런 셀은 '모두 실행'이 멈추지 않도록 오류를 잡아 출력만 하게 바꾸어 두었다.",
        ]
    install = (
        "# 이 노트북에 필요한 패키지를 설치한다(코랩 런타임마다 한 번).\n"
        "%pip install -q " + " ".join(f'"{r}"' for r in requirements)
    )
    files = data_files(codes, path.parent)
    if files:
        folder = path.parent.relative_to(ROOT_DIR).as_posix()
        install += (
            "\n\n# 이 페이지가 읽는 데이터 파일을 저장소에서 내려받는다.\n"
            "import pathlib\n"
            "import urllib.request\n\n"
            f"for name in {files!r}:\n"
            "    pathlib.Path(name).parent.mkdir(parents=True, exist_ok=True)\n"
            f'    urllib.request.urlretrieve(f"{settings.raw_url(folder)}/{{name}}", name)'
        )
    cells = [
        nbformat.v4.new_markdown_cell("\n".join(intro)),
        nbformat.v4.new_code_cell(install, metadata={METADATA_KEY: {"role": INSTALL_CELL_ROLE}}),
    ]
    for cell in source_nb.cells:
        tags = list(cell.metadata.get("tags", []))
        if cell.cell_type == "markdown":
            text = convert_markdown(cell.source, docname, settings)
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text))
            continue
        if cell.cell_type != "code":
            continue
        code = cell.source
        if "raises-exception" in tags:
            code = wrap_expected_error(code)
        if {"hide-cell", "hide-input"} & set(tags):
            prompt = cell.metadata.get("mystnb", {}).get("code_prompt_show", "코드 보기")
            prompt = prompt.replace("{type}", "코드")
            code = f'# @title {prompt} {{ display-mode: "form" }}\n{code}'
        metadata = {"tags": tags} if tags else {}
        cells.append(nbformat.v4.new_code_cell(code, metadata=metadata))

    for index, cell in enumerate(cells):
        cell.id = f"cell-{index:03d}"
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "colab": {"name": notebook_filename(docname), "provenance": [], "toc_visible": True},
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


def render(nb: Any) -> str:
    """노트북을 파일 내용으로(항상 같은 바이트가 나오게)."""
    import nbformat

    return nbformat.writes(nb, version=4) + "\n"


def expected_notebooks(settings: Settings | None = None) -> dict[str, str]:
    """``{파일 이름: 내용}``: 지금의 페이지들에서 만들어져야 할 노트북 전부."""
    settings = settings or load_settings()
    return {
        notebook_filename(docname): render(build_notebook(docname, path, settings))
        for docname, path in executable_pages().items()
    }


def stale_notebooks(settings: Settings | None = None) -> list[str]:
    """원본 페이지와 어긋난(없거나, 다르거나, 원본이 없는) 노트북 파일 이름들."""
    expected = expected_notebooks(settings)
    present = {p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")}
    stale = [name for name in sorted(present - expected.keys())]
    for name, content in sorted(expected.items()):
        path = NOTEBOOKS_DIR / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            stale.append(name)
    return sorted(stale)


def write_notebooks(settings: Settings | None = None) -> list[str]:
    """``docs/notebooks/`` 를 다시 만든다. 바뀐 파일 이름을 돌려준다."""
    expected = expected_notebooks(settings)
    NOTEBOOKS_DIR.mkdir(exist_ok=True)
    changed = []
    for path in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        if path.name not in expected:
            path.unlink()
            changed.append(path.name)
    for name, content in sorted(expected.items()):
        path = NOTEBOOKS_DIR / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            changed.append(name)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="파일을 쓰지 않고, 어긋난 노트북이 있으면 1로 끝난다"
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_notebooks()
        for name in stale:
            print(f"원본과 다르다: docs/notebooks/{name}")
        if stale:
            print("`nox -s notebooks` 로 다시 만든다.")
        return 1 if stale else 0
    changed = write_notebooks()
    for name in changed:
        print(f"다시 만들었다: docs/notebooks/{name}")
    count = len(list(NOTEBOOKS_DIR.glob("*.ipynb")))
    print(f"docs/notebooks/의 노트북 {count}개가 원본 페이지와 같다.")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "Settings",
    "build_notebook",
    "convert_markdown",
    "executable_pages",
    "expected_notebooks",
    "load_settings",
    "notebook_filename",
    "stale_notebooks",
    "wrap_expected_error",
    "write_notebooks",
]
