"""The console: the overview's render time with 1,000 joint actions (target: median < 150 ms), and
what the console adds to a process's RSS (target: < 60 MiB).

Timed: what the overview does once the Partnership has answered: decode the answers of its two
queries (status, and the 1,000 action summaries, from their JSON as the client receives them), roll
them up per pillar and policy area, and render the page. Not timed: the server's round trips.
The RSS is measured in this process: after importing the CLI (what a worker or `partnership up`
holds anyway), then after importing the console, building its app and rendering the overview.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PARTNERSHIP_DATA_DIR", tempfile.mkdtemp(prefix="bench-console-"))

ACTIONS, RUNS = 1000, 30


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    import starter  # noqa: F401 - the CLI, as `partnership up` has it loaded
    from benchmarks.common import median, write
    from engine.keys import init_keys
    from models.catalogue import COMMITMENTS, area_of
    from models.joint_action import ActionState, ActionSummary, Progress, rollup
    from models.partnership import PartnershipStatus

    init_keys()
    refs = sorted(COMMITMENTS)
    actions = [
        ActionSummary(
            action_id=f"action-{refs[i % len(refs)]}-bench-{i}",
            ref=refs[i % len(refs)],
            area=area_of(refs[i % len(refs)]).slug,
            pillar=area_of(refs[i % len(refs)]).pillar,
            title=f"Benchmark joint action {i}",
            state=ActionState.ACTIVE if i % 4 else ActionState.PROPOSED,
            proposed_by="UK" if i % 2 else "ROK",
            percent=i % 101 if i % 4 else None,
            progress=Progress.ON_TRACK if i % 4 else None,
            last_report_at=datetime(2026, 1, 1, tzinfo=UTC) if i % 4 else None,
        )
        for i in range(ACTIONS)
    ]
    status = PartnershipStatus(
        state="IN_EFFECT",
        in_effect_since="2023-11-22",
        version=1,
        signatories=[],
        termination=None,
        pending_amendments=[],
        amendments_in_force=[],
        catalogue_changes=[],
        joint_actions=rollup(actions),
        joint_actions_by_pillar={},
        open_consultations=[],
        forums=[],
        text_sha256="0" * 64,
        keys={},
    )
    from pydantic import TypeAdapter

    actions_json = TypeAdapter(list[ActionSummary]).dump_json(actions)
    status_json = status.model_dump_json()
    before = rss_mib()

    from console.app import NAV, Settings, create_app, templates
    from console.office import held_identities
    from console.pages import overview_context

    create_app(Settings(temporal_ui="http://localhost:8233"), host="127.0.0.1", port=8080)

    def overview() -> str:
        decoded_status = PartnershipStatus.model_validate_json(status_json)
        decoded = TypeAdapter(list[ActionSummary]).validate_json(actions_json)
        context = overview_context(decoded_status, decoded, datetime.now(UTC))
        held = held_identities()
        return templates.get_template("overview.html").render(
            nav=NAV,
            path="/",
            acting=held[0],
            held=held,
            fingerprint="0" * 16,
            switch_token="t",
            settings=Settings(temporal_ui="http://localhost:8233"),
            forum=None,
            health={"rows": 0, "problems": [], "error": None},
            **context,
        )

    overview()  # templates compiled once, as on a console's first page
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        html = overview()
        timings.append((time.perf_counter() - start) * 1000)
    assert "Future telecoms" in html
    added = rss_mib() - before
    render = median(timings)
    write(
        "console",
        "Console: overview with 1,000 joint actions, and the console's RSS",
        {"overview_median_ms": round(render, 1), "actions": ACTIONS, "runs": RUNS, "added_rss_mib": round(added, 1)},
        [
            (f"overview render, {ACTIONS} joint actions (median of {RUNS}; target < 150 ms)", f"{render:.1f} ms"),
            ("RSS the console adds to the process (target < 60 MiB)", f"{added:.1f} MiB"),
        ],
    )


if __name__ == "__main__":
    main()
