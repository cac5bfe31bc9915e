"""`partnership forum …` withdrawals (issue 15): whoever filed a one-sided filing on a Forum cycle
withdraws it while it waits: an agenda item it added, its postponement, its agreement to the
agenda or a decision, its approval of the minutes. Each names the filing it withdraws."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import run, usage
from cli.forum import YearOption, on_forum
from cli.joint_filings import withdrawn
from cli.options import AsOption, ParticipantAs
from cli.output import echo
from cli.withdrawals import AmbiguousItem, item_withdrawal_of, withdrawal_of
from models.forum import AgendaItemWithdrawal, ForumView
from models.joint import JointWithdrawal
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
        try:
            return item_withdrawal_of(filer, view, ref, title)
        except AmbiguousItem as err:
            usage(f"{err} (--title)")

    view = await on_forum(year, ForumCycleWorkflow.withdraw_item, naming, reads=True)
    items = f"{view.summary.forum_id}: {len(view.agenda)} agenda items"
    echo(f"{items}; the agenda as it now stands awaits both agreements")


@run
async def postpone_withdraw(filer: ParticipantAs, year: YearOption = None) -> None:
    """Withdraw your own postponement while it awaits the other Participant's."""

    def naming(ident: str, view: ForumView) -> JointWithdrawal:
        return withdrawal_of(filer, "postponement", view)

    view = await on_forum(year, ForumCycleWorkflow.withdraw_joint_filing, naming, reads=True)
    echo(f"{view.summary.forum_id}: {withdrawn(view.postponements, filer)}; it is on {view.summary.on}")


@run
async def withdraw_agreement(
    to: Annotated[
        str, typer.Argument(help="What you agreed: agenda, minutes, or a decision's number.", metavar="WHAT")
    ],
    filer: ParticipantAs,
    year: YearOption = None,
) -> None:
    """Withdraw your agreement to the agenda or a decision, or your approval of the minutes, while
    it awaits the other Participant's."""
    if to not in ("agenda", "minutes") and not to.isdecimal():
        usage(f"withdraw your agreement to: agenda, minutes or a decision's number, not {to!r}")
    kind = {"agenda": "agenda-agreement", "minutes": "minutes-approval"}.get(to, "decision-agreement")

    def naming(ident: str, view: ForumView) -> JointWithdrawal:
        return withdrawal_of(filer, kind, view, number=int(to) if to.isdecimal() else None)  # type: ignore[arg-type]

    view = await on_forum(year, ForumCycleWorkflow.withdraw_joint_filing, naming, reads=True)
    echo(f"{view.summary.forum_id}: your agreement to the {'decision ' if to.isdecimal() else ''}{to} is withdrawn")


def register(forum_app: typer.Typer, agenda_app: typer.Typer) -> None:
    agenda_app.command("withdraw")(withdraw_item)
    forum_app.command("postpone-withdraw")(postpone_withdraw)
    forum_app.command("withdraw-agreement")(withdraw_agreement)
