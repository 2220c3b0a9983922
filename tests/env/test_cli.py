"""The `kerasguide` command line: Korean help and errors, exit codes, the table and --json.

Most tests call `main()` with `kerasguide.env.report` replaced by a report built from a
StaticProbe, so they need no TensorFlow; the tests marked slow start real interpreters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from kerasguide import _cli, env
from kerasguide._version import __version__

ROOT = Path(__file__).resolve().parents[2]
COLAB_T4 = env.StaticProbe(
    gpus={"/physical_device:GPU:0": {"device_name": "Tesla T4", "compute_capability": (7, 5)}},
    environ={"COLAB_RELEASE_TAG": "release-colab-20261101-060123-RC00"},
    nvidia_smi_output="0, Tesla T4, 15360, 550.54.15\n",
)


@pytest.fixture
def fake_report(monkeypatch: pytest.MonkeyPatch) -> env.EnvReport:
    report = env.report(probe=COLAB_T4)
    monkeypatch.setattr(env, "report", lambda: report)
    return report


def test_help_is_korean(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("사용법: kerasguide ")
    for words in ("선택 사항:", "명령:", "이 도움말을 보여 주고 끝낸다", "env", "작업환경"):
        assert words in out
    assert "usage:" not in out
    assert "options:" not in out


def test_env_help_is_korean(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main(["env", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("사용법: kerasguide env ")
    assert "--json" in out
    assert "JSON으로 출력한다" in out


def test_no_command_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main([]) == 0
    out = capsys.readouterr().out
    assert "명령:" in out
    assert "env" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"kerasguide {__version__}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report"], "COMMAND: 알 수 없는 값 'report'. 고를 수 있는 값: 'env'"),
        (["env", "--bogus"], "알 수 없는 인자: --bogus"),
        (["--json"], "알 수 없는 인자: --json"),
        (["env", "--json=yes"], "--json 는 값을 받지 않는다. 받은 값: 'yes'"),
    ],
)
def test_bad_arguments_exit_2_with_a_korean_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("사용법: kerasguide")
    assert f": 오류: {message}" in captured.err


@pytest.mark.usefixtures("fake_report")
def test_env_prints_the_korean_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main(["env"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("kerasguide 작업환경 보고서\n")
    for label in (
        "파이썬",
        "텐서플로",
        "케라스 백엔드",
        "CUDA 빌드",
        "실행 환경",
        "NVIDIA 드라이버",
    ):
        assert label in out
    assert "구글 코랩(Colab)" in out
    assert "Tesla T4, 연산 능력 7.5, 메모리 15360 MiB" in out


def test_env_json_parses_and_has_the_keys(
    fake_report: env.EnvReport, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli.main(["env", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == json.loads(json.dumps(fake_report.to_dict()))
    assert data["runtime"] == "colab"
    assert data["gpus"][0]["device_name"] == "Tesla T4"
    assert data["nvidia_smi"]["driver_version"] == "550.54.15"


def test_env_hides_native_logs_unless_asked(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    report = env.report(probe=COLAB_T4)

    def noisy_report() -> env.EnvReport:
        # What TensorFlow's C++ logging does: write straight to file descriptor 2.
        os.write(2, b"I0000 cudart_stub.cc:31] Could not find cuda drivers\n")
        return report

    monkeypatch.setattr(env, "report", noisy_report)
    assert _cli.main(["env", "--json"]) == 0
    captured = capfd.readouterr()
    assert "cudart_stub" not in captured.err
    json.loads(captured.out)

    assert _cli.main(["env", "--json", "--tf-log"]) == 0
    assert "cudart_stub" in capfd.readouterr().err


def test_env_failure_exits_1_and_shows_the_hidden_log(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def broken_report() -> env.EnvReport:
        os.write(2, b"E0000 some native error\n")
        raise ImportError("libcudnn.so.9: cannot open shared object file")

    monkeypatch.setattr(env, "report", broken_report)
    assert _cli.main(["env"]) == 1
    captured = capfd.readouterr()
    assert captured.out == ""
    assert "E0000 some native error" in captured.err
    assert "오류: 작업환경 보고서를 만들지 못했다: ImportError: libcudnn.so.9" in captured.err


def test_console_script_is_declared() -> None:
    (script,) = entry_points(group="console_scripts", name="kerasguide")
    assert script.value == "kerasguide._cli:main"
    assert script.load() is _cli.main


def _clean_env() -> dict[str, str]:
    environ = dict(os.environ)
    for name in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "KERAS_BACKEND"):
        environ.pop(name, None)
    return environ


@pytest.mark.slow
def test_python_m_kerasguide_env_json_on_this_machine() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kerasguide", "env", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=_clean_env(),
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["keras_backend"] == "tensorflow"
    assert data["python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert isinstance(data["advice"], list)


@pytest.mark.slow
def test_python_m_kerasguide_help_names_itself() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kerasguide", "--help"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=_clean_env(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("사용법: python -m kerasguide ")


@pytest.mark.slow
def test_the_cli_itself_keeps_tensorflow_logs_off_stderr() -> None:
    # Load kerasguide._cli without running the package __init__ (which imports the layers,
    # and with them TensorFlow, before the CLI gets control), then run the real report with
    # no log settings in the environment: nothing may reach stderr.
    script = textwrap.dedent(
        f"""
        import sys, types
        package = types.ModuleType("kerasguide")
        package.__path__ = [{str(ROOT / "kerasguide")!r}]
        sys.modules["kerasguide"] = package
        from kerasguide._cli import main
        assert "tensorflow" not in sys.modules
        sys.exit(main(["env", "--json"]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=_clean_env(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout)["keras_backend"] == "tensorflow"


@pytest.mark.slow
def test_env_json_on_the_jax_backend_lists_jax_devices() -> None:
    pytest.importorskip("jax")
    result = subprocess.run(
        [sys.executable, "-m", "kerasguide", "env", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**_clean_env(), "KERAS_BACKEND": "jax"},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["keras_backend"] == "jax"
    assert data["jax_version"] and data["jax_devices"][0].startswith("cpu:0")
    # How Keras spreads training on JAX: nothing set, JAX's default device.
    assert data["distribution"]["class_name"] is None
    assert data["distribution"]["devices"] == [data["jax_devices"][0].split(" ")[0]]
