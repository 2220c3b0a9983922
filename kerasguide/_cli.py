"""명령줄 도구 ``kerasguide`` (``python -m kerasguide`` 와 같다).

패키지의 명령줄 입구(``pyproject.toml`` 의 ``kerasguide`` 스크립트와 ``__main__``)라서 패키지
맨 위에 둔다. 지금 명령은 환경 보고서(``env/``) 하나지만, 입구는 한 패키지에 하나다.

명령:
    ``kerasguide env``: 작업환경 보고서(:func:`kerasguide.env.report`)를 한국어 표로 출력한다.
    ``kerasguide env --json``: 같은 보고서를 JSON으로 출력한다.

종료 코드: 0 성공, 1 보고서를 만들지 못함, 2 잘못된 인자.

텐서플로는 가져올 때와 장치를 살필 때 표준 오류에 로그를 쏟아 낸다. 이 명령은 사용자가 직접
실행한 프로세스이므로 ``TF_CPP_MIN_LOG_LEVEL`` 이 비어 있으면 ``"2"`` 로 두고, 보고서를 만드는
동안 프로세스의 표준 오류(파일 기술자 2)를 임시 파일로 돌려 둔다. 텐서플로 2.21에서는
``absl::InitializeLog()`` 전에 나오는 로그(예: ``cudart_stub.cc: Could not find cuda
drivers``)가 ``TF_CPP_MIN_LOG_LEVEL`` 로 걸러지지 않기 때문이다. 보고서를 만들지 못하면 모아
둔 로그를 그대로 보여 준다. ``--tf-log`` 를 주면 로그를 숨기지 않는다. 라이브러리
(:mod:`kerasguide.env`)는 이런 전역 설정을 하지 않는다.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import NoReturn

__all__ = ["build_parser", "main"]

_EPILOG = """\
예:
  kerasguide env            작업환경 보고서를 표로 출력한다
  kerasguide env --json     같은 보고서를 JSON으로 출력한다
  python -m kerasguide env  설치한 명령 대신 모듈로 실행한다
"""

# argparse writes its own messages in English; these are the ones users meet.
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^unrecognized arguments: (?P<args>.*)$"), "알 수 없는 인자: {args}"),
    (
        re.compile(
            r"^argument (?P<name>.+?): invalid choice: (?P<value>.+?) "
            r"\(choose from (?P<choices>.*)\)$"
        ),
        "{name}: 알 수 없는 값 {value}. 고를 수 있는 값: {choices}",
    ),
    (
        re.compile(r"^the following arguments are required: (?P<args>.*)$"),
        "다음 인자가 필요하다: {args}",
    ),
    (
        re.compile(r"^argument (?P<name>.+?): expected one argument$"),
        "{name} 뒤에 값이 하나 필요하다",
    ),
    (
        re.compile(r"^argument (?P<name>.+?): ignored explicit argument (?P<value>.*)$"),
        "{name} 는 값을 받지 않는다. 받은 값: {value}",
    ),
)


def _translate(message: str) -> str:
    for pattern, template in _MESSAGES:
        match = pattern.match(message)
        if match:
            return template.format(**match.groupdict())
    return message


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "사용법: " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """도움말과 오류를 한국어로 내는 ``ArgumentParser``."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 오류: {_translate(message)}\n")


def _add_help(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    group = parser.add_argument_group("선택 사항")
    group.add_argument(
        "-h",
        "--help",
        action="help",
        default=argparse.SUPPRESS,
        help="이 도움말을 보여 주고 끝낸다",
    )
    return group


def _default_prog() -> str:
    # `python -m kerasguide` puts the path of kerasguide/__main__.py in sys.argv[0].
    own_main = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__main__.py")
    if sys.argv and os.path.abspath(sys.argv[0]) == own_main:
        return "python -m kerasguide"
    return "kerasguide"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """``kerasguide`` 명령의 인자 해석기를 만든다."""
    from kerasguide._version import __version__

    parser = _Parser(
        prog=prog or _default_prog(),
        description="케라스와 텐서플로 강의(kerasguide)의 명령줄 도구.",
        epilog=_EPILOG,
        formatter_class=_HelpFormatter,
        add_help=False,
    )
    options = _add_help(parser)
    options.add_argument(
        "--version",
        action="version",
        version=f"kerasguide {__version__}",
        help="kerasguide 버전을 보여 주고 끝낸다",
    )
    commands = parser.add_subparsers(
        dest="command", title="명령", metavar="COMMAND", help="실행할 명령(아래 가운데 하나)"
    )
    env = commands.add_parser(
        "env",
        help="작업환경(파이썬, 텐서플로, 케라스, GPU, TPU, 드라이버) 보고서를 출력한다",
        description=(
            "작업환경 보고서를 출력한다: 파이썬·텐서플로·케라스 버전, 케라스 백엔드, CUDA 빌드,\n"
            "텐서플로가 보는 GPU와 TPU, 실행 환경(코랩, WSL, 리눅스, macOS, 윈도우),\n"
            "nvidia-smi 가 알려 주는 NVIDIA 드라이버, 그리고 빠진 것을 채우는 조언."
        ),
        formatter_class=_HelpFormatter,
        add_help=False,
    )
    env_options = _add_help(env)
    env_options.add_argument(
        "--json", action="store_true", help="표 대신 JSON으로 출력한다(UTF-8, 들여쓰기 2칸)"
    )
    env_options.add_argument(
        "--tf-log", action="store_true", help="텐서플로가 표준 오류에 쓰는 로그를 숨기지 않는다"
    )
    return parser


class _Captured:
    text = ""


@contextlib.contextmanager
def _native_stderr_captured(enabled: bool) -> Iterator[_Captured]:
    """파일 기술자 2(C++ 로그도 여기로 간다)를 임시 파일로 돌리고, 끝나면 모은 글을 남긴다."""
    captured = _Captured()
    saved = -1
    if enabled:
        try:
            saved = os.dup(2)
        except OSError:
            saved = -1
    if saved < 0:
        yield captured
        return
    with tempfile.TemporaryFile() as buffer:
        sys.stderr.flush()
        os.dup2(buffer.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            buffer.seek(0)
            captured.text = buffer.read().decode("utf-8", errors="replace")


def _run_env(args: argparse.Namespace, prog: str) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from kerasguide import env

    failure: Exception | None = None
    with _native_stderr_captured(enabled=not args.tf_log) as captured:
        try:
            report = env.report()
        except Exception as err:
            failure = err
    if failure is not None:
        sys.stderr.write(captured.text)
        print(
            f"{prog}: 오류: 작업환경 보고서를 만들지 못했다: {type(failure).__name__}: {failure}",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.format_table())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``kerasguide`` 명령을 실행하고 종료 코드를 돌려준다.

    Args:
        argv: 명령줄 인자(프로그램 이름 제외). ``None`` 이면 ``sys.argv[1:]``.

    Returns:
        종료 코드: 0 성공, 1 보고서를 만들지 못함, 2 잘못된 인자.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exit_:
        # --help, --version and usage errors: argparse has already printed its message.
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "env":
        return _run_env(args, parser.prog)
    raise AssertionError(f"처리하지 않은 명령: {args.command!r}")  # pragma: no cover
