"""``python -m colab_notebooks``: 코랩 노트북(``docs/notebooks/``)을 다시 만들거나 점검한다.

Usage (``docs/_ext`` 가 ``sys.path`` 에 있을 때; ``nox -s notebooks`` 가 그렇게 실행한다):
    python -m colab_notebooks          # docs/notebooks/를 다시 만든다
    python -m colab_notebooks --check  # 원본과 어긋난 노트북이 있으면 1로 끝난다
"""

from __future__ import annotations

import argparse
import sys

from colab_notebooks.colab import NOTEBOOKS_DIR, stale_notebooks, write_notebooks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
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
