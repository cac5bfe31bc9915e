"""`partnership status`, `partnership catalogue`, `partnership text`: the Partnership's state, the
catalogue of ¶1 and ¶8–27, and the consolidated text with the amendments in force (¶33)."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

import typer

from cli.action import progress_line
from cli.common import EXPECTED, JsonFlag, ask, client, emit, explain, fail, run, usage
from models.amendment import AmendmentSummary
from models.catalogue import PILLARS, POLICY_AREAS, amended_areas
from models.partnership import PartnershipStatus
from models.text import agreement_text
from workflows.partnership import PartnershipWorkflow

PARAGRAPH_START = re.compile(r"^(\d+)\. ", re.MULTILINE)


@run
async def text(json_out: JsonFlag = False) -> None:
    """The consolidated text: each ¶ as signed, with the amendments in force listed under it."""
    status = await ask(PartnershipWorkflow.status)
    signed = agreement_text()
    starts = [(int(m.group(1)), m.start()) for m in PARAGRAPH_START.finditer(signed)]
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
                        "paragraph": n,
                        "text": signed[start : (starts[i + 1][1] if i + 1 < len(starts) else None)].strip(),
                        "amendments": [a.model_dump(mode="json") for a in by_paragraph.get(n, [])],
                    }
                    for i, (n, start) in enumerate(starts)
                ],
            }
        )
        return
    typer.echo(f"Consolidated text, version {status.version}\n")
    cursor = 0
    for i, (n, _) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else len(signed)
        typer.echo(signed[cursor:end].rstrip() + "\n")
        for a in by_paragraph.get(n, []):
            typer.echo(f"   [Amended by {a.amendment_id}, in effect {a.effective_on}, version {a.version}]")
            typer.echo("   " + a.text.strip().replace("\n", "\n   ") + "\n")
        cursor = end


# Reads ---------------------------------------------------------------------------------------------


@run
async def status(json_out: JsonFlag = False) -> None:
    """State of the Partnership: IN_EFFECT since when, text version, signatories."""
    from audit.health import stuck_workflows
    from workflows.partnership import PARTNERSHIP_ID

    stuck = await stuck_workflows(await client(), look_at=[PARTNERSHIP_ID])
    for s in stuck:
        typer.echo(s.line(), err=True)
    if any(s.workflow_id == PARTNERSHIP_ID for s in stuck):
        fail("the Partnership cannot answer until its workflow task is repaired (README: a stuck workflow)")
    current = await ask(PartnershipWorkflow.status)
    if json_out:
        emit(current.model_dump(mode="json") | {"stuck": [s.model_dump() for s in stuck]})
        return
    show_status(current, json_out)


def show_status(current: PartnershipStatus, json_out: bool) -> None:
    if json_out:
        emit(current)
        return
    since = f" since {current.in_effect_since}" if current.in_effect_since else ""
    typer.echo(f"Partnership: {current.state}{since} (text version {current.version})")
    for s in current.signatories:
        typer.echo(
            f"  {s.participant.value:<4} signed {s.signed_on}  ({s.title}; "
            f"received {s.received_at:%Y-%m-%d %H:%M}Z, key {s.key_fingerprint})"
        )
    if t := current.termination:
        typer.echo(
            f"Termination: notice by {t.given_by}, received {t.received_at:%Y-%m-%d %H:%M}Z, "
            f"effective {t.effective_on} ({t.effective_at:%Y-%m-%d %H:%M}Z)"
        )
    for a in current.pending_amendments:
        typer.echo(f"Pending amendment: {a.amendment_id} ({a.status}, respond by {a.respond_by}) {a.summary}")
    for a in current.amendments_in_force:
        typer.echo(f"Amendment in force: {a.amendment_id} from {a.effective_on} (version {a.version})")
    if current.joint_actions.actions:
        typer.echo(f"Joint actions: {progress_line(current.joint_actions)}")
        for pillar, r in current.joint_actions_by_pillar.items():
            typer.echo(f"  pillar {pillar}: {progress_line(r)}")
    for c in current.open_consultations:
        typer.echo(f"Open consultation: {c.consultation_id} about {c.about}: {c.summary}")


async def catalogue_changes() -> list:
    from workflows.partnership import PartnershipWorkflow

    try:
        return (await ask(PartnershipWorkflow.status)).catalogue_changes
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
        typer.echo(f"Pillar {p.number} (¶1{p.letter}): {p.name}")
        for a in (a for a in areas if a.pillar == p.number):
            paras = "–".join(str(n) for n in sorted(set(a.paragraphs[:1] + a.paragraphs[-1:]))) or "33 (by amendment)"
            typer.echo(f"  {a.name} [{a.slug}] ¶{paras}")
            for c in a.commitments:
                typer.echo(f"    {c.ref:<4} {c.title}")
