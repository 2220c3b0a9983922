"""페이지의 숨은 확인 셀 세기(docs/_ext/assert_output_count.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import assert_output_count

ROOT = Path(__file__).resolve().parents[2]

PAGE = textwrap.dedent(
    """\
    # 제목

    ```{code-cell} ipython3
    print("보이는 셀")
    ```

    ```{code-cell} ipython3
    :tags: [remove-cell, assert-output]

    assert 1 + 1 == 2, "확인"
    ```

    ```{code-cell} ipython3
    ---
    tags: [hide-cell]
    mystnb:
      code_prompt_show: "풀이 보기"
    ---
    x = 1
    ```

    ````{code-cell} ipython3
    ---
    tags:
    - remove-cell
    - assert-output
    ---
    assert True, "```{code-cell} 을 담은 문자열도 셀로 세지 않는다"
    ````

    ```python
    # 실행하지 않는 코드 블록: 태그가 있어도 세지 않는다
    ```

    ```{code-cell} ipython3
    :tags: [raises-exception]

    raise ValueError("assert-output 이라는 글자가 본문에만 있다")
    ```
    """
)


def test_cell_tags_reads_both_option_styles() -> None:
    assert assert_output_count.cell_tags(PAGE) == [
        [],
        ["remove-cell", "assert-output"],
        ["hide-cell"],
        ["remove-cell", "assert-output"],
        ["raises-exception"],
    ]


def test_counts_only_tagged_code_cells() -> None:
    assert assert_output_count.count_assert_cells(PAGE) == 2
    assert assert_output_count.count_assert_cells("# 코드 없는 페이지\n") == 0


def test_count_in_docs_skips_build_output(tmp_path: Path) -> None:
    (tmp_path / "ch03").mkdir()
    (tmp_path / "ch03" / "page.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "about.md").write_text("# 셀 없음\n", encoding="utf-8")
    for skipped in ["_build/html", "notebooks", "jupyter_execute"]:
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "copy.md").write_text(PAGE, encoding="utf-8")
    assert assert_output_count.count_in_docs(tmp_path) == {"ch03/page": 2}


def test_site_pages_have_assertion_cells() -> None:
    counts = assert_output_count.count_in_docs(ROOT / "docs")
    assert sum(counts.values()) > 0
    assert all(not page.startswith(("_", "notebooks/")) for page in counts)
