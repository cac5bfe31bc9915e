"""CLI speed: how long `partnership status`, `partnership action list` and a filing take as a user
types them, against the floor a Python command that reads one workflow cannot go below (issue 15).

The floor is `python -c "import temporalio.client"` plus one round trip, and the round trip is
what `temporal workflow query` takes for the same query (the Go CLI starts in a few milliseconds).
Target: each command within 1.5× of that floor (median of RUNS runs each).
"""

from __future__ import annotations

import asyncio
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


def seconds(command: list[str], env: dict[str, str]) -> float:
    """The median wall time of `command`, which must succeed."""
    return median([seconds_once(command, env) for _ in range(RUNS)])


async def main() -> None:
    from worker import build_worker

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
                titles = iter(f"Benchmark action {n}" for n in range(RUNS))
                filing = [*partnership, "action", "propose", "--as", "UK", "--ref", "9b", "--title"]
                return {
                    "import_temporalio_client": seconds([sys.executable, "-c", "import temporalio.client"], cli_env),
                    "temporal_workflow_query": seconds(
                        [str(BIN / "temporal"), "workflow", "query", "--address", address]
                        + ["--workflow-id", PARTNERSHIP_ID, "--type", "status"],
                        cli_env,
                    ),
                    "partnership_status": seconds([*partnership, "status"], cli_env),
                    "partnership_action_list": seconds([*partnership, "action", "list"], cli_env),
                    "partnership_action_propose": median(
                        [seconds_once([*filing, next(titles)], cli_env) for _ in range(RUNS)]
                    ),
                }

            figures = await asyncio.to_thread(measure)
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
        },
        [
            ("`python -c 'import temporalio.client'` (median)", f"{figures['import_temporalio_client']:.3f} s"),
            ("`temporal workflow query … status` (one round trip)", f"{figures['temporal_workflow_query']:.3f} s"),
            ("floor (import + round trip)", f"{floor:.3f} s"),
            *[(f"`partnership {command(name)}`", f"{figures[name]:.3f} s ({ratios[name]:.2f}×)") for name in ratios],
            ("target", f"≤ {TARGET}× the floor"),
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
