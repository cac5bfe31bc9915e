"""CLI speed: how long `partnership status`, `partnership action list` and a filing take as a user
types them, against the floor a Python command that reads one workflow cannot go below (issue 15).

The floor is `python -c "import temporalio.client"` plus one round trip, and the round trip is
what `temporal workflow query` takes for the same query (the Go CLI starts in a few milliseconds).
Target: each command within 1.5× of that floor (median of RUNS runs each).
"""

from __future__ import annotations

import asyncio
import compileall
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PARTNERSHIP_DATA_DIR", tempfile.mkdtemp(prefix="bench-cli-"))

from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from benchmarks.common import median, write  # noqa: E402
from engine.bootstrap import bootstrap  # noqa: E402
from engine.keys import init_keys  # noqa: E402
from models.search import ALL  # noqa: E402
from workflows.partnership import PARTNERSHIP_ID  # noqa: E402

RUNS, TARGET = 15, 1.5
BIN = Path(sys.executable).parent


def compiled() -> None:
    """Our modules' bytecode written, as a user's first run writes it (the floor's imports come
    compiled by pip): with PYTHONDONTWRITEBYTECODE set, as in some shells and CI, every run would
    otherwise compile the project again and the figures would measure the compiler."""
    for package in ("activities", "audit", "cli", "console", "engine", "models", "rules", "workflows"):
        compileall.compile_dir(ROOT / package, quiet=1)
    for script in ("starter.py", "worker.py"):
        compileall.compile_file(ROOT / script, quiet=1)


async def main() -> None:
    from worker import build_worker

    compiled()
    init_keys()
    async with await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter, dev_server_existing_path=str(BIN / "temporal"), search_attributes=ALL
    ) as env:
        task_queue = f"cli-{uuid.uuid4()}"
        address = env.client.service_client.config.target_host
        cli_env = os.environ | {"TEMPORAL_ADDRESS": address, "PARTNERSHIP_TASK_QUEUE": task_queue}
        async with build_worker(env.client, task_queue, cold=False):
            await bootstrap(env.client, task_queue, PARTNERSHIP_ID, schedule=False)

            def measure() -> dict[str, float]:
                partnership = [str(BIN / "partnership")]
                commands = {
                    "import_temporalio_client": lambda n: [sys.executable, "-c", "import temporalio.client"],
                    "temporal_workflow_query": lambda n: (
                        [str(BIN / "temporal"), "workflow", "query"]
                        + ["--address", address, "--workflow-id", PARTNERSHIP_ID, "--type", "status"]
                    ),
                    "partnership_status": lambda n: [*partnership, "status"],
                    "partnership_action_propose": lambda n: (
                        [*partnership, "action", "propose", "--as", "UK"]
                        + ["--ref", "9b", "--title", f"Benchmark action {n}"]
                    ),
                    "partnership_action_list": lambda n: [*partnership, "action", "list"],
                }
                # Round by round, each command once a round: a machine whose load changes while this
                # runs weighs on every figure alike, not on whichever command ran at the time. The
                # list comes after a filing, so it always prints its table, as a user's does.
                times: dict[str, list[float]] = {name: [] for name in commands}
                for n in range(RUNS):
                    for name, argv in commands.items():
                        times[name].append(seconds_once(argv(n), cli_env))
                return {name: median(values) for name, values in times.items()}

            load_before = os.getloadavg()[0]
            figures = await asyncio.to_thread(measure)
            load = f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    floor = figures["import_temporalio_client"] + figures["temporal_workflow_query"]
    ratios = {name: figures[name] / floor for name in figures if name.startswith("partnership_")}
    write(
        "cli",
        "CLI speed: a read and a filing against the import floor plus one round trip",
        {
            **{k: round(v, 3) for k, v in figures.items()},
            "floor": round(floor, 3),
            **{f"{k}_ratio": round(v, 2) for k, v in ratios.items()},
            "target_ratio": TARGET,
            "load_average_1min": load,
        },
        [
            ("`python -c 'import temporalio.client'` (median)", f"{figures['import_temporalio_client']:.3f} s"),
            ("`temporal workflow query … status` (one round trip)", f"{figures['temporal_workflow_query']:.3f} s"),
            ("floor (import + round trip)", f"{floor:.3f} s"),
            *[(f"`partnership {command(name)}`", f"{figures[name]:.3f} s ({ratios[name]:.2f}×)") for name in ratios],
            ("target", f"≤ {TARGET}× the floor"),
            ("load average (1 min) while measured", load),
        ],
    )


def command(figure: str) -> str:
    return figure.removeprefix("partnership_").replace("_", " ")


def seconds_once(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, (command, done.stderr)
    return time.perf_counter() - start


if __name__ == "__main__":
    asyncio.run(main())
