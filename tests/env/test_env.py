"""kerasguide.env: the real report on this CPU machine, and every GPU/TPU/Colab/WSL branch
through injected probes (StaticProbe), so none of these tests needs an accelerator."""

from __future__ import annotations

import json
import os
import platform
import stat
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import keras
import pytest

from kerasguide import env
from kerasguide.env._table import display_width

ROOT = Path(__file__).resolve().parents[2]

T4 = {"device_name": "Tesla T4", "compute_capability": (7, 5)}
A100 = {"device_name": "NVIDIA A100-SXM4-40GB", "compute_capability": (8, 0)}
P100 = {"device_name": "Tesla P100-PCIE-16GB", "compute_capability": (6, 0)}
GPU0 = "/physical_device:GPU:0"
GPU1 = "/physical_device:GPU:1"
COLAB = {"COLAB_RELEASE_TAG": "release-colab-20261101-060123-RC00"}
WSL_PROC = "Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) (gcc 11.2.0)"
SMI_T4 = "0, Tesla T4, 15360, 550.54.15\n"
TOO_LATE = RuntimeError("Physical devices cannot be modified after being initialized")


def smi_row(index: int, name: str, memory: int, driver: str = "550.54.15") -> str:
    return f"{index}, {name}, {memory}, {driver}\n"


@pytest.fixture
def keras_policy() -> Iterator[None]:
    """Restore Keras's global dtype policy after a test that changes it."""
    import keras

    before = keras.mixed_precision.global_policy().name
    yield
    keras.mixed_precision.set_global_policy(before)


# --------------------------------------------------------------------------- real machine


@pytest.fixture(scope="module")
def real_report() -> env.EnvReport:
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU") or tf.config.list_physical_devices("TPU"):
        pytest.skip("this test describes a CPU-only machine")
    return env.report()


def test_real_report_matches_installed_versions(real_report: env.EnvReport) -> None:
    import keras
    import tensorflow as tf

    assert real_report.python_version == platform.python_version()
    assert real_report.tensorflow_version == tf.__version__
    assert real_report.keras_version == keras.__version__
    assert real_report.keras_backend == keras.backend.backend()
    build = tf.sysconfig.get_build_info()
    assert real_report.cuda_build is bool(build.get("is_cuda_build", False))
    assert real_report.cuda_version == build.get("cuda_version")
    assert real_report.platform == platform.platform()


def test_real_report_on_cpu_sees_no_gpu_and_says_so(real_report: env.EnvReport) -> None:
    assert real_report.gpus == ()
    assert real_report.tpus == ()
    assert real_report.strategy.describe() == "OneDeviceStrategy('/cpu:0')"
    assert any("GPU를 찾지 못했다" in line for line in real_report.advice)
    table = str(real_report)
    assert "GPU를 찾지 못했다" in table
    assert real_report.tensorflow_version in table


def test_real_report_is_json_serialisable(real_report: env.EnvReport) -> None:
    data = json.loads(json.dumps(real_report.to_dict(), ensure_ascii=False))
    assert data["keras_backend"] == keras.backend.backend()
    assert data["gpus"] == []
    assert data["strategy"]["class_name"] == "OneDeviceStrategy"


@pytest.mark.slow
@pytest.mark.backend("tensorflow")  # TensorFlow's device configuration
def test_report_leaves_devices_configurable_and_too_late_is_explained() -> None:
    # A fresh interpreter: report() must not initialise TensorFlow's devices, so logical
    # CPU devices can still be configured after it; once a tensor exists, asking for a
    # different split raises the Korean error that says what to do.
    script = textwrap.dedent(
        """
        import tensorflow as tf
        from kerasguide import env

        env.report()
        strategy = env.select_strategy(cpu_devices=2)
        print("replicas", strategy.num_replicas_in_sync)
        print("extended", type(strategy).__name__)
        tf.constant(1.0)
        again = env.select_strategy(cpu_devices=2)
        print("same split after init", again.num_replicas_in_sync)
        print("default", type(env.select_strategy()).__name__)
        try:
            env.select_strategy(cpu_devices=3)
        except env.DevicesAlreadyInitializedError as err:
            print("too late:", err)
            print("cause:", type(err.__cause__).__name__)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "replicas 2" in lines
    assert "extended MirroredStrategy" in lines
    assert "same split after init 2" in lines
    assert "default OneDeviceStrategy" in lines
    too_late = next(line for line in lines if line.startswith("too late:"))
    assert "이미 장치를 초기화" in too_late
    assert "논리 장치 3개" in too_late
    assert "다시 시작" in too_late
    assert "cause: RuntimeError" in lines


# --------------------------------------------------------------------------- Colab


def test_colab_without_gpu_says_change_runtime_type() -> None:
    rep = env.report(probe=env.StaticProbe(environ=COLAB))
    assert rep.runtime == "colab"
    assert rep.runtime_label == "구글 코랩(Colab)"
    assert rep.gpus == ()
    assert any("런타임 유형 변경" in line for line in rep.advice)
    assert any("GPU를 찾지 못했다" in line for line in rep.advice)
    assert rep.strategy.devices == ("/cpu:0",)


def test_colab_with_t4_reports_the_gpu_and_needs_no_advice() -> None:
    probe = env.StaticProbe(gpus={GPU0: T4}, environ=COLAB, nvidia_smi_output=SMI_T4)
    rep = env.report(probe=probe)
    assert rep.runtime == "colab"
    assert rep.gpus == (env.GpuInfo(GPU0, "Tesla T4", (7, 5), 15360),)
    assert rep.nvidia_driver == "550.54.15"
    assert rep.advice == ()
    assert rep.strategy.describe() == "OneDeviceStrategy('/gpu:0')"
    table = rep.format_table()
    assert "Tesla T4, 연산 능력 7.5, 메모리 15360 MiB" in table
    assert "필요한 것이 모두 갖춰졌다" in table
    # nvidia-smi is asked for exactly the fields the report parses.
    assert probe.nvidia_smi_calls == [
        ("--query-gpu=index,name,memory.total,driver_version", "--format=csv,noheader,nounits")
    ]


def test_colab_gpu_runtime_that_tensorflow_cannot_see() -> None:
    rep = env.report(probe=env.StaticProbe(environ=COLAB, nvidia_smi_output=SMI_T4))
    assert rep.gpus == ()
    assert len(rep.nvidia_smi.gpus) == 1
    assert any("세션 다시 시작" in line for line in rep.advice)
    assert not any("런타임 유형 변경" in line for line in rep.advice)


@pytest.mark.parametrize("variable", ["COLAB_RELEASE_TAG", "COLAB_GPU", "COLAB_TPU_ADDR"])
def test_colab_is_detected_from_any_of_its_variables(variable: str) -> None:
    rep = env.report(probe=env.StaticProbe(environ={variable: "1"}))
    assert rep.runtime == "colab"


# --------------------------------------------------------------------------- WSL, OSes


def test_wsl_with_gpu() -> None:
    probe = env.StaticProbe(
        gpus={GPU0: A100},
        proc_version=WSL_PROC,
        nvidia_smi_output=smi_row(0, "NVIDIA A100-SXM4-40GB", 40960, "560.94"),
    )
    rep = env.report(probe=probe)
    assert rep.runtime == "wsl"
    assert rep.gpus[0].memory_mb == 40960
    assert rep.nvidia_driver == "560.94"
    assert rep.advice == ()
    assert "WSL(윈도우용 리눅스 하위 시스템)" in rep.format_table()


def test_wsl_without_driver_points_to_the_windows_driver() -> None:
    rep = env.report(probe=env.StaticProbe(proc_version=WSL_PROC))
    assert rep.runtime == "wsl"
    assert rep.nvidia_smi.status == "missing"
    assert any("윈도우 쪽에" in line for line in rep.advice)


def test_wsl_detected_from_distro_variable_without_proc_version() -> None:
    probe = env.StaticProbe(proc_version=None, environ={"WSL_DISTRO_NAME": "Ubuntu"})
    assert env.report(probe=probe).runtime == "wsl"


@pytest.mark.parametrize(
    ("system", "runtime", "phrase"),
    [
        ("Windows", "windows", "WSL2"),
        ("Darwin", "macos", "tensorflow-metal"),
        ("Linux", "linux", "드라이버를 설치"),
    ],
)
def test_no_gpu_advice_depends_on_the_operating_system(
    system: str, runtime: str, phrase: str
) -> None:
    rep = env.report(probe=env.StaticProbe(system=system, proc_version=None))
    assert rep.runtime == runtime
    assert any(phrase in line for line in rep.advice)


def test_unknown_system_is_other() -> None:
    rep = env.report(probe=env.StaticProbe(system="FreeBSD", proc_version=None))
    assert rep.runtime == "other"
    assert rep.runtime_label == "기타"


def test_driver_sees_gpu_but_tensorflow_is_a_cpu_build() -> None:
    probe = env.StaticProbe(build={"is_cuda_build": False}, nvidia_smi_output=SMI_T4)
    rep = env.report(probe=probe)
    assert rep.cuda_build is False
    assert rep.cuda_version is None
    assert any("CUDA 없이" in line and "tensorflow[and-cuda]" in line for line in rep.advice)
    assert "아니오 (CPU 전용 빌드)" in rep.format_table()


def test_driver_sees_gpu_but_cuda_libraries_do_not_match() -> None:
    rep = env.report(probe=env.StaticProbe(nvidia_smi_output=SMI_T4))
    assert any("CUDA 12.5.1 라이브러리와 cuDNN" in line for line in rep.advice)


@pytest.mark.parametrize("value", ["", "-1"])
def test_cuda_visible_devices_hiding_the_gpu(value: str) -> None:
    probe = env.StaticProbe(environ={"CUDA_VISIBLE_DEVICES": value}, nvidia_smi_output=SMI_T4)
    rep = env.report(probe=probe)
    assert any("CUDA_VISIBLE_DEVICES" in line for line in rep.advice)


def test_non_tensorflow_backend_is_flagged() -> None:
    rep = env.report(probe=env.StaticProbe(backend="jax", gpus={GPU0: T4}))
    assert rep.keras_backend == "jax"
    assert any("KERAS_BACKEND=tensorflow" in line for line in rep.advice)


def test_old_gpu_gets_mixed_precision_advice() -> None:
    rep = env.report(probe=env.StaticProbe(gpus={GPU0: P100}))
    assert any("6.0" in line and "mixed_float16" in line for line in rep.advice)


# --------------------------------------------------------------------------- several GPUs, TPU


def test_two_gpus_choose_mirrored_and_match_memory_by_name() -> None:
    # TensorFlow (fastest first) and nvidia-smi (PCI order) may number GPUs differently.
    probe = env.StaticProbe(
        gpus={GPU0: A100, GPU1: T4},
        nvidia_smi_output=smi_row(0, "Tesla T4", 15360)
        + smi_row(1, "NVIDIA A100-SXM4-40GB", 40960),
    )
    rep = env.report(probe=probe)
    assert [(g.index, g.device_name, g.memory_mb) for g in rep.gpus] == [
        (0, "NVIDIA A100-SXM4-40GB", 40960),
        (1, "Tesla T4", 15360),
    ]
    assert rep.strategy.kind == "mirrored"
    assert rep.strategy.devices == ("/gpu:0", "/gpu:1")
    assert env.choose_strategy(probe=probe).describe() == "MirroredStrategy(['/gpu:0', '/gpu:1'])"
    table = rep.format_table()
    assert "GPU 0" in table and "GPU 1" in table


def test_gpu_without_details_is_still_listed() -> None:
    rep = env.report(probe=env.StaticProbe(gpus={GPU0: {}}, nvidia_smi_output=SMI_T4))
    assert rep.gpus == (env.GpuInfo(GPU0),)
    assert "이름 모름" in rep.format_table()


def test_tpu_chooses_tpu_strategy_on_the_local_tpu() -> None:
    tpus = [f"/physical_device:TPU:{i}" for i in range(8)]
    rep = env.report(probe=env.StaticProbe(tpus=tpus, environ=COLAB))
    assert rep.tpus == tuple(tpus)
    assert rep.strategy.kind == "tpu"
    assert rep.strategy.tpu_address == "local"
    assert rep.strategy.class_name == "TPUStrategy"
    assert not any("GPU를 찾지 못했다" in line for line in rep.advice)
    assert "8개" in rep.format_table()


def test_tpu_address_from_environment_and_argument() -> None:
    probe = env.StaticProbe(environ={"COLAB_TPU_ADDR": "10.0.0.2:8470"})
    assert env.choose_strategy(probe=probe).tpu_address == "grpc://10.0.0.2:8470"
    probe = env.StaticProbe(environ={"TPU_NAME": "my-tpu"})
    assert env.choose_strategy(probe=probe).tpu_address == "my-tpu"
    choice = env.choose_strategy(tpu="my-other-tpu", probe=env.StaticProbe(gpus={GPU0: T4}))
    assert (choice.kind, choice.tpu_address) == ("tpu", "my-other-tpu")


def test_cpu_devices_overrides_gpus() -> None:
    probe = env.StaticProbe(gpus={GPU0: T4, GPU1: T4})
    one = env.choose_strategy(cpu_devices=1, probe=probe)
    assert one.describe() == "OneDeviceStrategy('/cpu:0')"
    three = env.choose_strategy(cpu_devices=3, probe=probe)
    assert (three.kind, three.devices, three.cpu_devices) == (
        "mirrored",
        ("/cpu:0", "/cpu:1", "/cpu:2"),
        3,
    )
    assert "논리 장치 3개" in str(three)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"cpu_devices": 0}, ValueError, ["cpu_devices", "0"]),
        ({"cpu_devices": True}, TypeError, ["cpu_devices", "True"]),
        ({"cpu_devices": "2"}, TypeError, ["cpu_devices", "'2'"]),
        ({"tpu": ""}, ValueError, ["tpu", "'local'"]),
        ({"tpu": 3}, TypeError, ["tpu", "3"]),
        ({"tpu": "local", "cpu_devices": 2}, ValueError, ["cpu_devices=2", "tpu='local'"]),
    ],
)
def test_strategy_arguments_are_checked(
    kwargs: dict[str, object], error: type[Exception], words: list[str]
) -> None:
    with pytest.raises(error) as info:
        env.choose_strategy(**kwargs, probe=env.StaticProbe())  # type: ignore[arg-type]
    for word in words:
        assert word in str(info.value)
    with pytest.raises(error):
        env.select_strategy(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- nvidia-smi


def test_nvidia_smi_failing() -> None:
    failure = subprocess.CalledProcessError(
        9,
        ["nvidia-smi"],
        output="",
        stderr="NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
    )
    rep = env.report(probe=env.StaticProbe(nvidia_smi_output=failure))
    assert rep.nvidia_smi.status == "failed"
    assert rep.nvidia_driver is None
    assert "종료 코드 9" in (rep.nvidia_smi.message or "")
    assert "couldn't communicate" in (rep.nvidia_smi.message or "")
    assert any("종료 코드 9" in line and "다시 설치" in line for line in rep.advice)
    assert "알 수 없음" in rep.format_table()


def test_nvidia_smi_timing_out() -> None:
    timeout = subprocess.TimeoutExpired(["nvidia-smi"], 10.0)
    rep = env.report(probe=env.StaticProbe(gpus={GPU0: T4}, nvidia_smi_output=timeout))
    assert rep.nvidia_smi.status == "timeout"
    assert "10초" in (rep.nvidia_smi.message or "")
    assert any("10초" in line for line in rep.advice)
    # TensorFlow still sees the GPU; only the memory, which comes from nvidia-smi, is unknown.
    assert rep.gpus == (env.GpuInfo(GPU0, "Tesla T4", (7, 5), None),)


def test_nvidia_smi_unreadable_output() -> None:
    rep = env.report(probe=env.StaticProbe(nvidia_smi_output="something else entirely\n"))
    assert rep.nvidia_smi.status == "failed"
    assert "읽지 못했다" in (rep.nvidia_smi.message or "")


def test_nvidia_smi_missing() -> None:
    rep = env.report(probe=env.StaticProbe())
    assert rep.nvidia_smi == env.NvidiaSmiInfo(status="missing")
    assert "nvidia-smi 를 찾지 못했다" in rep.format_table()


def _fake_nvidia_smi(directory: Path, body: str) -> None:
    script = directory / "nvidia-smi"
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell script as nvidia-smi")
def test_system_probe_runs_nvidia_smi_with_a_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    probe = env.SystemProbe(nvidia_smi_timeout=0.5)

    _fake_nvidia_smi(tmp_path, 'echo "$@" >&2\necho "0, Tesla T4, 15360, 550.54.15"')
    assert probe.nvidia_smi(["--query-gpu=x"]) == "0, Tesla T4, 15360, 550.54.15\n"

    _fake_nvidia_smi(tmp_path, 'echo "No devices were found" >&2\nexit 6')
    with pytest.raises(subprocess.CalledProcessError) as info:
        probe.nvidia_smi([])
    assert info.value.returncode == 6

    _fake_nvidia_smi(tmp_path, "exec sleep 30")
    with pytest.raises(subprocess.TimeoutExpired):
        probe.nvidia_smi([])


def test_system_probe_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="nvidia_smi_timeout"):
        env.SystemProbe(nvidia_smi_timeout=0)
    with pytest.raises(TypeError, match="nvidia_smi_timeout"):
        env.SystemProbe(nvidia_smi_timeout="10")  # type: ignore[arg-type]


def test_report_rejects_something_that_is_not_a_probe() -> None:
    with pytest.raises(TypeError, match="probe"):
        env.report(probe=object())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- table


def test_table_aligns_korean_labels_by_display_width() -> None:
    probe = env.StaticProbe(gpus={GPU0: A100, GPU1: T4}, nvidia_smi_output=SMI_T4)
    rep = env.report(probe=probe)
    lines = rep.format_table().splitlines()
    starts = set()
    for (label, value), line in zip(rep.rows(), lines[2:], strict=False):
        first_value_line = value.split("\n")[0]
        assert line.startswith(label)
        prefix = line[: line.index(first_value_line)]
        starts.add(display_width(prefix))
    # Every value starts in the same screen column although the labels mix Hangul (2 columns
    # each) and ASCII (1 column each).
    assert len(starts) == 1
    for label in (
        "파이썬",
        "텐서플로",
        "케라스 백엔드",
        "CUDA 빌드",
        "실행 환경",
        "NVIDIA 드라이버",
    ):
        assert label in rep.format_table()


def test_table_lines_fit_the_rule_and_advice_is_wrapped() -> None:
    rep = env.report(probe=env.StaticProbe(environ=COLAB))
    lines = rep.format_table().splitlines()
    rule = display_width(lines[1])
    assert set(lines[1]) == {"="}
    assert all(display_width(line) <= rule for line in lines)
    advice = lines[lines.index("조언") + 1 :]
    assert advice[0].startswith("1. ")
    assert all(display_width(line) <= 76 for line in advice)


def test_wrapped_advice_never_breaks_a_command() -> None:
    probe = env.StaticProbe(system="Windows", proc_version=None, nvidia_smi_output=SMI_T4)
    table = env.report(probe=probe).format_table()
    assert any("`pip install 'tensorflow[and-cuda]'`" in line for line in table.splitlines())


def test_str_and_pretty_printing_show_the_table() -> None:
    rep = env.report(probe=env.StaticProbe())

    class Printer:
        text_seen = ""

        def text(self, value: str) -> None:
            self.text_seen += value

    printer = Printer()
    rep._repr_pretty_(printer, cycle=False)
    assert printer.text_seen == str(rep) == rep.format_table()


def test_to_dict_has_every_field_as_plain_json() -> None:
    rep = env.report(probe=env.StaticProbe(gpus={GPU0: T4}, nvidia_smi_output=SMI_T4))
    data = json.loads(json.dumps(rep.to_dict()))
    assert set(data) >= {
        "python_version",
        "tensorflow_version",
        "keras_version",
        "keras_backend",
        "cuda_build",
        "cuda_version",
        "cudnn_version",
        "runtime",
        "runtime_label",
        "platform",
        "gpus",
        "tpus",
        "nvidia_smi",
        "strategy",
        "advice",
    }
    assert data["gpus"] == [
        {
            "name": GPU0,
            "device_name": "Tesla T4",
            "compute_capability": [7, 5],
            "memory_mb": 15360,
        }
    ]
    assert data["nvidia_smi"]["driver_version"] == "550.54.15"
    assert data["strategy"]["description"] == "OneDeviceStrategy('/gpu:0')"


def test_report_is_frozen() -> None:
    rep = env.report(probe=env.StaticProbe())
    with pytest.raises(AttributeError):
        rep.keras_backend = "jax"  # type: ignore[misc]


# --------------------------------------------------------------------------- memory growth


def test_memory_growth_on_every_gpu() -> None:
    probe = env.StaticProbe(gpus={GPU0: T4, GPU1: T4})
    assert env.enable_memory_growth(probe=probe) == [GPU0, GPU1]
    assert probe.memory_growth == {GPU0: True, GPU1: True}


def test_memory_growth_on_chosen_gpus() -> None:
    probe = env.StaticProbe(gpus={GPU0: T4, GPU1: T4})
    assert env.enable_memory_growth([1, 1], probe=probe) == [GPU1]
    assert probe.memory_growth == {GPU1: True}


def test_memory_growth_without_gpu_does_nothing() -> None:
    assert env.enable_memory_growth(probe=env.StaticProbe()) == []


@pytest.mark.parametrize(
    ("gpus", "error", "words"),
    [
        ("0", TypeError, ["gpus", "'0'"]),
        ([True], TypeError, ["gpus", "True"]),
        ([0.0], TypeError, ["gpus", "0.0"]),
        ([2], ValueError, ["gpus", "2", "0부터 1까지"]),
        ([-1], ValueError, ["gpus", "-1"]),
    ],
)
def test_memory_growth_arguments_are_checked(
    gpus: object, error: type[Exception], words: list[str]
) -> None:
    probe = env.StaticProbe(gpus={GPU0: T4, GPU1: T4})
    with pytest.raises(error) as info:
        env.enable_memory_growth(gpus, probe=probe)  # type: ignore[arg-type]
    for word in words:
        assert word in str(info.value)
    assert probe.memory_growth == {}


def test_memory_growth_asking_for_a_gpu_that_is_not_there() -> None:
    with pytest.raises(ValueError, match="GPU가 보이지 않는다"):
        env.enable_memory_growth([0], probe=env.StaticProbe())


def test_memory_growth_too_late_is_explained_in_korean() -> None:
    probe = env.StaticProbe(gpus={GPU0: T4}, memory_growth_error=TOO_LATE)
    with pytest.raises(env.DevicesAlreadyInitializedError) as info:
        env.enable_memory_growth(probe=probe)
    message = str(info.value)
    assert "GPU 메모리 증가" in message
    assert "맨 위에서" in message
    assert "다시 시작" in message
    assert info.value.__cause__ is TOO_LATE
    assert isinstance(info.value, RuntimeError)


def test_memory_growth_other_runtime_errors_pass_through() -> None:
    other = RuntimeError("something else")
    probe = env.StaticProbe(gpus={GPU0: T4}, memory_growth_error=other)
    with pytest.raises(RuntimeError) as info:
        env.enable_memory_growth(probe=probe)
    assert info.value is other


# --------------------------------------------------------------------------- mixed precision


@pytest.mark.usefixtures("keras_policy")
def test_mixed_precision_refuses_on_cpu_unless_forced() -> None:
    import keras

    keras.mixed_precision.set_global_policy("float32")
    with pytest.raises(RuntimeError, match="force=True"):
        env.enable_mixed_precision(probe=env.StaticProbe())
    assert keras.mixed_precision.global_policy().name == "float32"

    assert env.enable_mixed_precision(force=True, probe=env.StaticProbe()) == "mixed_float16"
    assert keras.mixed_precision.global_policy().name == "mixed_float16"
    layer = keras.layers.Dense(2)
    assert (layer.compute_dtype, layer.variable_dtype) == ("float16", "float32")


@pytest.mark.usefixtures("keras_policy")
def test_mixed_precision_on_a_modern_gpu_is_silent() -> None:
    import keras

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = env.enable_mixed_precision(probe=env.StaticProbe(gpus={GPU0: A100}))
        assert result == "mixed_float16"
        assert env.enable_mixed_precision(
            "mixed_bfloat16", probe=env.StaticProbe(gpus={GPU0: A100})
        )
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"


@pytest.mark.usefixtures("keras_policy")
@pytest.mark.parametrize(
    ("policy", "probe", "phrase"),
    [
        ("mixed_float16", env.StaticProbe(gpus={GPU0: P100}), "6.0"),
        ("mixed_bfloat16", env.StaticProbe(gpus={GPU0: T4}), "8.0 이상"),
        ("mixed_float16", env.StaticProbe(tpus=["/physical_device:TPU:0"]), "mixed_bfloat16"),
    ],
)
def test_mixed_precision_warns_where_it_will_not_help(
    policy: str, probe: env.StaticProbe, phrase: str
) -> None:
    with pytest.warns(UserWarning, match=phrase):
        env.enable_mixed_precision(policy, probe=probe)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"policy": "float16"}, ValueError, ["policy", "'float16'", "mixed_float16"]),
        ({"policy": None}, ValueError, ["policy", "None"]),
        ({"force": "yes"}, TypeError, ["force", "'yes'"]),
    ],
)
def test_mixed_precision_arguments_are_checked(
    kwargs: dict[str, object], error: type[Exception], words: list[str]
) -> None:
    with pytest.raises(error) as info:
        env.enable_mixed_precision(**kwargs, probe=env.StaticProbe(gpus={GPU0: T4}))  # type: ignore[arg-type]
    for word in words:
        assert word in str(info.value)


def test_report_html_lists_every_row_and_escapes_text() -> None:
    probe = env.StaticProbe(platform="Linux <test> & co")
    report = env.report(probe=probe)
    page = report._repr_html_()
    for label, _ in report.rows():
        assert f"<th>{label}</th>" in page
    assert "Linux &lt;test&gt; &amp; co" in page
    assert "<test>" not in page
    assert page.count("<li>") == len(report.advice)


# --- the JAX backend -------------------------------------------------------------------------


def test_report_on_jax_names_jax_and_its_devices() -> None:
    probe = env.StaticProbe(
        backend="jax",
        jax="0.10.2",
        jax_devices=["gpu:0 NVIDIA H100 80GB HBM3"],
        build={"is_cuda_build": False},
    )
    report = env.report(probe=probe)
    rows = dict(report.rows())
    assert rows["케라스 백엔드"] == "jax"
    assert rows["JAX"] == "0.10.2"
    assert rows["JAX 장치"] == "gpu:0 NVIDIA H100 80GB HBM3"
    assert report.to_dict()["jax_devices"] == ["gpu:0 NVIDIA H100 80GB HBM3"]
    assert any("'jax'" in text and "kerasguide.fit" in text for text in report.advice)
    # TensorFlow's CPU-only build sees no GPU, but JAX has one: no "no GPU" advice.
    assert not any("GPU를 찾지 못했다" in text for text in report.advice)


def test_report_on_tensorflow_does_not_start_jax() -> None:
    probe = env.StaticProbe(jax="0.10.2", jax_devices=["gpu:0 NVIDIA H100"])
    report = env.report(probe=probe)
    assert report.jax_version == "0.10.2" and report.jax_devices == ()
    assert "JAX 장치" not in dict(report.rows())
    system = env.SystemProbe()
    if system.keras_backend() == "tensorflow":
        assert system.jax_devices() == []


def test_mixed_precision_on_jax_counts_jax_accelerators() -> None:
    import keras

    probe = env.StaticProbe(
        backend="jax", jax_devices=["gpu:0 NVIDIA H100"], build={"is_cuda_build": False}
    )
    try:
        assert env.enable_mixed_precision(probe=probe) == "mixed_float16"
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    with pytest.raises(RuntimeError, match="GPU도 TPU도"):
        env.enable_mixed_precision(probe=env.StaticProbe(backend="jax", jax_devices=["cpu:0 cpu"]))


@pytest.mark.backend("jax")
def test_select_strategy_on_jax_points_to_keras_distribution() -> None:
    with pytest.raises(RuntimeError, match=r"keras\.distribution\.DataParallel"):
        env.select_strategy()
