"""End to end through the real CLI: `partnership up` runs the embedded stack (dev server, worker,
bootstrap) on free ports with its own data dir; a second bootstrap changes nothing; Ctrl-C leaves
no process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_runner import Spawned, run_cli, spawn
from tests.conftest import free_port
from tests.replay_all import served_histories_replay

CLI = str(Path(sys.executable).parent / "partnership")


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`partnership *args`, a process of its own (forked from an interpreter that has the CLI
    imported: see tests/cli_runner.py)."""
    return run_cli(*args, env=env, timeout=120)


def processes_using(path: Path) -> list[str]:
    found = subprocess.run(["pgrep", "-af", str(path)], capture_output=True, text=True).stdout
    return [line for line in found.splitlines() if "pgrep" not in line]


def start_up(
    env: dict[str, str], log_path: Path, ready: str = "IN_EFFECT", script: bool = False
) -> subprocess.Popen | Spawned:
    """`partnership up` on free ports; returns once `status` shows the Partnership `ready`. A port
    free when chosen can be taken before `up` binds it (by any connection of the other workers'
    stacks: outgoing connections draw from the same range); `up` then refuses it in one line and
    the stack starts again on other ports. `up` is forked from tests/cli_runner.py's fork server,
    or with `script`, run as the installed script."""
    for _ in range(2):
        try:
            return start_up_once(env, log_path, ready, script)
        except PortTaken:
            continue
    return start_up_once(env, log_path, ready, script)


class PortTaken(AssertionError):
    pass


def start_up_once(env: dict[str, str], log_path: Path, ready: str, script: bool) -> subprocess.Popen | Spawned:
    port, ui_port = free_port(), free_port()
    logged = log_path.stat().st_size if log_path.exists() else 0
    # No console: the browser tests' stack serves one; here it was only a server to start.
    args = ["up", "--port", str(port), "--ui-port", str(ui_port), "--console-port", "0"]
    if script:
        with log_path.open("a") as log:
            up = subprocess.Popen([CLI, *args], env=env, stdout=log, stderr=log)
    else:
        up = spawn(args, env, log_path)
    deadline = time.monotonic() + 90
    # `up` says on stderr when it has bootstrapped (after writing its address: before that the CLI
    # would fall back to localhost:7233, which may be a developer's own `make run`, a server this
    # test did not start). Watching its log costs nothing; asking `status` every half second while
    # the stack boots cost a fresh interpreter each time, on the cores the stack was booting on.
    address = Path(env["PARTNERSHIP_DATA_DIR"]) / "temporal.address"
    try:
        while True:
            said = log_path.read_bytes()[logged:].decode(errors="replace")
            if f"Temporal at 127.0.0.1:{port}," in said and "Ctrl-C stops." in said:
                break
            if up.poll() is not None and "already in use" in said:
                raise PortTaken(said)
            assert up.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"stack did not say it was up: {said[-2000:]}"
            time.sleep(0.1)
        assert address.read_text().strip() == f"127.0.0.1:{port}"
        # A console started on this data dir links to this stack's Web UI (walkthrough 2, C4).
        assert (address.parent / "temporal.ui").read_text().strip() == f"http://localhost:{ui_port}"
        while True:
            result = cli("status", "--json", env=env)
            if result.returncode == 0 and json.loads(result.stdout)["state"] == ready:
                up.address = f"127.0.0.1:{port}"  # type: ignore[attr-defined]  # for stop()'s replay
                return up
            assert up.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"stack not ready: {result.stderr}"
            time.sleep(0.5)
    except BaseException:
        up.kill()  # its server dies with it (PR_SET_PDEATHSIG)
        up.wait()
        raise


@pytest.fixture
def stack(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env |= {"PARTNERSHIP_DATA_DIR": str(tmp_path / "data"), "LOG_FORMAT": "json"}
    started: list[subprocess.Popen | Spawned] = []

    def start(script: bool = False) -> subprocess.Popen | Spawned:
        started.append(start_up(env, tmp_path / "up.log", script=script))
        return started[-1]

    yield start, env, tmp_path
    for up in started:
        if up.poll() is None:
            up.kill()
            up.wait()


def register_rows(data: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{data / 'register.db'}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM decisions").fetchone()[0]
    except sqlite3.Error:
        return 0


def history_events(env: dict[str, str]) -> list[dict]:
    address = (Path(env["PARTNERSHIP_DATA_DIR"]) / "temporal.address").read_text().strip()
    shown = subprocess.run(
        [
            str(Path(sys.executable).parent / "temporal"),
            "workflow",
            "show",
            "--workflow-id",
            "partnership",
            "--address",
            address,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(shown.stdout)["events"]


def history_length(env: dict[str, str]) -> int:
    return len(history_events(env))


OPENED = {"EVENT_TYPE_ACTIVITY_TASK_SCHEDULED", "EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED"}
OPEN_TASK = {"EVENT_TYPE_WORKFLOW_TASK_SCHEDULED", "EVENT_TYPE_WORKFLOW_TASK_STARTED"}


def outstanding(events: list[dict]) -> bool:
    """Whether the Partnership still has work in flight: a workflow task, or an effect (activity)
    or signal whose outcome is not yet in its history."""
    closed = set()
    for event in events:
        if event["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_STARTED":
            continue  # written with the outcome, but is not one
        for key, attributes in event.items():
            if key.endswith("EventAttributes") and isinstance(attributes, dict):
                closed.add(attributes.get("scheduledEventId") or attributes.get("initiatedEventId"))
    opened = {event["eventId"] for event in events if event["eventType"] in OPENED}
    return events[-1]["eventType"] in OPEN_TASK or bool(opened - closed)


def settled_history_length(env: dict[str, str], seconds: float = 60) -> int:
    """The Partnership's history length once nothing is in flight (a pause that saw no growth
    proved nothing on a busy machine: a slow effect landed after it)."""
    deadline = time.monotonic() + seconds
    while outstanding(events := history_events(env)):
        assert time.monotonic() < deadline, f"the Partnership did not settle: {events[-1]}"
        time.sleep(0.2)
    return len(events)


def stop(up: subprocess.Popen | Spawned) -> None:
    """Ctrl-C, once every history the stack's server holds has replayed against today's code: the
    stack's worker keeps workflows in memory, as production's does, so a history that only a warm
    worker could have written is caught here (issue 17)."""
    try:
        served_histories_replay(up.address)  # type: ignore[attr-defined]
    finally:  # stopped whatever the replay says, so no stack outlives its test
        up.send_signal(signal.SIGINT)  # what Ctrl-C sends
        code = up.wait(timeout=60)
    assert code == 0


def test_up_bootstraps_resumes_and_stops_cleanly(stack):
    start, env, tmp_path = stack
    up = start(script=True)  # the installed script, as a user runs it (elsewhere `up` is forked)
    status = json.loads(cli("status", "--json", env=env).stdout)
    assert status["state"] == "IN_EFFECT"
    assert status["in_effect_since"] == "2023-11-22"
    assert status["version"] == 1
    assert [s["participant"] for s in status["signatories"]] == ["UK", "ROK"]
    # Holding both Participants' keys, the stack answers each call for a checkpoint itself (issue
    # 14; tests/test_checkpoint.py has its watchers sign after a Forum on a time-skipping server,
    # since a Forum here could not meet before its date). Nothing is due before any Forum.
    assert "checkpoints due are signed here for UK, ROK. Temporal at" in (tmp_path / "up.log").read_text()
    assert cli("checkpoint", "watch", "--as", "UK", "--once", env=env).stdout == ""
    assert "no checkpoint yet" in cli("checkpoint", "show", env=env).stdout

    # One data dir, one stack: a second `up` is refused in one line naming the running stack, starts
    # no second server on the same SQLite file, and leaves the first stack's address in place.
    data = Path(env["PARTNERSHIP_DATA_DIR"])
    running_at = (data / "temporal.address").read_text().strip()
    second = cli("up", "--port", str(free_port()), "--ui-port", str(free_port()), "--console-port", "0", env=env)
    assert second.returncode == 1
    assert second.stderr.strip() == (
        f"a stack already runs on the data dir {data} (Temporal at {running_at}); stop it first, "
        "or set PARTNERSHIP_DATA_DIR to another folder"
    )
    assert (data / "temporal.address").read_text().strip() == running_at
    assert json.loads(cli("status", "--json", env=env).stdout)["state"] == "IN_EFFECT"

    # Wait until the entry-into-effect effects are done, then bootstrap again: nothing changes.
    deadline = time.monotonic() + 30
    while len(list((data / "mail" / "new").glob("*"))) < 3 or register_rows(data) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    before = settled_history_length(env)
    again = cli("bootstrap", "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["signatories"] == status["signatories"]
    assert history_length(env) == before

    stop(up)
    assert processes_using(tmp_path / "data") == []
    assert not (tmp_path / "data" / "temporal.address").exists()
    assert not (tmp_path / "data" / "temporal.ui").exists()
    last = (tmp_path / "up.log").read_text().strip().splitlines()[-1]
    assert last == f"stopped: worker and Temporal server; the data dir {tmp_path / 'data'} keeps everything"

    # A second `up` on the same data dir resumes the same Partnership: nothing is signed again.
    up = start()
    resumed = json.loads(cli("status", "--json", env=env).stdout)
    assert resumed["signatories"] == status["signatories"]
    assert history_length(env) == before
    stop(up)
    assert processes_using(tmp_path / "data") == []

    closed = free_port()
    down = cli("status", env=env | {"TEMPORAL_ADDRESS": f"127.0.0.1:{closed}"})
    assert down.returncode == 1
    assert down.stderr.startswith(
        f"Temporal did not answer at 127.0.0.1:{closed} (from TEMPORAL_ADDRESS or the Temporal profile): "
        "if it is restarting, retry"
    )
    assert len(down.stderr.strip().splitlines()) == 1


def test_amendment_and_termination_through_the_cli(stack, tmp_path):
    start, env, _ = stack
    up = start()
    wording = tmp_path / "amendment.txt"
    wording.write_text("The Forum will be held twice a year.\n")

    changes = tmp_path / "catalogue.json"
    changes.write_text(
        json.dumps([{"action": "add-commitment", "ref": "9d", "title": "Satellite links", "area": "telecoms"}])
    )
    proposed = cli(
        "amendment",
        "propose",
        "--as",
        "UK",
        "--paragraph",
        "7",
        "--text-file",
        str(wording),
        "--summary",
        "A second annual Forum",
        "--catalogue-file",
        str(changes),
        env=env,
    )
    assert proposed.returncode == 0, proposed.stderr
    ident = proposed.stdout.strip()
    assert ident == "partnership-amendment-1"

    awaiting = cli("inbox", "--as", "ROK", env=env).stdout
    assert awaiting.startswith(f"¶33   {ident}: UK proposes to amend ¶7: your written consent is asked  by 20")
    assert f"→ partnership amendment consent {ident} --as ROK" in awaiting
    own = cli("amendment", "consent", "1", "--as", "UK", env=env)
    assert own.returncode == 1
    assert own.stderr.strip().splitlines() == [
        f"rejected: UK proposed {ident}, and its proposal is its written consent; only ROK may consent to it"
    ]

    consented = cli("amendment", "consent", ident, "--as", "ROK", env=env)
    assert consented.returncode == 0, consented.stderr
    deadline = time.monotonic() + 30
    while json.loads(cli("status", "--json", env=env).stdout)["version"] != 2:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    listed = json.loads(cli("amendment", "list", "--json", env=env).stdout)
    assert [(a["amendment_id"], a["status"], a["version"]) for a in listed] == [(ident, "IN_EFFECT", 2)]
    consolidated = cli("text", env=env).stdout
    # Listed under ¶7 itself, before the next heading ("Joint actions"), not after it.
    assert consolidated.index("7. The UK-RoK") < consolidated.index("The Forum will be held twice a year.")
    assert consolidated.index("The Forum will be held twice a year.") < consolidated.index("Joint actions")
    paragraphs = json.loads(cli("text", "--json", env=env).stdout)["paragraphs"]
    assert [p["paragraph"] for p in paragraphs] == list(range(1, 34))
    assert [a["amendment_id"] for a in paragraphs[6]["amendments"]] == [ident]
    amended = json.loads(cli("catalogue", "--in-force", "--json", "--area", "telecoms", env=env).stdout)
    assert [c["ref"] for c in amended[0]["areas"][0]["commitments"]] == ["9a", "9b", "9c", "9d"]
    signed_text = json.loads(cli("catalogue", "--json", "--area", "telecoms", env=env).stdout)
    assert [c["ref"] for c in signed_text[0]["areas"][0]["commitments"]] == ["9a", "9b", "9c"]

    too_early = cli("termination", "notify", "--as", "UK", "--effective-on", "2027-01-01", env=env)
    assert too_early.returncode == 1
    assert len(too_early.stderr.strip().splitlines()) == 1
    assert "the earliest permissible date is 20" in too_early.stderr

    bad_date = cli("termination", "notify", "--as", "UK", "--effective-on", "soon", env=env)
    assert bad_date.returncode == 2

    given = cli("termination", "notify", "--as", "ROK", env=env)
    assert given.returncode == 0, given.stderr
    shown = json.loads(cli("termination", "show", "--json", env=env).stdout)
    assert shown["given_by"] == "ROK" and shown["effective_at"].endswith(("T23:00:00Z", "T00:00:00Z"))
    late = cli("termination", "notify", "--as", "UK", "--effective-on", "2199-12-31", env=env)
    assert late.returncode == 0, late.stderr
    both = json.loads(cli("termination", "show", "--json", env=env).stdout)  # each pending one (walkthrough 3)
    assert both["given_by"] == "ROK" and [n["given_by"] for n in both["notices"]] == ["ROK", "UK"]
    assert cli("termination", "withdraw", "--as", "UK", env=env).returncode == 0
    assert json.loads(cli("status", "--json", env=env).stdout)["state"] == "TERMINATION_PENDING"
    first_line = cli("status", env=env).stdout.splitlines()[0]
    assert first_line == "Partnership: TERMINATION_PENDING (in effect since 2023-11-22; text version 2)"
    withdrawn = cli("termination", "withdraw", "--as", "ROK", env=env)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert json.loads(cli("status", "--json", env=env).stdout)["termination"] is None
    stop(up)


def test_joint_action_through_the_cli(stack):
    start, env, _ = stack
    up = start()
    proposed = cli("action", "propose", "--as", "UK", "--ref", "9b", "--title", "Open RAN testbed", env=env)
    assert proposed.returncode == 0, proposed.stderr
    ident = proposed.stdout.strip()
    assert ident == "action-9b-open-ran-testbed"
    awaiting = json.loads(cli("inbox", "--as", "ROK", "--json", env=env).stdout)
    assert [(i["about"], i["command"]) for i in awaiting] == [(ident, f"partnership action agree {ident} --as ROK")]
    assert cli("inbox", "--as", "UK", env=env).stdout.strip() == "nothing awaits UK"
    own = cli("action", "agree", ident, "--as", "UK", env=env)
    assert own.returncode == 1 and own.stderr.strip() == f"rejected: UK proposed {ident}; only ROK may agree it"
    assert cli("action", "agree", ident, "--as", "ROK", env=env).returncode == 0
    # A namespace misspelt is named as such, not as a Partnership yet to bootstrap (walkthrough 2).
    misspelt = cli("status", env=env | {"TEMPORAL_NAMESPACE": "nope"})
    assert misspelt.returncode == 1 and "Namespace nope is not found at 127.0.0.1:" in misspelt.stderr, misspelt.stderr
    assert misspelt.stderr.strip().endswith("check TEMPORAL_NAMESPACE")
    # An id of another kind of workflow, or none at all: one line naming what was asked (walkthrough 2).
    for kind, asked, says in [
        ("action", "partnership", "no joint action partnership"),  # no such query there
        ("action", "", "no joint action"),  # no workflow id at all
        ("consult", ident, f"no consultation {ident}"),  # answers an action's view
        ("amendment", "partnership", "no amendment partnership"),
    ]:
        wrong = cli(kind, "show", asked, env=env)
        assert wrong.returncode == 1 and wrong.stderr.strip().startswith(says), (kind, asked, wrong.stderr)
        assert "Traceback" not in wrong.stderr
    reported = cli("action", "report", ident, "--as", "UK", "--status", "on-track", "--percent", "40", env=env)
    assert reported.returncode == 0, reported.stderr
    deadline = time.monotonic() + 30
    while True:
        listed = json.loads(cli("action", "list", "--json", "--ref", "9b", env=env).stdout)
        if listed and listed[0]["percent"] == 40:
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert [(a["action_id"], a["state"], a["percent"]) for a in listed] == [(ident, "ACTIVE", 40)]
    # for people, a table: a header, then one unwrapped line per action whatever its length
    lines = [line.split() for line in cli("action", "list", env=env).stdout.splitlines()]
    assert lines[1] == ["action", "ref", "state", "done", "progress", "title"]
    assert lines[3] == [ident, "9b", "ACTIVE", "40", "%", "on-track", "Open", "RAN", "testbed"]

    # ¶7: a joint change of its working group's cadence reaches the open action too.
    def show(ident: str) -> str:
        return cli("action", "show", ident, env=env).stdout

    for side in ("UK", "ROK"):
        leads = ("--lead-uk", "A. Smith", "--lead-rok", "J. Kim", "--cadence-months", "1")
        assert cli("group", "set-leads", "telecoms", "--as", side, *leads, env=env).returncode == 0
    deadline = time.monotonic() + 30
    while "reports every 1 months (the working group's cadence since" not in (shown := show(ident)):
        assert time.monotonic() < deadline, shown
        time.sleep(0.2)
    assert "; next report due " in shown
    unknown = cli("action", "propose", "--as", "UK", "--ref", "99z", "--title", "x", env=env)
    assert unknown.returncode == 1 and unknown.stderr.startswith("rejected: unknown commitment ref '99z'")
    auditor = cli("action", "report", ident, "--as", "AUDITOR", "--status", "on-track", "--percent", "50", env=env)
    assert auditor.returncode == 1 and auditor.stderr.strip() == "AUDITOR only reads; file as UK, ROK or SECRETARIAT"
    leads_filings_that_differ_through_the_cli(env)
    forum_withdrawals_through_the_cli(env)
    stop(up)


def leads_filings_that_differ_through_the_cli(env: dict[str, str]) -> None:
    """Issue 15: the receipt and `group show` name how the two sides' leads differ; the other side
    is mailed; only the filer withdraws its own filing, and a refusal leaves no history event."""
    from tests.helpers import mails

    leads = ("--lead-uk", "A. Smith", "--lead-rok", "J. Kim")
    uk = cli("group", "set-leads", "ai", "--as", "UK", *leads, env=env)
    assert uk.stdout.strip() == "ai: filed; awaiting the same filing from ROK", uk.stderr
    rok = cli("group", "set-leads", "ai", "--as", "ROK", *leads, "--cadence-months", "6", env=env)
    assert rok.stdout.strip() == (
        "ai: filed; awaiting the same filing from UK; UK filed different terms: cadence_months: UK '3', ROK '6'"
    )
    unknown = cli("group", "show", "nope", env=env)  # an unknown one is a rejection, as an unknown action's id
    assert unknown.returncode == 1 and unknown.stderr.startswith("no policy area 'nope'; areas: ")
    shown = cli("group", "show", "ai", env=env).stdout.splitlines()
    assert "  pending leads (terms differ):" in shown
    assert "    cadence_months   UK '3'   ROK '6'" in shown
    pending = json.loads(cli("group", "show", "ai", "--json", env=env).stdout)["group"]["pending"]
    assert {side: f["terms"]["cadence_months"] for side, f in pending["filed"].items()} == {"UK": "3", "ROK": "6"}
    deadline = time.monotonic() + 30
    data = Path(env["PARTNERSHIP_DATA_DIR"])
    while not [m for m in mails(data) if m["Subject"].startswith("ROK awaits your filing: the leads of")]:
        assert time.monotonic() < deadline, [m["Subject"] for m in mails(data)]
        time.sleep(0.2)
    assert cli("group", "withdraw", "ai", "--as", "UK", env=env).stdout.strip() == (
        "ai: withdrawn; ROK's filing still awaits yours"
    )
    before = settled_history_length(env)
    again = cli("group", "withdraw", "ai", "--as", "UK", env=env)
    assert again.returncode == 1 and again.stderr.strip() == (
        "rejected: UK has no filing of the leads of the working group ai pending; "
        "only ROK, which filed one, may withdraw it"
    )
    assert settled_history_length(env) == before


def forum_withdrawals_through_the_cli(env: dict[str, str]) -> None:
    """Issue 15 on a Forum cycle: an agenda item, a postponement and an agreement to the agenda
    are withdrawn by whoever filed them."""
    import datetime as dt

    year = str(dt.date.today().year + 1)
    assert cli("forum", "start", "--as", "SECRETARIAT", "--year", year, env=env).returncode == 0
    added = cli("forum", "agenda", "add", "--as", "UK", "--title", "AI safety", "--ref", "9b", env=env)
    assert added.returncode == 0, added.stderr
    theirs = cli("forum", "agenda", "withdraw", "--as", "ROK", "--ref", "9b", env=env)
    assert (
        theirs.returncode == 1
        and theirs.stderr.strip() == "rejected: only UK, which added “AI safety”, may withdraw it"
    )
    assert cli("forum", "agenda", "withdraw", "--as", "UK", "--ref", "9b", env=env).returncode == 0
    assert "AI safety" not in cli("forum", "agenda", "show", env=env).stdout
    moved = cli("forum", "postpone", "--as", "ROK", "--to", f"{year}-12-01", env=env)
    assert (
        moved.stdout.strip()
        == f"forum-{year}: filed; awaiting the same filing from UK; it moves to {year}-12-01 when it does"
    )
    assert f"    to               UK —   ROK '{year}-12-01'" in cli("forum", "show", env=env).stdout.splitlines()
    back = cli("forum", "postpone-withdraw", "--as", "ROK", env=env)
    assert back.stdout.strip() == f"forum-{year}: withdrawn; nothing is pending; it is on {year}-11-22", back.stderr
    assert cli("forum", "agenda", "agree", "--as", "UK", env=env).returncode == 0
    undone = cli("forum", "withdraw-agreement", "agenda", "--as", "UK", env=env)
    assert undone.stdout.strip() == f"forum-{year}: your agreement to the agenda is withdrawn", undone.stderr
    assert "agreed by nobody yet" in cli("forum", "show", env=env).stdout


def test_forum_through_the_cli(stack, tmp_path):
    import datetime as dt

    import icalendar

    start, env, _ = stack
    up = start()
    year = str(dt.date.today().year + 1)
    refused = cli("forum", "start", "--as", "UK", "--year", year, env=env)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "rejected: only the SECRETARIAT starts a Forum cycle, not UK"
    started = cli("forum", "start", "--as", "SECRETARIAT", "--year", year, "--venue", "Seoul", env=env)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == f"forum-{year}"

    # ¶7: a co-chair is named by ministry and rank; a title that contradicts them is refused in one line.
    nominate = ("forum", "nominate", "--as", "UK", "--name", "J. Doe", "--title")
    shadow = cli(*nominate, "Shadow Secretary of State for Science", env=env)
    assert shadow.returncode == 1
    assert len(shadow.stderr.strip().splitlines()) == 1
    assert shadow.stderr.startswith(
        "rejected: ¶7: the title 'Shadow Secretary of State for Science' says its holder does not hold the office"
    )
    permanent = cli(*nominate, "Permanent Secretary", env=env)
    assert permanent.returncode == 1 and "names a civil-service rank" in permanent.stderr
    unknown_rank = cli(*nominate, "Minister for AI", "--rank", "permanent-secretary", env=env)
    assert unknown_rank.returncode == 2 and "Traceback" not in unknown_rank.stderr
    minister = cli(*nominate, "Minister for AI", "--rank", "parliamentary-under-secretary-of-state", env=env)
    assert minister.returncode == 0, minister.stderr
    vice = cli("forum", "nominate", "--as", "ROK", "--name", "K. Lee", "--title", "Second Vice Minister", env=env)
    assert vice.returncode == 0, vice.stderr  # the ministry is the side's own, the rank the title's

    shown = cli("forum", "show", env=env)  # no year: the latest cycle
    assert shown.returncode == 0, shown.stderr
    first = shown.stdout.splitlines()[0]
    assert first.startswith(f"forum-{year}: CALLING_FOR_ITEMS — {year}-11-22, host ") and first == first.rstrip()
    assert "agreed by nobody yet" in shown.stdout and "<Identity" not in shown.stdout
    assert "  co-chair UK: J. Doe, Minister for AI (Parliamentary Under-Secretary of State, DSIT)" in shown.stdout
    assert "  co-chair ROK: K. Lee, Second Vice Minister (Second Vice Minister, MSIT)" in shown.stdout
    listed = json.loads(cli("forum", "list", "--json", env=env).stdout)
    assert [(f["forum_id"], f["stage"], f["on"]) for f in listed] == [
        (f"forum-{year}", "CALLING_FOR_ITEMS", f"{year}-11-22")
    ]
    calendar = cli("forum", "calendar", year, env=env)
    events = icalendar.Calendar.from_ical(calendar.stdout).walk("VEVENT")
    assert f"UK-RoK Digital Partnership Forum {year}" in {str(e["SUMMARY"]) for e in events}
    schedule = json.loads(cli("forum", "schedule", "show", "--json", env=env).stdout)
    assert (schedule["month"], schedule["day"]) == (11, 22) and schedule["next_cycle_starts"]
    impossible = cli("forum", "schedule", "set", "--as", "SECRETARIAT", "--month", "2", "--day", "30", env=env)
    assert impossible.returncode == 2 and "Traceback" not in impossible.stderr
    assert json.loads(cli("forum", "schedule", "show", "--json", env=env).stdout)["month"] == 11
    by_uk = cli("forum", "schedule", "set", "--as", "UK", "--month", "10", "--day", "1", env=env)
    assert by_uk.returncode == 1 and by_uk.stderr.strip().endswith(
        "only the SECRETARIAT sets the Forum's usual date, not UK"
    )
    moved = cli("forum", "schedule", "set", "--as", "SECRETARIAT", "--month", "10", "--day", "1", env=env)
    assert moved.returncode == 0, moved.stderr
    assert json.loads(cli("forum", "schedule", "show", "--json", env=env).stdout)["month"] == 10
    # `set` and `show` say it alike, to the minute, in UTC
    assert moved.stdout == cli("forum", "schedule", "show", env=env).stdout
    assert re.fullmatch(
        r"Forum usually on 1 October; the next cycle starts \d{4}-\d\d-\d\d \d\d:\d\dZ \(Forum .+\)\n", moved.stdout
    )
    stop(up)


def ignore_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell script's `worker &` starts it


@pytest.mark.parametrize(
    "stop_with, started", [(signal.SIGTERM, None), (signal.SIGINT, ignore_ctrl_c)], ids=["sigterm", "in-background"]
)
def test_a_worker_says_when_it_is_ready_where_it_writes_and_when_it_stops(local_env, tmp_path, stop_with, started):
    """A two-ministry walkthrough (deploy 5): SIGTERM, what systemd and docker send, killed the
    worker outright, and one a script started in the background ignored Ctrl-C; its ready line did
    not say which register and mail it writes to."""
    address = local_env.client.service_client.config.target_host
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env |= {"TEMPORAL_ADDRESS": address, "PARTNERSHIP_DATA_DIR": str(tmp_path), "PARTNERSHIP_TASK_QUEUE": "tq-ready"}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'register.db'}",
        "PARTNERSHIP_SMTP_URL": "smtp://u:secret@mx.example:2525",
    }
    worker = subprocess.Popen(
        [CLI, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=started
    )
    try:
        assert worker.stderr is not None
        first = worker.stderr.readline()  # blocks until the worker prints (the test's timeout bounds it)
        assert first.strip() == (
            f"worker ready: Temporal at {address}, namespace default, task queue tq-ready; "
            f"register sqlite:///{tmp_path / 'register.db'}, mail SMTP mx.example:2525. Ctrl-C stops."
        )
        worker.send_signal(stop_with)
        assert worker.wait(timeout=90) == 0  # its polls end as the server answers them: slow when loaded
        said = worker.stderr.read()
        assert "will wait 0:00:30 before cancelling activities" in said and "worker stopped" in said
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_up_refuses_a_port_another_server_listens_on(tmp_path):
    """A second stack on ports in use (another checkout's `make run`, a developer's own server) is
    refused in one line before it starts anything: it used to talk to whichever server answered
    there until it noticed its own had failed to bind."""
    import socket

    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env["PARTNERSHIP_DATA_DIR"] = str(tmp_path / "data")
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]
        for flags, said in (
            (["--port", str(taken), "--ui-port", str(free_port()), "--console-port", "0"], "--port"),
            (["--port", str(free_port()), "--ui-port", str(taken), "--console-port", "0"], "--ui-port"),
            # The console's port is checked before anything starts too: uvicorn's own refusal, after
            # the bootstrap, used to leave `up` hung stopping its worker.
            (["--port", str(free_port()), "--ui-port", str(free_port()), "--console-port", str(taken)],)
            + ("--console-port",),
        ):
            refused = cli("up", *flags, env=env)
            assert refused.returncode == 1, refused.stdout + refused.stderr
            assert refused.stderr.strip() == (
                f"port {taken} is already in use (another stack or Temporal server?): choose another with {said}"
            )
        # Every busy port is named in the one line, not one per attempt.
        with socket.socket() as another:
            another.bind(("127.0.0.1", 0))
            another.listen()
            also = another.getsockname()[1]
            both = ["--port", str(taken), "--ui-port", str(free_port()), "--console-port", str(also)]
            refused = cli("up", *both, env=env)
            assert refused.returncode == 1 and refused.stderr.strip() == (
                f"ports {taken} (--port), {also} (--console-port) are already in use (another stack or Temporal "
                "server?): choose others"
            )
    same = str(free_port())
    twice = cli("up", "--port", same, "--ui-port", str(free_port()), "--console-port", same, env=env)
    assert twice.returncode == 2 and f"--console-port {same} is also the --port" in twice.stderr
    assert not (tmp_path / "data" / "temporal.address").exists()
    assert not (tmp_path / "data" / "temporal.db").exists()
