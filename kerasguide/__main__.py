"""``python -m kerasguide``: 명령줄 도구(:mod:`kerasguide._cli`)를 실행한다."""

from kerasguide._cli import main

raise SystemExit(main())
