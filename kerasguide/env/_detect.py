"""이 컴퓨터에 무엇이 있는지 알아내기: 탐침, 실행 환경, nvidia-smi, GPU."""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Mapping

from kerasguide._checks import argument_error
from kerasguide.env._model import (
    _COLAB_ENV_VARS,
    _NVIDIA_SMI_ARGS,
    GpuInfo,
    NvidiaGpu,
    NvidiaSmiInfo,
    Runtime,
    take_smi_memory,
)
from kerasguide.env._probe import EnvProbe, SystemProbe


def _resolve_probe(probe: EnvProbe | None) -> EnvProbe:
    if probe is None:
        return SystemProbe()
    if not isinstance(probe, EnvProbe):
        raise argument_error(
            "probe",
            probe,
            "EnvProbe 프로토콜을 따르는 객체(SystemProbe, StaticProbe 등)나 None 이어야 한다",
            error=TypeError,
        )
    return probe


def _optional_str(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _detect_runtime(system: str, proc_version: str | None, environ: Mapping[str, str]) -> Runtime:
    """운영체제 이름, ``/proc/version``, 환경 변수로 실행 환경을 판단한다."""
    if any(name in environ for name in _COLAB_ENV_VARS):
        return "colab"
    if system == "Linux":
        if "WSL_DISTRO_NAME" in environ or "microsoft" in (proc_version or "").lower():
            return "wsl"
        return "linux"
    if system == "Darwin":
        return "macos"
    if system == "Windows":
        return "windows"
    return "other"


def _query_nvidia_smi(probe: EnvProbe) -> NvidiaSmiInfo:
    try:
        output = probe.nvidia_smi(_NVIDIA_SMI_ARGS)
    except FileNotFoundError:
        return NvidiaSmiInfo(status="missing")
    except subprocess.TimeoutExpired as err:
        return NvidiaSmiInfo(
            status="timeout", message=f"nvidia-smi 가 {err.timeout:g}초 안에 끝나지 않았다"
        )
    except subprocess.CalledProcessError as err:
        detail = _first_line(err.stderr) or _first_line(err.output)
        message = f"nvidia-smi 가 종료 코드 {err.returncode}로 끝났다"
        return NvidiaSmiInfo(status="failed", message=f"{message}: {detail}" if detail else message)
    except OSError as err:
        return NvidiaSmiInfo(status="failed", message=f"nvidia-smi 를 실행하지 못했다: {err}")
    return _parse_nvidia_smi(output)


def _first_line(text: object) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return ""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:160]
    return ""


def _parse_nvidia_smi(output: str) -> NvidiaSmiInfo:
    gpus: list[NvidiaGpu] = []
    drivers: list[str] = []
    for row in csv.reader(io.StringIO(output), skipinitialspace=True):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 4 or not row[0].strip().isdigit():
            return NvidiaSmiInfo(
                status="failed",
                message=f"nvidia-smi 출력을 읽지 못했다: {', '.join(row)[:160]!r}",
            )
        index, name, memory, driver = (cell.strip() for cell in row)
        gpus.append(
            NvidiaGpu(
                index=int(index), name=name, memory_mb=int(memory) if memory.isdigit() else None
            )
        )
        drivers.append(driver)
    return NvidiaSmiInfo(
        status="ok", driver_version=drivers[0] if drivers else None, gpus=tuple(gpus)
    )


def _gpu_infos(probe: EnvProbe, smi: NvidiaSmiInfo) -> tuple[GpuInfo, ...]:
    unmatched = list(smi.gpus)
    infos: list[GpuInfo] = []
    for name in probe.physical_devices("GPU"):
        try:
            details = probe.device_details(name)
        except (ValueError, RuntimeError):
            details = {}
        device_name = _optional_str(details.get("device_name"))
        capability = details.get("compute_capability")
        compute_capability: tuple[int, int] | None = None
        if isinstance(capability, tuple | list) and len(capability) == 2:
            compute_capability = (int(capability[0]), int(capability[1]))
        memory_mb = take_smi_memory(unmatched, device_name)
        infos.append(GpuInfo(name, device_name, compute_capability, memory_mb))
    return tuple(infos)
