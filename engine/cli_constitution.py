"""`partnership amendment …`, `partnership termination …` and `partnership text`: the
constitutional filings of ¶31–33, each a signed instrument filed as an Update."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError

from engine.bootstrap import TEXT_PATH
from engine.cli_support import (
    AsOption,
    JsonFlag,
    ask,
    client,
    emit,
    file_on,
    parse_date,
    partnership,
    query_or_explain,
    run,
    signed_as,
    usage,
)
from models.amendment import (
    AmendmentConsent,
    AmendmentDecline,
    AmendmentProposal,
    AmendmentSummary,
    AmendmentView,
    AmendmentWithdrawal,
    CatalogueChange,
)
from models.partnership import PartnershipStatus, TerminationNotice, TerminationWithdrawal
from workflows.amendment import AmendmentWorkflow
from workflows.partnership import PARTNERSHIP_ID, PartnershipWorkflow

amendment_app = typer.Typer(help="¶33: amendments by the mutual written consent of UK and ROK.")
termination_app = typer.Typer(help="¶31–32: written notice of termination, six months in advance.")

IdArgument = Annotated[str, typer.Argument(help="Amendment id, or just its number (1, 2, …).")]


def no_such(ident: str) -> str:
    return f"no amendment {ident}; `partnership amendment list` shows them"


def amendment_id(value: str) -> str:
    return f"{PARTNERSHIP_ID}-amendment-{value}" if value.isdigit() else value


async def status_now() -> PartnershipStatus:
    return await ask(PartnershipWorkflow.status)


# Amendments ---------------------------------------------------------------------------------------


@amendment_app.command("propose")
@run
async def propose(
    filer: AsOption,
    paragraph: Annotated[list[int], typer.Option("--paragraph", help="A ¶ the amendment changes.")],
    text_file: Annotated[Path, typer.Option(help="File with the amended wording.", exists=True)],
    summary: Annotated[str, typer.Option(help="One line saying what changes.")] = "",
    respond_by: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default 90 days.")] = None,
    effective_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default on consent.")] = None,
    catalogue_file: Annotated[Path | None, typer.Option(help="JSON list of catalogue changes.", exists=True)] = None,
) -> None:
    """Propose an amendment; the proposal is your written consent. Prints its id."""
    changes: list[CatalogueChange] = []
    if catalogue_file is not None:
        try:
            changes = TypeAdapter(list[CatalogueChange]).validate_json(catalogue_file.read_text())
        except ValidationError as err:
            usage(f"{catalogue_file} is not a list of catalogue changes: {err.errors()[0]['msg']}")
    proposal = AmendmentProposal(
        filed_by=filer,
        paragraphs=paragraph,
        text=text_file.read_text(),
        summary=summary,
        respond_by=parse_date(respond_by, "--respond-by"),
        effective_on=parse_date(effective_on, "--effective-on"),
        catalogue_changes=changes,
    )
    handle = await partnership()
    receipt = await handle.execute_update(PartnershipWorkflow.propose_amendment, signed_as(proposal))
    typer.echo(receipt.amendment_id)
    typer.echo(f"awaiting the other Participant's written consent by {receipt.respond_by}", err=True)


def file_on_amendment(ident: str, update: Any, filing: Any) -> Any:
    return file_on(ident, update, filing, AmendmentWorkflow.show, "amendment")


@amendment_app.command("consent")
@run
async def consent(ident: IdArgument, filer: AsOption) -> None:
    """Give your written consent to the other Participant's proposal."""
    ident = amendment_id(ident)
    view = await file_on_amendment(
        ident, AmendmentWorkflow.consent, AmendmentConsent(filed_by=filer, amendment_id=ident)
    )
    typer.echo(f"{ident} {view.status}: in effect on {view.effective_on}")


@amendment_app.command("decline")
@run
async def decline(ident: IdArgument, filer: AsOption, reason: Annotated[str, typer.Option(help="Why.")]) -> None:
    """Decline the other Participant's proposal."""
    ident = amendment_id(ident)
    view = await file_on_amendment(
        ident,
        AmendmentWorkflow.decline,
        AmendmentDecline(filed_by=filer, amendment_id=ident, reason=reason),
    )
    typer.echo(f"{ident} {view.status}")


@amendment_app.command("withdraw")
@run
async def withdraw(ident: IdArgument, filer: AsOption) -> None:
    """Withdraw your own proposal (until the other Participant consents)."""
    ident = amendment_id(ident)
    view = await file_on_amendment(
        ident, AmendmentWorkflow.withdraw, AmendmentWithdrawal(filed_by=filer, amendment_id=ident)
    )
    typer.echo(f"{ident} {view.status}")


@amendment_app.command("list")
@run
async def list_amendments(json_out: JsonFlag = False) -> None:
    """Every amendment proposed, with its status."""
    summaries: list[AmendmentSummary] = await ask(PartnershipWorkflow.amendments)
    if json_out:
        emit(summaries)
        return
    if not summaries:
        typer.echo("no amendments proposed")
    for a in summaries:
        paragraphs = ",".join(f"¶{p}" for p in a.paragraphs)
        when = f"in effect {a.effective_on} (v{a.version})" if a.version else f"respond by {a.respond_by}"
        typer.echo(f"{a.amendment_id:<28} {a.status:<10} {a.proposed_by:<4} {paragraphs:<12} {when}  {a.summary}")


@amendment_app.command("show")
@run
async def show_amendment(ident: IdArgument, json_out: JsonFlag = False) -> None:
    """One amendment in full."""
    ident = amendment_id(ident)
    handle = (await client()).get_workflow_handle(ident)
    view: AmendmentView = await query_or_explain(
        handle, AmendmentWorkflow.show, f"no amendment {ident}; `partnership amendment list` shows them"
    )
    if json_out:
        emit(view)
        return
    proposed = f"{view.proposed_at:%Y-%m-%d %H:%MZ}"
    typer.echo(f"{view.amendment_id}: {view.status} — proposed by {view.proposed_by} at {proposed}")
    typer.echo(f"  paragraphs: {', '.join(f'¶{p}' for p in view.paragraphs)}; respond by {view.respond_by}")
    if view.consent_needed_from:
        typer.echo(f"  awaiting the written consent of {view.consent_needed_from}")
    if view.effective_on:
        typer.echo(f"  effective on {view.effective_on}")
    if view.reason:
        typer.echo(f"  reason: {view.reason}")
    if view.summary:
        typer.echo(f"  summary: {view.summary}")
    typer.echo("")
    typer.echo(view.text.rstrip())


# Termination --------------------------------------------------------------------------------------


@termination_app.command("notify")
@run
async def notify(
    filer: AsOption,
    effective_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default the earliest permissible date.")] = None,
) -> None:
    """Give written notice of termination to the other Participant (¶31)."""
    notice = TerminationNotice(filed_by=filer, effective_on=parse_date(effective_on, "--effective-on"))
    handle = await partnership()
    receipt = await handle.execute_update(PartnershipWorkflow.give_termination_notice, signed_as(notice))
    typer.echo(
        f"notice received {receipt.received_at:%Y-%m-%d %H:%MZ}; the Partnership terminates on "
        f"{receipt.effective_on} ({receipt.effective_at:%Y-%m-%d %H:%MZ}) unless withdrawn"
    )


@termination_app.command("withdraw")
@run
async def withdraw_notice(filer: AsOption) -> None:
    """Withdraw the notice you gave, before it takes effect."""
    handle = await partnership()
    status = await handle.execute_update(
        PartnershipWorkflow.withdraw_termination_notice, signed_as(TerminationWithdrawal(filed_by=filer))
    )
    typer.echo(f"notice withdrawn; the Partnership is {status.state}")


@termination_app.command("show")
@run
async def show_termination(json_out: JsonFlag = False) -> None:
    """The pending (or effective) termination notice, if any."""
    status = await status_now()
    if json_out:
        emit(status.termination.model_dump(mode="json") if status.termination else None)  # type: ignore[arg-type]
        return
    t = status.termination
    if t is None:
        typer.echo(f"no termination notice; the Partnership is {status.state}")
        return
    typer.echo(
        f"{status.state}: notice given by {t.given_by} to {t.recipient}, received "
        f"{t.received_at:%Y-%m-%d %H:%MZ}; effective {t.effective_on} ({t.effective_at:%Y-%m-%d %H:%MZ})"
    )


# The consolidated text ------------------------------------------------------------------------------

PARAGRAPH_START = re.compile(r"^(\d+)\. ", re.MULTILINE)


@run
async def text(json_out: JsonFlag = False) -> None:
    """The consolidated text: each ¶ as signed, with the amendments in force listed under it."""
    status = await status_now()
    signed = TEXT_PATH.read_text()
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
