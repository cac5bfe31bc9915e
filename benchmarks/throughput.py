"""Throughput: a mixed governance load (joint-action lifecycles, amendments, termination notices)
against bare workflows of identical shape (benchmarks/bare.py), on the same server in the same run.
Target: ratio >= 0.9. Run on the embedded persistent server (SQLite file) and on an in-memory one.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PARTNERSHIP_DATA_DIR", tempfile.mkdtemp(prefix="bench-"))

from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from benchmarks.bare import BareChild, BareParent, ChildShape, Step  # noqa: E402
from benchmarks.common import median, write  # noqa: E402
from engine.bootstrap import bootstrap  # noqa: E402
from engine.keys import init_keys  # noqa: E402
from models.amendment import AmendmentConsent, AmendmentProposal  # noqa: E402
from models.identities import Identity  # noqa: E402
from models.joint_action import ActionAgreement, ActionClosure, JointActionProposal, Progress, ProgressReport  # noqa: E402
from models.partnership import TerminationNotice  # noqa: E402
from models.search import ALL  # noqa: E402
from tests.helpers import signed, withdrawal  # noqa: E402
from worker import build_worker  # noqa: E402
from workflows.amendment import AmendmentWorkflow  # noqa: E402
from workflows.joint_action import JointActionWorkflow  # noqa: E402
from workflows.partnership import PartnershipWorkflow  # noqa: E402

ACTIONS, AMENDMENTS, NOTICES, RUNS = 24, 8, 4, 5
BIN = Path(sys.executable).parent


async def governance(client, task_queue: str) -> float:
    wid = f"partnership-{uuid.uuid4().hex[:8]}"
    await bootstrap(client, task_queue, wid, schedule=False)
    partnership = client.get_workflow_handle(wid)
    await asyncio.sleep(0.5)

    async def action(n: int) -> None:
        receipt = await partnership.execute_update(
            PartnershipWorkflow.propose_joint_action,
            signed(JointActionProposal(filed_by=Identity.UK, ref="16c", title=f"Round {n}"), to=partnership),
        )
        handle, ident = client.get_workflow_handle(receipt.action_id), receipt.action_id
        await handle.execute_update(
            JointActionWorkflow.agree, signed(ActionAgreement(filed_by=Identity.ROK, action_id=ident))
        )
        await handle.execute_update(
            JointActionWorkflow.report,
            signed(ProgressReport(filed_by=Identity.UK, action_id=ident, status=Progress.ON_TRACK, percent=50)),
        )
        for side in (Identity.UK, Identity.ROK):
            await handle.execute_update(
                JointActionWorkflow.close, signed(ActionClosure(filed_by=side, action_id=ident, outcome="complete"))
            )
        await handle.result()

    async def amendment(n: int) -> None:
        receipt = await partnership.execute_update(
            PartnershipWorkflow.propose_amendment,
            signed(AmendmentProposal(filed_by=Identity.ROK, paragraphs=[n % 33 + 1], text=f"Text {n}"), to=partnership),
        )
        handle = client.get_workflow_handle(receipt.amendment_id)
        await handle.execute_update(
            AmendmentWorkflow.consent, signed(AmendmentConsent(filed_by=Identity.UK, amendment_id=receipt.amendment_id))
        )
        await handle.result()

    async def notices() -> None:
        for _ in range(NOTICES):
            await partnership.execute_update(
                PartnershipWorkflow.give_termination_notice,
                signed(TerminationNotice(filed_by=Identity.UK), to=partnership),
            )
            await partnership.execute_update(
                PartnershipWorkflow.withdraw_termination_notice,
                signed(await withdrawal(partnership, Identity.UK), to=partnership),
            )

    start = time.perf_counter()
    await asyncio.gather(*(action(n) for n in range(ACTIONS)), *(amendment(n) for n in range(AMENDMENTS)), notices())
    while await partnership.query(PartnershipWorkflow.pending_effects):
        await asyncio.sleep(0.02)
    return time.perf_counter() - start


async def bare(client, task_queue: str) -> float:
    pid = f"bare-{uuid.uuid4().hex[:8]}"
    parent = await client.start_workflow(BareParent.run, id=pid, task_queue=task_queue)
    await asyncio.sleep(0.5)

    async def child(shape: ChildShape, updates: int) -> None:
        await parent.execute_update(BareParent.start_child, shape)
        handle = client.get_workflow_handle(shape.id)
        for n in range(updates):
            await handle.execute_update(BareChild.step, n)
        await handle.result()

    def action_shape(n: int) -> ChildShape:
        both = ["record", "notify"]
        steps = [
            Step(activities=both, signal=True),
            Step(signal=True),
            Step(signal=True),
            Step(activities=both, signal=True),
        ]
        return ChildShape(id=f"{pid}-action-{n}", parent=pid, start=["notify"], steps=steps)

    def amendment_shape(n: int) -> ChildShape:
        return ChildShape(
            id=f"{pid}-amendment-{n}/effects", parent=pid, start=["notify"], steps=[Step(signal=True)], end_signals=1
        )

    async def notices() -> None:
        for n in range(NOTICES * 2):
            await parent.execute_update(BareParent.touch, f"{pid}/notice/{n}")

    start = time.perf_counter()
    await asyncio.gather(
        *(child(action_shape(n), 4) for n in range(ACTIONS)),
        *(child(amendment_shape(n), 1) for n in range(AMENDMENTS)),
        notices(),
    )
    while await parent.query(BareParent.pending):
        await asyncio.sleep(0.02)
    await parent.terminate()
    return time.perf_counter() - start


async def measure(env: WorkflowEnvironment) -> dict[str, float]:
    task_queue = f"bench-{uuid.uuid4()}"
    worker = build_worker(
        env.client,
        task_queue,
        cold=False,
        extra_workflows=[BareParent, BareChild],
        max_concurrent_activities=64,
        activity_executor=ThreadPoolExecutor(max_workers=64),
    )
    governed, bared = [], []
    async with worker:
        await governance(env.client, task_queue)  # warm-up
        for _ in range(RUNS):
            bared.append(await bare(env.client, task_queue))
            governed.append(await governance(env.client, task_queue))
    workflows = ACTIONS + AMENDMENTS
    gov, base = workflows / median(governed), workflows / median(bared)
    return {
        "governance_workflows_per_s": round(gov, 2),
        "bare_workflows_per_s": round(base, 2),
        "ratio": round(gov / base, 3),
    }


async def main() -> None:
    init_keys()
    figures = {}
    db = Path(tempfile.mkdtemp(prefix="bench-db-")) / "temporal.db"
    for name, extra in (("embedded_sqlite_file", {"dev_server_database_filename": str(db)}), ("in_memory", {})):
        async with await WorkflowEnvironment.start_local(
            data_converter=pydantic_data_converter,
            dev_server_existing_path=str(BIN / "temporal"),
            search_attributes=ALL,
            **extra,
        ) as env:
            figures[name] = await measure(env)
    figures["load"] = {
        "joint_action_lifecycles": ACTIONS,
        "amendments": AMENDMENTS,
        "notice_pairs": NOTICES,
        "runs": RUNS,
    }
    rows = []
    for name in ("embedded_sqlite_file", "in_memory"):
        f = figures[name]
        rows += [
            (f"{name}: governance", f"{f['governance_workflows_per_s']} workflows/s"),
            (f"{name}: bare, same shape", f"{f['bare_workflows_per_s']} workflows/s"),
            (f"{name}: ratio (target ≥ 0.9)", f"{f['ratio']}"),
        ]
    write("throughput", "Throughput: governance load vs bare workflows of identical shape (median of 5)", figures, rows)


if __name__ == "__main__":
    asyncio.run(main())
