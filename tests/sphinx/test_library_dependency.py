"""How docs/_ext/library_dependency.py chooses a page's cache key (no Sphinx build here).

The builds that show the behaviour end to end are in test_strict_build.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import library_dependency as ld
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def package(tmp_path: Path) -> Path:
    root = tmp_path / "tinylib"
    root.mkdir()
    (root / "__init__.py").write_text("", encoding="utf-8")
    (root / "a.py").write_text("A = 1\n", encoding="utf-8")
    (root / "b.py").write_text("B = 1\n", encoding="utf-8")
    return root


def record_of(package: Path, key: str, *names: str) -> dict[str, object]:
    files = {str(package / n): ld.file_hash(package / n) for n in names}
    return {"key": key, "files": files}


def test_without_a_record_the_key_covers_every_module(package: Path) -> None:
    first = ld.decide({"tinylib": package}, None)
    assert set(first.dependencies) == set(package.glob("*.py"))
    (package / "b.py").write_text("B = 2\n", encoding="utf-8")
    assert ld.decide({"tinylib": package}, None).key != first.key


def test_unchanged_recorded_modules_keep_the_key(package: Path) -> None:
    record = record_of(package, "the-key", "__init__.py", "a.py")
    (package / "b.py").write_text("B = 2\n", encoding="utf-8")  # a module the page did not load
    decision = ld.decide({"tinylib": package}, record)
    assert decision.key == "the-key"
    assert decision.dependencies == (package / "__init__.py", package / "a.py")


@pytest.mark.parametrize("edit", ["change", "delete"])
def test_a_changed_recorded_module_gives_a_key_over_every_module(package: Path, edit: str) -> None:
    record = record_of(package, "the-key", "__init__.py", "a.py")
    if edit == "change":
        (package / "a.py").write_text("A = 2\n", encoding="utf-8")
    else:
        (package / "a.py").unlink()
    decision = ld.decide({"tinylib": package}, record)
    assert decision.key == ld.full_source_key({"tinylib": package}) != "the-key"
    assert set(decision.dependencies) == set(package.glob("*.py"))


def test_an_unreadable_record_counts_as_none(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_text("{not json", encoding="utf-8")
    assert ld.read_record(path) is None
    assert ld.read_record(tmp_path / "missing.json") is None


def test_the_code_hash_ignores_prose_but_not_code() -> None:
    page = "# 제목\n\n글.\n\n```{code-cell} ipython3\nprint(1)\n```\n\n끝.\n"
    assert ld.code_hash(page) == ld.code_hash(page.replace("글.", "고친 글."))
    assert ld.code_hash(page) != ld.code_hash(page.replace("print(1)", "print(2)"))
    tagged = page.replace("ipython3\n", "ipython3\n:tags: [hide-input]\n\n")
    assert ld.code_hash(page) != ld.code_hash(tagged)


def test_the_hidden_cell_records_the_loaded_modules(
    package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(package.parent))
    monkeypatch.setenv(ld.RECORDS_ENV, str(tmp_path / "records"))
    try:
        import tinylib.a  # noqa: F401  (the page's code: loads tinylib and tinylib.a, not b)

        exec(ld.hidden_cell(["tinylib"], "k1", "page/c0de.json"), {})
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "tinylib"]:
            del sys.modules[name]
    record = ld.read_record(tmp_path / "records" / "page" / "c0de.json")
    assert record is not None
    assert record["key"] == "k1"
    assert sorted(Path(p).name for p in record["files"]) == ["__init__.py", "a.py"]
    assert ld.decide({"tinylib": package}, record).key == "k1"


def test_data_files_named_in_the_code_give_the_hidden_cell_their_hash(tmp_path: Path) -> None:
    data = tmp_path / "_data"
    data.mkdir()
    (data / "figures.json").write_text('{"x": 1}', encoding="utf-8")
    text = 'Path("_data/figures.json")\nopen("../_data/figures.json")\n"./_data/later.json"\n'
    text += 'f"_data/{name}.json"\n'  # a template names no file
    files = ld.data_files(tmp_path, text)
    assert files == (data / "figures.json", data / "later.json")  # figures named twice
    before = ld.data_cell(tmp_path, files)
    assert "_data/figures.json" in before and "_data/later.json: absent" in before
    (data / "figures.json").write_text('{"x": 2}', encoding="utf-8")
    changed = ld.data_cell(tmp_path, files)
    assert changed != before  # new figures: a new cache key
    (data / "later.json").write_text("{}", encoding="utf-8")
    assert ld.data_cell(tmp_path, files) != changed  # the file appeared: a new key
    assert ld.data_files(tmp_path, "print('no data here')") == ()
