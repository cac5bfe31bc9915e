"""Issue 12 through the CLI on the embedded stack: nothing a filer types can wedge the engine. Each
hostile filing is refused in one line and leaves no trace; afterwards the Partnership, the Forum
cycle and the mail lane still take filings and deliver every other mail."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from models.limits import LONG_TEXT_MAX, control_characters
from tests import test_cli_embedded
from tests.helpers import mails
from tests.test_cli_embedded import cli, settled_history_length, stop

stack = test_cli_embedded.stack  # the embedded stack on free ports with its own data dir (a fixture)


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert control_characters(lines[0]) == [], lines
    return lines[0]


@pytest.mark.timeout(300)  # about twenty CLI runs, each a fresh interpreter, on a shared machine
def test_no_filing_wedges_the_engine_through_the_cli(stack, tmp_path: Path):
    start, env, _ = stack
    up = start()
    data = Path(env["PARTNERSHIP_DATA_DIR"])
    year = str(dt.date.today().year + 1)
    before = settled_history_length(env)

    # A Forum hosted by the secretariat: refused, and the year can still be started.
    hosted = cli("forum", "start", "--as", "SECRETARIAT", "--year", year, "--host", "SECRETARIAT", env=env)
    assert hosted.returncode == 1
    assert one_line(hosted) == "rejected: the host of a Forum is UK or ROK, not SECRETARIAT"

    # Over a limit, or not UTF-8, or with control characters: refused before signing.
    big = tmp_path / "big.txt"
    big.write_text("x" * (LONG_TEXT_MAX + 1))
    too_big = cli("amendment", "propose", "--as", "UK", "--paragraph", "7", "--text-file", str(big), env=env)
    assert too_big.returncode == 1
    assert one_line(too_big) == f"refused before signing: text: String should have at most {LONG_TEXT_MAX} characters"
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Caf\xe9 wording".encode("latin-1"))
    not_utf8 = cli("amendment", "propose", "--as", "UK", "--paragraph", "7", "--text-file", str(latin1), env=env)
    assert not_utf8.returncode == 1 and "is not UTF-8 text (byte 0xe9 at offset 3)" in one_line(not_utf8)
    about = cli("consult", "open", "--as", "UK", "--about", "9b\n", "--summary", "Costs", env=env)
    # The refusal names the option the filer typed (`--about`), not the filing's field (`about`).
    assert about.returncode == 1 and one_line(about).startswith("refused before signing: --about: must be one line")
    title = cli("action", "propose", "--as", "UK", "--ref", "9b", "--title", "\x1b[2JOpen RAN", env=env)
    assert title.returncode == 1 and one_line(title).startswith("refused before signing: --title: ")
    assert "(found \\x1b)" in one_line(title)
    assert settled_history_length(env) == before  # nothing reached the Partnership's history

    # An audit query cannot escape the governed filter.
    escape = cli(
        "audit",
        "export",
        "--all",
        "--query",
        "WorkflowId = 'x') OR (WorkflowId = 'y'",
        "-o",
        str(tmp_path / "x"),
        env=env,
    )
    # A usage error in typer's own style (exit 2), like every other.
    said = " ".join(escape.stderr.replace("│", " ").split())
    assert escape.returncode == 2 and "--query closes a parenthesis it did not open" in said

    # Both Participants may have a notice pending; the earliest takes effect.
    assert cli("termination", "notify", "--as", "UK", "--effective-on", "2099-01-01", env=env).returncode == 0
    rok = cli("termination", "notify", "--as", "ROK", env=env)
    assert rok.returncode == 0, rok.stderr
    shown = cli("status", env=env).stdout
    assert shown.index("Termination: notice by ROK") < shown.index("Termination: notice by UK")
    assert "effective 2099-01-01" in shown
    for side in ("ROK", "UK"):
        assert cli("termination", "withdraw", "--as", side, env=env).returncode == 0

    # Afterwards everything still takes filings, and the mail goes out.
    started = cli("forum", "start", "--as", "SECRETARIAT", "--year", year, "--host", "UK", "--venue", "London", env=env)
    assert started.returncode == 0, started.stderr
    proposed = cli("action", "propose", "--as", "UK", "--ref", "9b", "--title", "Open RAN testbed", env=env)
    assert proposed.returncode == 0, proposed.stderr
    nominated = cli("forum", "nominate", "--as", "UK", "--name", "J. Doe", "--title", "Minister for AI", env=env)
    assert nominated.returncode == 0, nominated.stderr
    wanted = {
        "ROK has given notice of termination",
        "UK has withdrawn its notice of termination",
        f"Forum {year}: call for agenda items",
        "proposes joint action",
    }
    deadline = time.monotonic() + 60
    while True:
        subjects = " | ".join(str(m["Subject"]) for m in mails(data))
        if all(w in subjects for w in wanted):
            break
        assert time.monotonic() < deadline, subjects
        time.sleep(0.5)
    assert json.loads(cli("status", "--json", env=env).stdout)["failed_effects"] == []
    stop(up)
