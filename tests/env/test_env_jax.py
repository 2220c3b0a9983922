"""kerasguide.env on Keras's JAX backend: the report shows what JAX and Keras use (JAX's devices,
``keras.distribution``), not TensorFlow's view; on TensorFlow nothing changes. Every case goes
through StaticProbe, except the real probe's reading of ``keras.distribution``."""

from __future__ import annotations

import json
import warnings

import pytest

from kerasguide import env
from kerasguide.env._model import DATA_PARALLEL_CALL

H200_SMI = "0, NVIDIA H200, 143771, 580.159.04\n"
H100 = "NVIDIA H100 80GB HBM3"
T4 = {"device_name": "Tesla T4", "compute_capability": (7, 5)}
P100 = {"device_name": "Tesla P100-PCIE-16GB", "compute_capability": (6, 0)}
GPU0 = "/physical_device:GPU:0"
GPU1 = "/physical_device:GPU:1"
SMI_T4 = "0, Tesla T4, 15360, 550.54.15\n"


def h100s(count: int) -> tuple[list[str], str]:
    """JAX's device strings and nvidia-smi's rows for ``count`` H100s."""
    devices = [f"gpu:{i} {H100}" for i in range(count)]
    smi = "".join(f"{i}, {H100}, 81559, 580.159.04\n" for i in range(count))
    return devices, smi


def labels(report: env.EnvReport) -> list[str]:
    return [label for label, _ in report.rows()]


# --------------------------------------------------------------------------- one GPU


def test_jax_with_one_gpu_shows_jax_gpu_and_no_tensorflow_strategy() -> None:
    # As measured on an H200 machine with JAX and no GPU TensorFlow (docs/_data/gpu_check.json):
    # TensorFlow sees no GPU, JAX sees the H200.
    probe = env.StaticProbe(
        backend="jax",
        tensorflow=None,
        jax="0.11.2",
        jax_devices=["gpu:0 NVIDIA H200"],
        build={},
        nvidia_smi_output=H200_SMI,
    )
    report = env.report(probe=probe)
    rows = dict(report.rows())
    assert labels(report) == [
        "파이썬",
        "텐서플로",
        "케라스",
        "케라스 백엔드",
        "JAX",
        "실행 환경",  # no TensorFlow, so no TensorFlow CUDA build row
        "NVIDIA 드라이버",
        "GPU 0",
        "TPU",
        "JAX 장치",
        "분산 설정",
    ]
    assert rows["텐서플로"] == "설치되지 않음"
    assert rows["GPU 0"] == "NVIDIA H200, 메모리 143771 MiB"
    assert "GPU" not in rows  # no "GPU  없음" row
    assert rows["TPU"] == "없음"
    assert rows["JAX 장치"] == "gpu:0 NVIDIA H200"
    assert "분산 전략" not in rows
    assert "OneDeviceStrategy" not in str(report)
    assert rows["분산 설정"].split("\n") == [
        "keras.distribution 설정 없음: 장치 하나(gpu:0)",
        "kerasguide.fit 과 Model.fit 이 JAX 의 기본 장치 하나에서 훈련한다.",
    ]
    assert report.distribution == env.DistributionInfo(None, ("gpu:0",), available=1)
    assert report.jax_gpus == (env.GpuInfo("gpu:0", "NVIDIA H200", None, 143771),)
    # The advice agrees with the rows: a GPU, one device, nothing to spread.
    assert not any("찾지 못했다" in text for text in report.advice)
    assert not any("DataParallel" in text for text in report.advice)
    assert "<th>분산 설정</th>" in report._repr_html_()


def test_jax_beside_a_cpu_only_tensorflow_says_whose_cuda_build_it_is() -> None:
    probe = env.StaticProbe(
        backend="jax",
        jax_devices=["gpu:0 NVIDIA H200"],
        build={"is_cuda_build": False},
        nvidia_smi_output=H200_SMI,
    )
    rows = dict(env.report(probe=probe).rows())
    assert rows["텐서플로 CUDA 빌드"] == "아니오 (CPU 전용 빌드)"
    assert "CUDA 빌드" not in rows
    assert rows["GPU 0"] == "NVIDIA H200, 메모리 143771 MiB"


def test_jax_report_as_json_adds_the_distribution_and_keeps_every_key() -> None:
    probe = env.StaticProbe(
        backend="jax", jax="0.11.2", jax_devices=["gpu:0 NVIDIA H200"], nvidia_smi_output=H200_SMI
    )
    data = json.loads(json.dumps(env.report(probe=probe).to_dict()))
    assert data["distribution"] == {
        "class_name": None,
        "devices": ["gpu:0"],
        "available": 1,
        "mesh_shape": [],
        "axis_names": [],
        "processes": 1,
        "description": "keras.distribution 설정 없음: 장치 하나(gpu:0)",
        "reason": "kerasguide.fit 과 Model.fit 이 JAX 의 기본 장치 하나에서 훈련한다.",
    }
    assert data["jax_devices"] == ["gpu:0 NVIDIA H200"]
    # Existing keys stay (TensorFlow's view, as documented), so readers of the JSON keep working.
    assert data["gpus"] == [] and data["tpus"] == []
    assert data["strategy"]["class_name"] == "OneDeviceStrategy"


# --------------------------------------------------------------------------- several devices


def test_jax_with_several_gpus_and_no_distribution_names_the_data_parallel_line() -> None:
    devices, smi = h100s(2)
    report = env.report(
        probe=env.StaticProbe(backend="jax", jax_devices=devices, nvidia_smi_output=smi)
    )
    rows = dict(report.rows())
    assert rows["GPU 0"] == rows["GPU 1"] == f"{H100}, 메모리 81559 MiB"
    assert rows["분산 설정"].split("\n") == [
        "keras.distribution 설정 없음: 장치 하나(gpu:0)",
        "JAX 가 보는 장치 2개 가운데 하나만 쓴다.",
        "모두 쓰려면 모델을 만들기 전에 다음을 부른다:",
        "keras.distribution.set_distribution(keras.distribution.DataParallel())",
    ]
    assert report.distribution is not None and report.distribution.unused_devices
    spread = [text for text in report.advice if DATA_PARALLEL_CALL in text]
    assert len(spread) == 1 and "가속기 2개" in spread[0]
    # The call is printed whole, on one line, in the table and in the wrapped advice.
    table_lines = str(report).splitlines()
    assert sum(DATA_PARALLEL_CALL in line for line in table_lines) == 2
    assert DATA_PARALLEL_CALL in report.to_dict()["distribution"]["reason"]


def test_jax_with_a_tpu_counts_its_cores_and_suggests_spreading() -> None:
    tpus = [f"tpu:{i} TPU v5 lite" for i in range(4)]
    report = env.report(probe=env.StaticProbe(backend="jax", jax_devices=tpus))
    rows = dict(report.rows())
    assert rows["TPU"] == "4개 (TPU v5 lite)"
    assert rows["GPU"] == "없음"
    assert report.jax_tpus == tuple(tpus)
    assert not any("찾지 못했다" in text for text in report.advice)
    assert any("가속기 4개" in text and DATA_PARALLEL_CALL in text for text in report.advice)


def test_several_cpu_devices_say_so_in_the_row_but_need_no_advice() -> None:
    # XLA_FLAGS=--xla_force_host_platform_device_count=2: a test set-up, not idle hardware.
    probe = env.StaticProbe(backend="jax", jax_devices=["cpu:0 cpu", "cpu:1 cpu"])
    report = env.report(probe=probe)
    assert DATA_PARALLEL_CALL in dict(report.rows())["분산 설정"]
    assert not any(DATA_PARALLEL_CALL in text for text in report.advice)


# --------------------------------------------------------------------------- distribution set


def test_jax_with_a_distribution_set_names_it() -> None:
    devices, smi = h100s(4)
    distribution = {
        "class_name": "DataParallel",
        "devices": [f"gpu:{i}" for i in range(4)],
        "mesh_shape": [4],
        "axis_names": ["batch"],
        "processes": 1,
    }
    probe = env.StaticProbe(
        backend="jax", jax_devices=devices, nvidia_smi_output=smi, distribution=distribution
    )
    report = env.report(probe=probe)
    assert dict(report.rows())["분산 설정"].split("\n") == [
        "DataParallel(장치 4개)",
        "kerasguide.fit 과 Model.fit 이 장치 4개에 나눠 훈련한다.",
    ]
    assert report.distribution == env.DistributionInfo(
        "DataParallel", ("gpu:0", "gpu:1", "gpu:2", "gpu:3"), 4, (4,), ("batch",), 1
    )
    assert not report.distribution.unused_devices
    assert not any("DataParallel" in text for text in report.advice)
    data = report.to_dict()["distribution"]
    assert data["class_name"] == "DataParallel" and data["mesh_shape"] == [4]
    assert data["description"] == "DataParallel(장치 4개)"


def test_a_distribution_on_some_devices_and_processes_says_how_many() -> None:
    devices, smi = h100s(4)
    distribution = {
        "class_name": "ModelParallel",
        "devices": ["gpu:0", "gpu:1"],
        "mesh_shape": [1, 2],
        "axis_names": ["batch", "model"],
        "processes": 2,
    }
    probe = env.StaticProbe(
        backend="jax", jax_devices=devices, nvidia_smi_output=smi, distribution=distribution
    )
    value = dict(env.report(probe=probe).rows())["분산 설정"]
    assert value.split("\n") == [
        "ModelParallel(장치 2개, 프로세스 2개)",
        "kerasguide.fit 과 Model.fit 이 장치 2개에 나눠 훈련한다 (JAX 가 보는 장치는 4개).",
    ]


@pytest.mark.backend("jax")
def test_system_probe_reads_keras_distribution_on_jax() -> None:
    import keras

    probe = env.SystemProbe()
    previous = keras.distribution.distribution()  # a global setting: put it back afterwards
    keras.distribution.set_distribution(None)
    try:
        assert probe.keras_distribution() is None
        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        assert probe.keras_distribution() == {
            "class_name": "DataParallel",
            "devices": devices,
            "mesh_shape": [len(devices)],
            "axis_names": ["batch"],
            "processes": 1,
        }
    finally:
        keras.distribution.set_distribution(previous)


@pytest.mark.backend("tensorflow")
def test_system_probe_reads_no_keras_distribution_on_tensorflow() -> None:
    assert env.SystemProbe().keras_distribution() is None


# --------------------------------------------------------------------------- JAX sees no GPU


def test_jax_without_gpu_says_so_even_where_tensorflow_has_one() -> None:
    # TensorFlow sees an old GPU, JAX only the CPU: the rows and the advice follow JAX.
    probe = env.StaticProbe(
        backend="jax",
        jax_devices=["cpu:0 cpu"],
        gpus={GPU0: P100},
        nvidia_smi_output="0, Tesla P100-PCIE-16GB, 16384, 550.54.15\n",
    )
    report = env.report(probe=probe)
    rows = dict(report.rows())
    assert rows["GPU"] == "없음" and "GPU 0" not in rows
    assert any(text.startswith("JAX 가 GPU를 찾지 못했다") for text in report.advice)
    assert any("jax[cuda12]" in text for text in report.advice)
    assert not any("텐서플로가 GPU를" in text for text in report.advice)
    # The P100's compute capability (TensorFlow's) is about a GPU the table does not show.
    assert not any("연산 능력" in text for text in report.advice)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"environ": {"JAX_PLATFORMS": "cpu"}, "nvidia_smi_output": SMI_T4}, "JAX_PLATFORMS=cpu"),
        (
            {"environ": {"CUDA_VISIBLE_DEVICES": "-1"}, "nvidia_smi_output": SMI_T4},
            "JAX 에게서 GPU를 감추고",
        ),
        (
            {"environ": {"COLAB_RELEASE_TAG": "x"}, "nvidia_smi_output": SMI_T4},
            "코랩 런타임에는 GPU가 있지만 JAX 가",
        ),
        ({"environ": {"COLAB_RELEASE_TAG": "x"}}, "[런타임 유형 변경]"),
        ({"system": "Windows"}, "WSL2"),
        ({"system": "Darwin"}, "macOS에서는 CUDA"),
        ({"environ": {"WSL_DISTRO_NAME": "Ubuntu"}}, "윈도우 쪽에"),
        ({"nvidia_smi_output": SMI_T4}, "CPU만 본다"),
    ],
)
def test_jax_no_gpu_advice_names_the_cause(settings: dict[str, object], expected: str) -> None:
    probe = env.StaticProbe(backend="jax", jax_devices=["cpu:0 cpu"], **settings)  # type: ignore[arg-type]
    advice = env.report(probe=probe).advice
    assert any(expected in text for text in advice), advice
    assert not any("tensorflow[and-cuda]" in text for text in advice)


# --------------------------------------------------------------------------- TensorFlow unchanged


def test_tensorflow_backend_report_is_unchanged() -> None:
    # JAX facts in the probe do not leak into a TensorFlow report.
    devices, _ = h100s(2)
    probe = env.StaticProbe(
        jax="0.10.2",
        jax_devices=devices,
        distribution={"class_name": "DataParallel", "devices": ["gpu:0", "gpu:1"]},
        gpus={GPU0: T4, GPU1: T4},
        nvidia_smi_output=SMI_T4 + "1, Tesla T4, 15360, 550.54.15\n",
    )
    report = env.report(probe=probe)
    assert labels(report) == [
        "파이썬",
        "텐서플로",
        "케라스",
        "케라스 백엔드",
        "JAX",
        "CUDA 빌드",
        "실행 환경",
        "NVIDIA 드라이버",
        "GPU 0",
        "GPU 1",
        "TPU",
        "분산 전략",
    ]
    rows = dict(report.rows())
    assert rows["GPU 0"] == "Tesla T4, 연산 능력 7.5, 메모리 15360 MiB"
    assert rows["분산 전략"] == (
        "MirroredStrategy(['/gpu:0', '/gpu:1'])\nGPU 2개에 모델을 복제해 배치를 나눠 계산한다."
    )
    assert report.distribution is None and report.to_dict()["distribution"] is None
    assert report.jax_gpus == () and report.advice == ()


# --------------------------------------------------------------------------- memory growth


def test_memory_growth_on_jax_warns_with_jax_switches() -> None:
    probe = env.StaticProbe(backend="jax", tensorflow="2.21.0", jax_devices=["gpu:0 NVIDIA H200"])
    with pytest.warns(UserWarning, match="XLA_PYTHON_CLIENT_PREALLOCATE=false") as caught:
        assert env.enable_memory_growth(probe=probe) == []
    ours = next(w for w in caught if "XLA_PYTHON_CLIENT_PREALLOCATE" in str(w.message))
    message = str(ours.message)
    assert "XLA_PYTHON_CLIENT_MEM_FRACTION" in message and "XLA_CLIENT_MEM_FRACTION" in message
    assert ours.filename == __file__  # points at the caller's line
    # With TensorFlow's GPU beside JAX, TensorFlow's setting is still made (and still warned).
    both = env.StaticProbe(backend="jax", gpus={GPU0: T4})
    with pytest.warns(UserWarning, match="JAX 가 잡는 GPU"):
        assert env.enable_memory_growth(probe=both) == [GPU0]
    assert both.memory_growth == {GPU0: True}


@pytest.mark.parametrize(
    "environ",
    [{"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}, {"XLA_PYTHON_CLIENT_ALLOCATOR": "platform"}],
)
def test_memory_growth_on_jax_is_quiet_once_jax_allocates_as_needed(
    environ: dict[str, str],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert env.enable_memory_growth(probe=env.StaticProbe(backend="jax", environ=environ)) == []


def test_memory_growth_on_tensorflow_does_not_warn() -> None:
    probe = env.StaticProbe(gpus={GPU0: T4})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert env.enable_memory_growth(probe=probe) == [GPU0]
