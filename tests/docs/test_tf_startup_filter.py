"""docs/_ext/tf_startup_filter.py: TensorFlow's C++ start-up lines out of the build's stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tf_startup_filter

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "_ext" / "tf_startup_filter.py"

# As TensorFlow 2.21 writes them on a machine without a GPU (each kernel, each import).
STARTUP = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796419132.347910    8065 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.",
    "I0000 00:00:1796418864.312551    6846 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.",
]
KEPT = [
    "W0000 00:00:1796419132.347910    8065 gpu_device.cc:2342] Cannot dlopen some GPU libraries.",
    "E0000 00:00:1796419132.347910    8065 cuda_executor.cc:1228] failed call to cuInit",
    "/work/docs/ch03/keras.md:12: WARNING: undefined label: 'nowhere'",
    "To enable the following instructions: a sentence of a page, not after cpu_feature_guard",
    "I0000 not an absl line: no source file",
]


def test_drops_only_tensorflows_startup_info_lines() -> None:
    keep = tf_startup_filter.StartupLineFilter()
    lines = [*STARTUP, *KEPT]
    kept = [line for line in lines if not keep.drops((line + "\n").encode())]
    assert kept == KEPT


@pytest.mark.parametrize(("level", "filtered"), [("2", True), ("1", True), ("0", False)])
def test_runs_the_command_keeps_its_exit_code_and_other_lines(level: str, filtered: bool) -> None:
    program = "import sys\nfor line in sys.argv[1:]: print(line, file=sys.stderr)\nsys.exit(3)"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), sys.executable, "-c", program, *STARTUP, *KEPT],
        capture_output=True, check=False, env={"TF_CPP_MIN_LOG_LEVEL": level, "PATH": ""},
    )  # fmt: skip
    assert result.returncode == 3
    expected = KEPT if filtered else [*STARTUP, *KEPT]
    assert result.stderr.decode().splitlines() == expected


def test_without_a_command_it_says_how_to_use_it() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 2 and "사용법" in result.stderr


def test_a_process_left_holding_stderr_does_not_keep_it_waiting() -> None:
    # The command starts a child that keeps the inherited stderr open for a minute, as a
    # notebook kernel that outlives sphinx-build would, and exits at once with code 4.
    program = (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],\n"
        "                 stdout=subprocess.DEVNULL)\n"
        "print('last line', file=sys.stderr)\n"
        "sys.exit(4)"
    )
    result = subprocess.run(
        [sys.executable, str(SCRIPT), sys.executable, "-c", program],
        capture_output=True, timeout=30, check=False,
        env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": ""},
    )  # fmt: skip
    assert result.returncode == 4
    assert result.stderr.decode().splitlines() == ["last line"]
