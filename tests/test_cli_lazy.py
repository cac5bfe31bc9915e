"""`partnership` imports only the command it runs (issue 15: a read pays for its own imports, not
for every command's). Checked by what a run has imported when it ends, never by timing it: each
run here is `starter.main()` in an interpreter of its own, which then reports its `sys.modules`.
Nothing here reaches a server (the address points at a closed port)."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from temporalio.workflow import _QueryDefinition, _UpdateDefinition

import starter
from cli import calls
from models import names
from workflows.registry import WORKFLOW_TYPES

ROOT = Path(__file__).resolve().parent.parent

#: What the everyday reads and filings must not import: the workflows (their handlers are named in
#: cli/calls.py), the web console, another command's module.
NOT_FOR_EVERYDAY = {"workflows", "console", "uvicorn", "jinja2", "cli.forum", "cli.consult", "cli.keys"}

#: `partnership *argv` as the installed script runs it, then the modules it imported, into a file.
RUN = """
import json, os, sys
import starter
sys.argv[0] = "partnership"  # the name completion and usage lines go by
def report():
    with open(os.environ["MODULES_TO"], "w") as f:
        json.dump(sorted(sys.modules), f)
os._exit = lambda code, _exit=os._exit: (report(), _exit(code))
starter.main()
"""


def imported(args: list[str], tmp_path: Path, extra_env: dict[str, str] | None = None) -> set[str]:
    """The modules `partnership *args` imports; the run must succeed (a help, a version, a list)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "PARTNERSHIP_", "DATABASE_"))}
    report = tmp_path / "modules.json"
    env |= {"TEMPORAL_ADDRESS": "127.0.0.1:1", "PARTNERSHIP_DATA_DIR": str(tmp_path), "MODULES_TO": str(report)}
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args],
        env=env | (extra_env or {}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(report.read_text()))


def test_version_and_the_command_list_import_no_command(tmp_path: Path):
    for args in (["--version"], ["--help"]):
        modules = imported(args, tmp_path)
        assert not {m for m in modules if m.split(".")[0] in ("cli", "console", "workflows", "models")}, args
        assert not modules & {"temporalio", "pydantic", "sqlalchemy", "sqlmodel"}, args


def test_completing_a_command_name_imports_no_command(tmp_path: Path):
    completing = {"_PARTNERSHIP_COMPLETE": "complete_bash", "COMP_WORDS": "partnership fo", "COMP_CWORD": "1"}
    modules = imported([], tmp_path, completing)
    assert not {m for m in modules if m.split(".")[0] in ("cli", "console", "workflows")}


def test_the_listed_short_help_is_each_commands_own():
    """COMMANDS carries each command's short help so that listing imports nothing; it must say
    what the command's own help says first."""
    starter.load_all()
    for name, entry in starter.COMMANDS.items():
        own = inspect.cleandoc(starter.loaded(name).help or "").split("\n\n")[0]
        assert entry.help == " ".join(own.split()), name


def test_the_garbage_collector_is_on_again_once_a_command_is_imported():
    """It is paused while a command's modules are imported (starter.no_collection); `up`, `worker`
    and `console` then run for months and need it."""
    import gc

    assert gc.isenabled()
    with starter.no_collection():
        assert not gc.isenabled()
    assert gc.isenabled()


def unwanted(modules: set[str], names: set[str]) -> set[str]:
    return {m for m in modules for n in names if m == n or m.startswith(n + ".")}


@pytest.mark.parametrize(
    ("args", "own"),
    [
        (["status", "--help"], "cli.status"),
        (["text", "--help"], "cli.status"),
        (["inbox", "--help"], "cli.inbox"),
    ],
)
def test_an_everyday_command_imports_its_own_module_and_no_workflow(args: list[str], own: str, tmp_path: Path):
    modules = imported(args, tmp_path)
    assert own in modules
    assert unwanted(modules, NOT_FOR_EVERYDAY) == set()


#: The models of the Partnership's other business: a joint action's commands read and file without them.
NOT_FOR_ACTIONS = {"models.partnership", "models.forum", "models.amendment", "models.consultation", "models.checkpoint"}


@pytest.mark.parametrize("command", ["list", "propose"])
def test_a_joint_actions_command_imports_no_other_business_models(command: str, tmp_path: Path):
    """cli/calls.py names result types by module, imported when used (issue 15). An everyday
    command too: no workflow, no other command's module."""
    modules = imported(["action", command, "--help"], tmp_path)
    assert {"cli.action", "models.joint_action"} <= modules
    assert unwanted(modules, NOT_FOR_ACTIONS | NOT_FOR_EVERYDAY) == set()


def test_a_command_of_its_own_imports_no_other_command(tmp_path: Path):
    modules = imported(["forum", "--help"], tmp_path)
    assert {"cli.forum", "cli.forum_withdrawals"} <= modules  # the withdrawals are wired in
    assert unwanted(modules, {"cli.action", "cli.consult", "console", "cli.stack"}) == set()


def test_each_named_handler_is_its_workflows_own():
    """A handler in cli/calls.py sends the name the workflow's handler has and decodes into the
    type it returns: renaming either side, or changing a result type, fails here."""
    for table, (module, cls_name) in calls.WORKFLOWS.items():
        workflow_cls = getattr(importlib.import_module(module), cls_name)
        for attribute, handler in vars(table).items():
            if not isinstance(handler, calls.Handler):
                continue
            method = getattr(workflow_cls, attribute)
            if isinstance(handler, calls.Query):
                defn = _QueryDefinition.from_fn(method)
                assert defn is not None, f"{cls_name}.{attribute} is not a query"
                name, result = defn.name, defn.ret_type
            else:
                assert _QueryDefinition.from_fn(method) is None, f"{cls_name}.{attribute} is a query"
                name, result = _UpdateDefinition.get_name_and_result_type(method)
            assert (handler.name, handler.result) == (name, result), f"{cls_name}.{attribute}"
            assert typing.get_type_hints(method)["return"] == handler.result


def test_the_governed_types_a_command_names_are_the_registrys():
    assert names.GOVERNED_TYPES == tuple(t.name for t in WORKFLOW_TYPES if t.governed)
    assert names.PARTNERSHIP_ID == importlib.import_module("workflows.partnership").PARTNERSHIP_ID


class CountingHandle:
    """A Partnership handle that answers the key-ring query and counts how often it was asked."""

    id = names.PARTNERSHIP_ID

    def __init__(self) -> None:
        self.asked = 0

    async def query(self, name: str, result_type: object = None) -> object:
        assert name == "key_ring"
        self.asked += 1
        return object()


async def test_a_command_checks_the_registry_once_and_the_console_every_time(monkeypatch):
    from cli import common

    monkeypatch.setattr(common, "registry_problem", lambda ring: None)
    monkeypatch.setattr(common, "_keep_connection", False)
    common.forget_registry_check()  # whatever an earlier test in this process checked
    handle = CountingHandle()
    for _ in range(3):  # one command's reads
        await common.check_registry(handle)
    assert handle.asked == 1
    common.forget_connection()  # the command ends; the next one checks again
    await common.check_registry(handle)
    assert handle.asked == 2
    common.forget_connection()

    monkeypatch.setattr(common, "_keep_connection", True)  # the console: each request checks
    for _ in range(3):
        await common.check_registry(handle)
    assert handle.asked == 5


class SlowHandle(CountingHandle):
    """One whose answer takes a moment, so that reads sent together are under way at once."""

    async def query(self, name: str, result_type: object = None) -> object:
        import asyncio

        await asyncio.sleep(0.05)
        return await super().query(name, result_type)


@pytest.mark.timeout(30)
async def test_reads_sent_together_wait_for_one_registry_check(monkeypatch):
    from cli import common

    monkeypatch.setattr(common, "registry_problem", lambda ring: None)
    monkeypatch.setattr(common, "_keep_connection", False)
    common.forget_registry_check()
    handle = SlowHandle()
    await common.together(*(common.check_registry(handle) for _ in range(3)))
    assert handle.asked == 1
    common.forget_connection()


@pytest.mark.timeout(30)
async def test_reads_sent_together_answer_in_order_and_a_failure_calls_off_the_later_ones():
    import asyncio

    from cli import common

    async def answer(value: int, after: float) -> int:
        await asyncio.sleep(after)
        return value

    assert await common.together(answer(1, 0.05), answer(2, 0)) == [1, 2]

    called_off = asyncio.Event()

    async def refused() -> None:
        raise common.Refused("the first read's refusal")

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            called_off.set()
            raise

    with pytest.raises(common.Refused, match="the first read's refusal"):
        await common.together(refused(), slow())
    assert called_off.is_set()

    # Both fail (no server): the second failure is taken too, never printed as "Task exception
    # was never retrieved" above the command's one line.
    unretrieved: list[dict] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: unretrieved.append(context))

    async def unreachable() -> None:
        raise common.Unreachable("no answer")

    with pytest.raises(common.Refused):
        await common.together(answer(None, 0.05), refused(), unreachable())
    import gc

    gc.collect()
    await asyncio.sleep(0)
    assert unretrieved == []


@pytest.mark.timeout(30)
async def test_concurrent_reads_of_a_command_share_one_connection(monkeypatch):
    """`status` reads while its health check asks: both wait for the one connection the first
    started. A connection that failed is not kept: the next call connects again."""
    import asyncio

    from cli import common

    made: list[object] = []
    failing = [True]

    async def connect() -> object:
        await asyncio.sleep(0.05)
        if failing[0]:
            failing[0] = False
            raise common.Unreachable("no answer")
        made.append(object())
        return made[-1]

    monkeypatch.setattr(common, "connect", connect)
    monkeypatch.setattr(common, "_connected", [])
    monkeypatch.setattr(common, "_keep_connection", False)
    with pytest.raises(common.Unreachable):
        await common.client()
    failing[0] = True
    abandoned = asyncio.create_task(common.client())
    await asyncio.sleep(0)
    abandoned.cancel()  # its connection fails later, with nobody waiting for it: not kept either
    await asyncio.sleep(0.1)
    first, second = await asyncio.gather(common.client(), common.client())
    assert first is second and made == [first]
    reading = asyncio.create_task(common.client())
    await asyncio.sleep(0)
    reading.cancel()  # one reader called off: the connection stays for the others
    assert await common.client() is first and len(made) == 1
    common.forget_connection()


def test_an_office_without_a_register_reads_without_the_database_layer(tmp_path: Path):
    """An office that only files has no register.db: status's and the lists' register reads say
    what an empty register would, and SQLAlchemy is never imported."""
    code = """
import sys
from cli.archive import archive_json, archive_line
from cli.common import closed_in_register
from cli.register_reads import effects_set_aside, stored_text
from models.amendment import AmendmentSummary
print(archive_line(), archive_json(), effects_set_aside(), stored_text("ab"))
print(closed_in_register("amendment", AmendmentSummary))
print(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "sqlmodel")))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "PARTNERSHIP_", "DATABASE_"))}
    env |= {"PARTNERSHIP_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        f"archive: not readable here (no register at {tmp_path / 'register.db'}; DATABASE_URL reaches the "
        "secretariat's) None [] None",
        "[]",
        "[]",
    ]
