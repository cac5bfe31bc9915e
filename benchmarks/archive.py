"""The archive (issue 14): archiving 1,000 closed histories (completed joint actions, each its
full lifecycle), then `audit verify` over them from the archive alone. Reports histories per
second for each, and the archive's bytes per history (compressed, and the history's own size).
Not a test: `make bench` runs it; results go to benchmarks/results/archive.{md,json}.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PARTNERSHIP_DATA_DIR", tempfile.mkdtemp(prefix="bench-archive-"))
os.environ["PARTNERSHIP_ARCHIVE_EVERY"] = "off"  # passes are run and timed here

from sqlmodel import Session, func, select  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from activities.archive import archive_engine  # noqa: E402
from audit.archive import summary  # noqa: E402
from audit.verify import verify  # noqa: E402
from benchmarks.common import write  # noqa: E402
from engine.archive import archive_now  # noqa: E402
from engine.bootstrap import bootstrap  # noqa: E402
from engine.keys import init_keys  # noqa: E402
from models.archive import ArchivedHistory  # noqa: E402
from models.identities import Identity  # noqa: E402
from models.joint_action import ActionAgreement, ActionClosure, JointActionProposal  # noqa: E402
from models.search import ALL  # noqa: E402
from tests.helpers import signed  # noqa: E402
from worker import build_worker  # noqa: E402
from workflows.joint_action import JointActionWorkflow  # noqa: E402
from workflows.partnership import PartnershipWorkflow  # noqa: E402

HISTORIES = int(os.environ.get("BENCH_ARCHIVE_HISTORIES", "1000"))
AT_ONCE = 8
#: Actions are proposed on several Partnerships: one alone would spend the run on its own history.
PARTNERSHIPS = 10
BIN = Path(sys.executable).parent


async def completed_actions(client, partnerships, count: int) -> None:
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(n: int) -> None:
        async with gate:
            receipt = await partnerships[n % len(partnerships)].execute_update(
                PartnershipWorkflow.propose_joint_action,
                signed(JointActionProposal(filed_by=Identity.UK, ref="16c", title=f"Round {n}")),
            )
            action = client.get_workflow_handle(receipt.action_id)
            await action.execute_update(
                JointActionWorkflow.agree, signed(ActionAgreement(filed_by=Identity.ROK, action_id=action.id))
            )
            for side in (Identity.UK, Identity.ROK):
                await action.execute_update(
                    JointActionWorkflow.close,
                    signed(ActionClosure(filed_by=side, action_id=action.id, outcome="complete")),
                )
            await action.result()

    await asyncio.gather(*(one(n) for n in range(count)))


async def main() -> None:
    init_keys()
    async with await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter, dev_server_existing_path=str(BIN / "temporal"), search_attributes=ALL
    ) as env:
        task_queue = f"bench-{uuid.uuid4()}"
        async with build_worker(env.client, task_queue):
            partnerships = []
            for _ in range(PARTNERSHIPS):
                wid = f"partnership-{uuid.uuid4().hex[:8]}"
                await bootstrap(env.client, task_queue, wid, schedule=False)
                partnerships.append(env.client.get_workflow_handle(wid))
            started = time.perf_counter()
            await completed_actions(env.client, partnerships, HISTORIES)
            made = time.perf_counter() - started
            started = time.perf_counter()
            outcome = await archive_now(env.client, task_queue)
            archiving = time.perf_counter() - started
    engine = archive_engine()
    with Session(engine) as session:
        size = session.exec(select(func.sum(ArchivedHistory.size))).one()
        events = session.exec(select(func.sum(ArchivedHistory.events))).one()
    stored = summary(engine)
    started = time.perf_counter()
    report = await verify(None, engine, from_archive=True)
    verifying = time.perf_counter() - started
    assert report.ok, report.problems[:5]
    figures = {
        "histories": stored.histories,
        "archived_in_pass": outcome.archived,
        "batches": outcome.batches,
        "made_in_s": round(made, 1),
        "archive_s": round(archiving, 2),
        "archive_histories_per_s": round(outcome.archived / archiving, 1),
        "verify_from_archive_s": round(verifying, 2),
        "verify_histories_per_s": round(report.histories / verifying, 1),
        "compressed_bytes_per_history": round(stored.bytes / stored.histories),
        "history_bytes_per_history": round(size / stored.histories),
        "events_per_history": round(events / stored.histories, 1),
        "register_rows_verified": report.rows,
    }
    write(
        "archive",
        f"Archive: {stored.histories} closed histories (completed joint actions)",
        figures,
        [
            ("archiving (one pass, batches of 100)", f"{figures['archive_histories_per_s']} histories/s"),
            ("`audit verify --from-archive`", f"{figures['verify_histories_per_s']} histories/s"),
            ("archive bytes per history (zlib)", f"{figures['compressed_bytes_per_history']} B"),
            ("history bytes per history (protobuf)", f"{figures['history_bytes_per_history']} B"),
            ("events per history", str(figures["events_per_history"])),
        ],
    )


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    os._exit(0)  # as the CLI does: no interpreter finalization under Temporal's native threads
