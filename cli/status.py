"""`partnership status`, `partnership catalogue`, `partnership text`: the Partnership's state, the
catalogue of ¶1 and ¶8–27, and the consolidated text with the amendments in force (¶33)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from cli.action import progress_line
from cli.archive import archive_json, archive_line
from cli.calls import Amendment, Partnership
from cli.common import (
    EXPECTED,
    JsonFlag,
    Refused,
    ask,
    called_off,
    client,
    explain,
    fail,
    query_or_explain,
    run,
    together,
    usage,
    with_closed,
)
from cli.output import echo, emit
from cli.register_reads import closed_in_register, effects_set_aside, stored_text
from models import names
from models.amendment import AmendmentStatus, AmendmentSummary, text_sha256
from models.catalogue import PILLARS, POLICY_AREAS, amended_areas
from models.forum import ForumSummary
from models.joint_action import ActionSummary, rollup
from models.partnership import PartnershipStatus
from models.text import agreement_text, blocks


async def wording_of(amendments: list[AmendmentSummary]) -> dict[str, str]:
    """Each amendment's wording, by the SHA-256 the Partnership keeps: from the register's text
    store, else from the amendment's own workflow (while the server still has it); either way
    checked against that hash."""
    c = await client()
    wording: dict[str, str] = {}
    for a in amendments:
        if (stored := stored_text(a.text_sha256)) is not None and text_sha256(stored) == a.text_sha256:
            wording[a.amendment_id] = stored
            continue
        missing = f"the wording of {a.amendment_id} is no longer on this server"
        view = await query_or_explain(c.get_workflow_handle(a.amendment_id), Amendment.show, missing)
        if a.text_sha256 and text_sha256(view.text) != a.text_sha256:
            raise Refused(f"the wording of {a.amendment_id} does not match the SHA-256 the Partnership keeps")
        wording[a.amendment_id] = view.text
    return wording


@run
async def text(json_out: JsonFlag = False) -> None:
    """The consolidated text: each ¶ as signed, with the amendments in force listed under it."""
    status = await current_status()
    wording = await wording_of(status.amendments_in_force)
    parts = blocks(agreement_text())
    by_paragraph: dict[int, list[AmendmentSummary]] = {}
    for a in status.amendments_in_force:
        for p in a.paragraphs:
            by_paragraph.setdefault(p, []).append(a)
    if json_out:
        emit(
            {
                "version": status.version,
                "paragraphs": [
                    {
                        "paragraph": b.paragraph,
                        "text": b.text,
                        "amendments": [
                            a.model_dump(mode="json") | {"text": wording[a.amendment_id]}
                            for a in by_paragraph.get(b.paragraph, [])
                        ],
                    }
                    for b in parts
                    if b.paragraph is not None
                ],
            }
        )
        return
    echo(f"Consolidated text, version {status.version}\n")
    for b in parts:
        echo(b.text + "\n")
        for a in by_paragraph.get(b.paragraph or 0, []):
            echo(f"   [Amended by {a.amendment_id}, in effect {a.effective_on}, version {a.version}]")
            echo("   " + wording[a.amendment_id].strip().replace("\n", "\n   ") + "\n")


# Reads ---------------------------------------------------------------------------------------------


@run
async def status(json_out: JsonFlag = False) -> None:
    """State of the Partnership: IN_EFFECT since when, text version, signatories."""
    from audit.health import stuck_workflows

    # The reads go out while the health check is answered (one wait, not two); a stuck
    # Partnership's reads are called off, and the check's line is what the user reads.
    reading = asyncio.create_task(current_status())
    try:
        stuck = await stuck_workflows(await client(), look_at=[names.PARTNERSHIP_ID])
    except BaseException:
        await called_off(reading)
        raise
    for s in stuck:
        typer.echo(s.line(), err=True)
    if any(s.workflow_id == names.PARTNERSHIP_ID for s in stuck):
        await called_off(reading)
        fail("the Partnership cannot answer until its workflow task is repaired (README: a stuck workflow)")
    current = await reading
    if json_out:
        emit(
            current.model_dump(mode="json")
            | {
                "failed_effects": [f.model_dump(mode="json") for f in effects_set_aside()],
                "archive": archive_json(),
                "stuck": [s.model_dump() for s in stuck],
            }
        )
        return
    show_status(current, json_out)
    typer.echo(archive_line())


async def current_status() -> PartnershipStatus:
    """The status with what the Partnership no longer carries (issue 12): the amendments in force
    and the Forum cycles filed in the register as closed, and every joint action in the roll-ups.
    The status and the actions are asked together."""
    current, actions = await together(
        ask(Partnership.status), with_closed(Partnership.actions, "action", ActionSummary, "action_id")
    )
    held = {a.amendment_id for a in current.amendments_in_force}
    in_force = current.amendments_in_force + [
        a
        for a in closed_in_register("amendment", AmendmentSummary)
        if a.status is AmendmentStatus.IN_EFFECT and a.amendment_id not in held
    ]
    forums = {f.forum_id: f for f in closed_in_register("forum", ForumSummary)} | {
        f.forum_id: f for f in current.forums
    }
    return current.model_copy(
        update={
            "amendments_in_force": sorted(in_force, key=lambda a: a.version or 0),
            "forums": sorted(forums.values(), key=lambda f: f.year),
            "joint_actions": rollup(actions),
            "joint_actions_by_pillar": {
                pillar: rollup([a for a in actions if a.pillar == pillar])
                for pillar in sorted({a.pillar for a in actions})
            },
        }
    )


def show_status(current: PartnershipStatus, json_out: bool) -> None:
    set_aside = effects_set_aside()
    if json_out:
        emit(current.model_dump(mode="json") | {"failed_effects": [f.model_dump(mode="json") for f in set_aside]})
        return
    # "since" belongs to the state it follows: a pending notice is not what began on the in-effect date.
    version = f"text version {current.version}"
    if current.in_effect_since is None:
        echo(f"Partnership: {current.state} ({version})")
    elif current.state == "IN_EFFECT":
        echo(f"Partnership: {current.state} since {current.in_effect_since} ({version})")
    else:
        echo(f"Partnership: {current.state} (in effect since {current.in_effect_since}; {version})")
    for s in current.signatories:
        echo(
            f"  {s.participant.value:<4} signed {s.signed_on}  ({s.title}; "
            f"received {s.received_at:%Y-%m-%d %H:%M}Z, key {s.key_fingerprint})"
        )
    # Each Participant may have a notice pending (¶31); the earliest takes effect, so it comes first.
    for t in current.termination_notices or [t for t in [current.termination] if t]:
        echo(
            f"Termination: notice by {t.given_by}, received {t.received_at:%Y-%m-%d %H:%M}Z, "
            f"effective {t.effective_on} ({t.effective_at:%Y-%m-%d %H:%M}Z)"
        )
    for a in current.pending_amendments:
        echo(f"Pending amendment: {a.amendment_id} ({a.status}, {a.when()}) {a.summary}")
    for a in current.amendments_in_force:
        echo(f"Amendment in force: {a.amendment_id} from {a.effective_on} (version {a.version})")
    for change in current.catalogue_changes:  # walkthrough 3, F7: `--json` had them, the text not
        echo(f"Catalogue as amended: {change.line()}")
    if current.joint_actions.actions:
        echo(f"Joint actions: {progress_line(current.joint_actions)}")
        for pillar, r in current.joint_actions_by_pillar.items():
            echo(f"  pillar {pillar}: {progress_line(r)}")
    for c in current.open_consultations:
        echo(f"Open consultation: {c.consultation_id} about {c.about}: {c.summary}")
    for f in set_aside:
        echo(f"Set aside ({f.kind} of {f.workflow_id}, {f.failed_at:%Y-%m-%d %H:%M}Z): {f.effect_id}: {f.reason}")


async def catalogue_changes() -> list:
    try:
        return (await ask(Partnership.status)).catalogue_changes
    except EXPECTED as err:
        fail(explain(err))


def catalogue(
    json_out: JsonFlag = False,
    pillar: Annotated[int | None, typer.Option(help="Only this pillar (1-4).", min=1, max=4)] = None,
    area: Annotated[str | None, typer.Option(help="Only this policy area (slug or name).")] = None,
    in_force: Annotated[
        bool, typer.Option("--in-force", help="As amended (¶33), from the running Partnership; default as signed.")
    ] = False,
) -> None:
    """¶1, ¶8–27: the pillars, policy areas and joint-action commitments with their ¶ refs."""
    areas = amended_areas(asyncio.run(catalogue_changes())) if in_force else list(POLICY_AREAS)
    if area is not None:
        wanted = area.strip().lower()
        found = next((a for a in areas if wanted in (a.slug, a.name.lower())), None)
        if found is None:
            usage(f"no policy area {area!r}; known areas: {', '.join(a.slug for a in areas)}")
        areas = [found]
    if pillar is not None:
        areas = [a for a in areas if a.pillar == pillar]
    pillars = [p for p in PILLARS if any(a.pillar == p.number for a in areas)]
    if json_out:
        emit(
            [
                p.model_dump(mode="json")
                | {"areas": [a.model_dump(mode="json") for a in areas if a.pillar == p.number]}
                for p in pillars
            ]
        )
        return
    for p in pillars:
        echo(f"Pillar {p.number} (¶1{p.letter}): {p.name}")
        for a in (a for a in areas if a.pillar == p.number):
            paras = "–".join(str(n) for n in sorted(set(a.paragraphs[:1] + a.paragraphs[-1:]))) or "33 (by amendment)"
            echo(f"  {a.name} [{a.slug}] ¶{paras}")
            for c in a.commitments:
                echo(f"    {c.ref:<4} {c.title}")
