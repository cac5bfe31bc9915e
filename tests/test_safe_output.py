"""Filer-supplied text cannot reach a terminal, a calendar file or a file name raw; an audit query
can only narrow the governed workflows; the data dir and keys are owner-only whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from audit.history import file_name, governed, query_problem
from cli.forum_calendar import forum_calendar
from models.forum import ForumStage, ForumSummary, ForumView
from models.identities import Identity
from models.limits import control_characters
from models.partnership import PartnershipStatus, Stage
from workflows.registry import GOVERNED

HOSTILE = "Open RAN\x1b[2J\x1b]0;pwned\x07\r\nBcc: x\u2028end"


def test_status_escapes_control_characters_in_filer_text(capsys, data_dir):
    """Text accepted before the limits existed (or from any other client) still prints safely."""
    from cli.status import show_status
    from models.consultation import ConsultationState, ConsultationSummary
    from models.joint_action import Rollup

    consultation = ConsultationSummary(
        consultation_id="partnership-consultation-1",
        about="9b",
        summary=HOSTILE,
        opened_by=Identity.UK,
        opened_at=datetime.now(UTC),
        state=ConsultationState.OPEN,
    )
    status = PartnershipStatus.model_construct(
        state=Stage.IN_EFFECT,
        in_effect_since=date(2023, 11, 22),
        version=1,
        signatories=[],
        termination=None,
        pending_amendments=[],
        amendments_in_force=[],
        catalogue_changes=[],
        joint_actions=Rollup(),
        joint_actions_by_pillar={},
        open_consultations=[consultation],
        forums=[],
        text_sha256="0" * 64,
        keys={},
    )
    show_status(status, json_out=False)
    out = capsys.readouterr().out
    assert control_characters(out, allowed="\n") == []
    # Newline and tab stay (multi-line texts print as such); nothing else reaches the terminal raw.
    assert "Open RAN\\x1b[2J\\x1b]0;pwned\\x07\\r" in out and "x\\u2028end" in out


def test_the_calendar_never_carries_control_characters():
    view = ForumView.model_construct(
        summary=ForumSummary(
            forum_id="forum-2027",
            year=2027,
            on=date(2027, 11, 22),
            venue=HOSTILE,
            host=Identity.ROK,
            stage=ForumStage.CALLING_FOR_ITEMS,
        ),
        agenda_deadline=date(2027, 10, 23),
    )
    ics = forum_calendar(view, stamp=datetime(2027, 1, 1, tzinfo=UTC))
    lines = ics.split("\r\n")
    assert lines[-1] == "" and all(control_characters(line) == [] for line in lines)
    assert not any(line.startswith("Bcc") for line in lines)


def test_export_file_names_are_bounded_separator_free_and_unique():
    long_id = "action-9b-" + "x" * 300
    assert len(file_name(long_id, "0193-abc")) < 150
    assert file_name("../../etc/passwd").startswith("_.._etc_passwd-") and "/" not in file_name("a/b")
    assert file_name("a/b") != file_name("a_b") and file_name("a/b") != file_name("a?b")
    assert file_name(long_id + "1") != file_name(long_id + "2")
    assert file_name("partnership") == "partnership.json"  # ordinary ids keep their names


@pytest.mark.parametrize(
    "query",
    ["WorkflowId = 'x') OR (WorkflowId = 'y'", "WorkflowId = 'x') OR (1 = 1", "(WorkflowId = 'x'", "Id = 'x"],
)
def test_a_query_that_could_widen_the_governed_filter_is_refused(query):
    assert query_problem(query)
    with pytest.raises(ValueError):
        governed(query)


def test_a_query_narrows_the_governed_filter():
    query = "WorkflowId = 'a (b)' OR (ParagraphRefs = '9b')"
    assert query_problem(query) is None
    assert governed(query) == f"({query}) AND {GOVERNED}"


def test_the_data_dir_and_keys_are_owner_only_under_umask_000(tmp_path: Path):
    data = tmp_path / "fresh" / "data"
    cli = Path(sys.executable).parent / "partnership"
    done = subprocess.run(
        [cli, "keys", "init"],
        env=os.environ | {"PARTNERSHIP_DATA_DIR": str(data)},
        preexec_fn=lambda: os.umask(0),  # noqa: PLW1509 (the point of the test)
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(data) == 0o700 and mode(data / "keys") == 0o700
    assert {p.name: mode(p) for p in (data / "keys").iterdir()} == {
        "uk.key": 0o600,
        "rok.key": 0o600,
        "secretariat.key": 0o600,
        "uk.pub": 0o644,
        "rok.pub": 0o644,
        "secretariat.pub": 0o644,
    }
