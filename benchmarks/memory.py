"""Memory: the RSS of a worker process holding 1,000 open joint actions (target < 300 MiB).

The worker is `python worker.py` in its own process, as in production; the actions are proposed
through the Partnership and agreed, so each is ACTIVE with its report timer running and sits in
the worker's workflow cache.
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
os.environ.setdefault("PARTNERSHIP_DATA_DIR", tempfile.mkdtemp(prefix="bench-memory-"))

from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from benchmarks.common import median, write  # noqa: E402
from engine.bootstrap import bootstrap  # noqa: E402
from engine.keys import init_keys  # noqa: E402
from models.identities import Identity  # noqa: E402
from models.joint_action import ActionAgreement, JointActionProposal  # noqa: E402
from models.search import ALL  # noqa: E402
from tests.helpers import signed  # noqa: E402
from workflows.joint_action import JointActionWorkflow  # noqa: E402
from workflows.partnership import PartnershipWorkflow  # noqa: E402

ACTIONS, CONCURRENCY, SAMPLES = 1000, 25, 5
BIN = Path(sys.executable).parent


def rss_mib(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def main() -> None:
    init_keys()
    async with await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter, dev_server_existing_path=str(BIN / "temporal"), search_attributes=ALL
    ) as env:
        task_queue = f"memory-{uuid.uuid4()}"
        worker_env = os.environ | {
            "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "PARTNERSHIP_TASK_QUEUE": task_queue,
            "LOG_FORMAT": "json",
        }
        log = open(Path(os.environ["PARTNERSHIP_DATA_DIR"]) / "worker.log", "w")  # noqa: SIM115
        worker = subprocess.Popen(
            [sys.executable, ROOT / "worker.py"], env=worker_env, cwd=ROOT, stdout=log, stderr=log
        )
        try:
            await asyncio.sleep(3)  # imports done
            idle = rss_mib(worker.pid)[0]
            await bootstrap(env.client, task_queue, "partnership", schedule=False)
            partnership = env.client.get_workflow_handle("partnership")
            gate = asyncio.Semaphore(CONCURRENCY)
            # The server takes at most 10 Updates in flight per workflow; the Partnership is one.
            to_partnership = asyncio.Semaphore(8)

            async def open_action(n: int) -> None:
                async with gate:
                    async with to_partnership:
                        receipt = await partnership.execute_update(
                            PartnershipWorkflow.propose_joint_action,
                            signed(
                                JointActionProposal(filed_by=Identity.UK, ref="15b", title=f"Data sharing pilot {n}")
                            ),
                        )
                    await env.client.get_workflow_handle(receipt.action_id).execute_update(
                        JointActionWorkflow.agree,
                        signed(ActionAgreement(filed_by=Identity.ROK, action_id=receipt.action_id)),
                    )

            start = time.perf_counter()
            await asyncio.gather(*(open_action(n) for n in range(ACTIONS)))
            opened_in = time.perf_counter() - start
            while True:  # let every effect land and the worker settle
                status = await partnership.query(PartnershipWorkflow.status)
                if status.joint_actions.active == ACTIONS and not await partnership.query(
                    PartnershipWorkflow.pending_effects
                ):
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(5)
            samples = []
            for _ in range(SAMPLES):
                samples.append(rss_mib(worker.pid)[0])
                await asyncio.sleep(1)
            peak = rss_mib(worker.pid)[1]
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            log.close()
    rss = median(samples)
    figures = {
        "open_joint_actions": ACTIONS,
        "worker_rss_mib": round(rss, 1),
        "worker_peak_rss_mib": round(peak, 1),
        "worker_idle_rss_mib": round(idle, 1),
        "target_mib": 300,
        "seconds_to_open": round(opened_in, 1),
    }
    write(
        "memory",
        "Memory: worker RSS with 1,000 open joint actions",
        figures,
        [
            ("open joint actions (ACTIVE, timers running)", str(ACTIONS)),
            ("worker RSS (median of 5 samples)", f"{rss:.1f} MiB"),
            ("worker peak RSS", f"{peak:.1f} MiB"),
            ("target", "< 300 MiB"),
        ],
    )


if __name__ == "__main__":
    asyncio.run(main())
