"""`audit replay` against the SDK's own sandboxed Replayer, on the same histories, in one run.

Target (issue: Auditors): at least 2x the Replayer's throughput on 2 cores, with the same
strictness: one deliberately broken history is among them and both must catch it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.history import load  # noqa: E402
from audit.replay import replay  # noqa: E402
from benchmarks.common import median, write  # noqa: E402
from worker import workflow_runner  # noqa: E402
from workflows.registry import WORKFLOWS  # noqa: E402

HISTORIES = Path(__file__).resolve().parent.parent / "tests" / "histories"
COPIES = 40  # a decade of records: some hundreds of histories (x the golden files)
RUNS = 3


def corpus() -> tuple[list[WorkflowHistory], str]:
    golden = load([HISTORIES])
    broken = json.loads((HISTORIES / "partnership-signed.json").read_text())
    scheduled = [e for e in broken["events"] if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"]
    scheduled[0]["activityTaskScheduledEventAttributes"]["activityType"]["name"] = "tampered"
    bad = WorkflowHistory.from_json("partnership-signed", broken)
    return golden * COPIES + [bad], bad.run_id


async def sdk_replayer(histories: list[WorkflowHistory]) -> tuple[float, int]:
    async def feed():
        for h in histories:
            yield h

    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=workflow_runner(strict=True)
    )
    start = time.perf_counter()
    results = await replayer.replay_workflows(feed(), raise_on_replay_failure=False)
    return time.perf_counter() - start, len(results.replay_failures)


async def audit_replay(histories: list[WorkflowHistory]) -> tuple[float, int]:
    start = time.perf_counter()
    outcomes = await replay(histories)
    return time.perf_counter() - start, sum(not o.ok for o in outcomes)


async def main() -> None:
    histories, _ = corpus()
    sdk_times, ours_times = [], []
    for _ in range(RUNS):
        seconds, failures = await sdk_replayer(histories)
        assert failures == 1, f"the SDK Replayer caught {failures} broken histories, expected 1"
        sdk_times.append(seconds)
        seconds, failures = await audit_replay(histories)
        assert failures == 1, f"audit replay caught {failures} broken histories, expected 1"
        ours_times.append(seconds)
    n = len(histories)
    sdk, ours = n / median(sdk_times), n / median(ours_times)
    figures = {
        "histories": n,
        "events": sum(len(h.events) for h in histories),
        "sdk_replayer_histories_per_s": round(sdk, 1),
        "audit_replay_histories_per_s": round(ours, 1),
        "ratio": round(ours / sdk, 2),
        "target_ratio": 2.0,
        "broken_history_caught_by_both": True,
        "runs": RUNS,
    }
    write(
        "replay",
        "Replay: `audit replay` vs the SDK's sandboxed Replayer",
        figures,
        [
            ("histories (one broken)", str(n)),
            ("SDK Replayer, sandboxed (median of 3)", f"{sdk:.1f} histories/s"),
            ("`audit replay` (median of 3)", f"{ours:.1f} histories/s"),
            ("ratio (target ≥ 2)", f"{ours / sdk:.2f}×"),
            ("broken history caught", "by both"),
        ],
    )


if __name__ == "__main__":
    asyncio.run(main())
