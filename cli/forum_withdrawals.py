"""`partnership forum …` withdrawals (issue 15): whoever filed a one-sided filing on a Forum cycle
withdraws it while it waits: an agenda item it added, its postponement, its agreement to the
agenda or a decision, its approval of the minutes. Each names the filing it withdraws."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import AsOption, echo, own_filing, run, usage, withdrawn
from cli.forum import YearOption, on_forum
from models.forum import AgendaItemWithdrawal, ForumView
from models.joint import JointFilings, JointWithdrawal, PendingFiling
from workflows.forum import ForumCycleWorkflow


@run
async def withdraw_item(
    filer: AsOption,
    ref: Annotated[str | None, typer.Option(help="The item's ¶ or commitment ref.")] = None,
    title: Annotated[str | None, typer.Option(help="Its title (where one ref has several).")] = None,
    year: YearOption = None,
) -> None:
    """Withdraw an agenda item you added (until the agenda is fixed)."""
    if not (ref or title):
        usage("name the item: --ref and/or --title")

    def naming(ident: str, view: ForumView) -> AgendaItemWithdrawal:
        said = " ".join((title or "").split()).casefold()
        named = [i for i in view.agenda if i.filing_id and ref in (None, i.ref)]
        named = [i for i in named if not said or " ".join(i.title.split()).casefold() == said]
        mine = [i for i in named if i.added_by is filer] or named  # another's: the rule says whose it is
        if len(mine) > 1:
            usage(f"{len(mine)} of {filer}'s items match; name one with --title: " + "; ".join(i.title for i in mine))
        return AgendaItemWithdrawal(filed_by=filer, forum_id=ident, withdraws=mine[0].filing_id if mine else "none")

    view = await on_forum(year, ForumCycleWorkflow.withdraw_item, naming, reads=True)
    echo(f"{view.summary.forum_id}: {len(view.agenda)} agenda items; the agenda needs both agreements again")


@run
async def postpone_withdraw(filer: AsOption, year: YearOption = None) -> None:
    """Withdraw your own postponement while it awaits the other Participant's."""

    def naming(ident: str, view: ForumView) -> JointWithdrawal:
        return JointWithdrawal(filed_by=filer, decision="postponement", withdraws=own_filing(view.postponements, filer))

    view = await on_forum(year, ForumCycleWorkflow.withdraw_joint_filing, naming, reads=True)
    echo(f"{view.summary.forum_id}: {withdrawn(view.postponements, filer)}; it is on {view.summary.on}")


@run
async def withdraw_agreement(
    to: Annotated[str, typer.Argument(help="What you agreed: agenda, minutes, or a decision's number.")],
    filer: AsOption,
    year: YearOption = None,
) -> None:
    """Withdraw your agreement to the agenda or a decision, or your approval of the minutes, while
    it awaits the other Participant's."""
    if to not in ("agenda", "minutes") and not to.isdigit():
        usage(f"withdraw your agreement to: agenda, minutes or a decision's number, not {to!r}")

    def naming(ident: str, view: ForumView) -> JointWithdrawal:
        number = int(to) if to.isdigit() else None
        if to == "agenda":
            filed = view.agenda_agreements
        elif to == "minutes":
            filed = view.minutes_approvals
        else:
            found = [d for d in view.decisions if d.number == number]
            agreements = found[0].agreements if found else []
            filed = JointFilings(filed={a.filed_by: PendingFiling(filing_id=a.filing_id, terms={}) for a in agreements})
        kind = {"agenda": "agenda-agreement", "minutes": "minutes-approval"}.get(to, "decision-agreement")
        return JointWithdrawal(filed_by=filer, decision=kind, withdraws=own_filing(filed, filer), number=number)  # type: ignore[arg-type]

    view = await on_forum(year, ForumCycleWorkflow.withdraw_joint_filing, naming, reads=True)
    echo(f"{view.summary.forum_id}: your agreement to the {'decision ' if to.isdigit() else ''}{to} is withdrawn")


def register(forum_app: typer.Typer, agenda_app: typer.Typer) -> None:
    agenda_app.command("withdraw")(withdraw_item)
    forum_app.command("postpone-withdraw")(postpone_withdraw)
    forum_app.command("withdraw-agreement")(withdraw_agreement)
