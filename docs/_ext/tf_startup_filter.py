"""Run a command with TensorFlow's C++ start-up lines taken out of its standard error.

``nox -s docs`` (and the site build of ``nox -s tests``) runs Sphinx through this::

    python docs/_ext/tf_startup_filter.py sphinx-build ...

TensorFlow 2.21 writes a few INFO lines from C++ before ``absl::InitializeLog()`` is called
(``cudart_stub.cc … Could not find cuda drivers``, ``cpu_feature_guard.cc …``), and at that
point ``TF_CPP_MIN_LOG_LEVEL=2`` cannot hold them back. Every notebook kernel and every build
process that imports TensorFlow prints them again: dozens of lines that hide the warnings
that matter. Sphinx's kernels write to the build's file descriptor 2 (``conf.py`` keeps
C-level output off the pages), so filtering the build's standard error catches them all.

Only those lines go: absl INFO lines (``I1204 21:20:15.123 12345 file.cc:31] …``), the
notice that precedes them and the "To enable the following instructions" line that follows
``cpu_feature_guard``. Warnings and errors (``W…``, ``E…``, Python's and Sphinx's) pass
through as they come, and the command's exit code is this script's. With
``TF_CPP_MIN_LOG_LEVEL`` set to 0 (the user wants TensorFlow's INFO lines) nothing is taken out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from typing import IO

#: absl's INFO line: severity I, month and day, time, thread, source file and line.
_ABSL_INFO = re.compile(rb"^I\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./-]+\.(cc|h):\d+\] ")
_PREAMBLE = (
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
)
_CPU_FEATURE_GUARD = b"cpu_feature_guard.cc:"
_CPU_FEATURE_FOLLOW_UP = b"To enable the following instructions:"


class StartupLineFilter:
    """Decides line by line (bytes, as written) whether a line is TensorFlow's start-up INFO."""

    def __init__(self) -> None:
        self._after_cpu_feature_guard = False

    def drops(self, line: bytes) -> bool:
        after_guard, self._after_cpu_feature_guard = self._after_cpu_feature_guard, False
        text = line.rstrip(b"\r\n")
        if text == _PREAMBLE:
            return True
        if _ABSL_INFO.match(text):
            self._after_cpu_feature_guard = _CPU_FEATURE_GUARD in text
            return True
        return after_guard and text.startswith(_CPU_FEATURE_FOLLOW_UP)


def filtering_wanted(environ: dict[str, str] | os._Environ[str]) -> bool:
    """Whether to filter: not when the user asked TensorFlow for its INFO lines."""
    return environ.get("TF_CPP_MIN_LOG_LEVEL", "2").strip() not in {"", "0"}


def _copy_filtered(source: IO[bytes], keep: StartupLineFilter) -> None:
    # readline returns as soon as a line is complete: warnings appear while Sphinx runs.
    for line in iter(source.readline, b""):
        if not keep.drops(line):
            sys.stderr.buffer.write(line)
            sys.stderr.buffer.flush()


def run(command: list[str]) -> int:
    """Run ``command``; copy its standard error here, less the start-up lines. Its exit code."""
    if not filtering_wanted(os.environ):
        return _exit_code(subprocess.run(command, check=False).returncode)
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    assert process.stderr is not None
    pump = threading.Thread(
        target=_copy_filtered, args=(process.stderr, StartupLineFilter()), daemon=True
    )
    pump.start()
    try:
        code = process.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the command too (same process group), e.g. `nox -s docs-live`: let it
        # finish (its last lines still pass through), then its exit code, no traceback here.
        code = process.wait()
    # The command has ended; a process it started (a notebook kernel) may still hold the
    # pipe open. What is in the pipe is copied, but this script does not wait for that process.
    pump.join(timeout=5)
    return _exit_code(code)


def _exit_code(returncode: int) -> int:
    """A command killed by signal N gives -N in Python; a shell reports 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def main(argv: list[str] | None = None) -> int:
    command = list(sys.argv[1:] if argv is None else argv)
    if not command:
        print("사용법: python docs/_ext/tf_startup_filter.py 명령 [인자 ...]", file=sys.stderr)
        return 2
    try:
        return run(command)
    except KeyboardInterrupt:  # the unfiltered path (TF_CPP_MIN_LOG_LEVEL=0), Ctrl-C
        return 130


if __name__ == "__main__":
    sys.exit(main())
