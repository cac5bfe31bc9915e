"""`partnership forum …`: the annual Forum cycle of ¶7, run by the secretariat, co-chaired by both."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import (
    JsonFlag,
    Refused,
    ask,
    client,
    day,
    day_option,
    file_on,
    file_on_partnership,
    query_or_explain,
    read_text,
    run,
    usage,
    with_closed,
)
from cli.joint_filings import awaiting, pending_lines
from cli.options import AsOption, ParticipantAs, SecretariatAs
from cli.output import echo, emit, table
from models.forum import (
    AgendaAgreement,
    AgendaItemFiling,
    CoChairNomination,
    Convening,
    DecisionAgreement,
    DecisionKind,
    DecisionTabled,
    ForumCalendar,
    ForumConvocation,
    ForumStage,
    ForumSummary,
    ForumView,
    Ministry,
    MinutesApproval,
    MinutesFiling,
    Postponement,
    Rank,
    agenda_digest,
    minutes_digest,
)
from models.identities import Identity
from rules.p07_co_chairs import co_chair_ministry, default_rank
from rules.p07_schedule import usual_date_problem
from workflows.forum import ForumCycleWorkflow
from workflows.partnership import PartnershipWorkflow

forum_app = typer.Typer(help="¶7: the annual Forum: agenda, co-chairs, meeting, decisions, minutes.")
agenda_app = typer.Typer(help="The Forum's agenda: items, standing items, agreement by both.")
schedule_app = typer.Typer(help="The Forum's usual date, from which each year's cycle starts itself.")
forum_app.add_typer(agenda_app, name="agenda")
forum_app.add_typer(schedule_app, name="schedule")

YearOption = Annotated[int | None, typer.Option("--year", help="The cycle's year; default the latest open one.")]
ShownYear = Annotated[int | None, typer.Argument(help="The cycle's year; default the latest.", metavar="YEAR")]


async def cycles() -> list[ForumSummary]:
    found = await with_closed(PartnershipWorkflow.forums, "forum", ForumSummary, "forum_id")
    return sorted(found, key=lambda f: f.year)


async def forum_id(year: int | None, closed_too: bool = False) -> str:
    """The cycle of `year`; without one, the latest open cycle (reads: the latest of all)."""
    known = await cycles()
    if year is not None:
        for cycle in known:
            if cycle.year == year:
                return cycle.forum_id
        raise Refused(
            f"no Forum cycle for {year}; start it with `partnership forum start --as SECRETARIAT --year {year}`"
        )
    open_cycles = [c for c in known if closed_too or c.stage is not ForumStage.CLOSED]
    if not open_cycles:
        raise Refused("no open Forum cycle; start one with `partnership forum start --as SECRETARIAT --year Y`")
    return open_cycles[-1].forum_id


async def on_forum(year: int | None, update: Any, make: Any, reads: bool = False) -> Any:
    """File on the year's cycle; `make(ident)` builds the filing, or `make(ident, view)` where
    the filing signs what the cycle shows now (`reads`: the agenda, the minutes, a decision)."""
    ident = await forum_id(year)
    if reads:
        handle = (await client()).get_workflow_handle(ident)
        view = await query_or_explain(handle, ForumCycleWorkflow.show, f"no Forum cycle {ident}")
        filing = make(ident, view)
    else:
        filing = make(ident)
    return await file_on(ident, update, filing, ForumCycleWorkflow.show, "forum")


def tabling_of(view: ForumView, number: int) -> str:
    """The tabling instrument a decision agreement names (the workflow's rule words a bad number)."""
    if 1 <= number <= len(view.decisions) and view.decisions[number - 1].tabling is not None:
        return view.decisions[number - 1].tabling.filing_id
    return "none"


async def view_of(year: int | None, closed_too: bool = False) -> ForumView:
    ident = await forum_id(year, closed_too)
    handle = (await client()).get_workflow_handle(ident)
    return await query_or_explain(handle, ForumCycleWorkflow.show, f"no Forum cycle {ident}")


@forum_app.command("start")
@run
async def start(
    filer: SecretariatAs,
    year: Annotated[int, typer.Option(help="The Forum's year.")],
    on: Annotated[datetime | None, day_option("A date in that year; default 22 November.")] = None,
    venue: Annotated[str, typer.Option(help="Where it meets.")] = "",
    host: Annotated[Identity | None, typer.Option(help="UK or ROK; default alternates by year.")] = None,
) -> None:
    """Start the year's Forum cycle (secretariat only): the call for agenda items goes out."""
    convocation = ForumConvocation(filed_by=filer, year=year, on=day(on), venue=venue, host=host)
    receipt = await file_on_partnership(PartnershipWorkflow.start_forum, convocation)
    echo(receipt.forum_id)
    echo(f"Forum on {receipt.on}; agenda items due by {receipt.agenda_deadline}", err=True)


@forum_app.command("nominate")
@run
async def nominate(
    filer: ParticipantAs,
    name: Annotated[str, typer.Option(help="The co-chair's name.")],
    title: Annotated[str, typer.Option(help="Their own title, e.g. 'Second Vice Minister of Science and ICT'.")],
    ministry: Annotated[
        Ministry | None, typer.Option(help="The ministry they serve in (¶7): ROK MSIT, UK DSIT; default your own.")
    ] = None,
    rank: Annotated[
        Rank | None,
        typer.Option(
            help="Their rank (¶7): ROK first-vice-minister or second-vice-minister; UK secretary-of-state, "
            "minister-of-state or parliamentary-under-secretary-of-state. Default: the rank the title names, "
            "else first-vice-minister (ROK) or minister-of-state (UK)."
        ),
    ] = None,
    year: YearOption = None,
) -> None:
    """Nominate your own side's co-chair (¶7): a Vice Minister of MSIT, or a minister at DSIT."""
    nomination = CoChairNomination(
        filed_by=filer,
        name=name,
        ministry=ministry or co_chair_ministry(filer),
        rank=rank or default_rank(filer, title),
        title=title,
    )
    view = await on_forum(year, ForumCycleWorkflow.nominate, lambda _: nomination)
    echo(f"{view.summary.forum_id}: co-chairs " + ", ".join(f"{p} {c.name}" for p, c in view.co_chairs.items()))


@agenda_app.command("add")
@run
async def add_item(
    filer: AsOption,
    title: Annotated[str, typer.Option(help="The item.")],
    ref: Annotated[str | None, typer.Option(help="A ¶ or commitment ref.")] = None,
    year: YearOption = None,
) -> None:
    """Add an agenda item (until the call for items closes)."""
    view = await on_forum(
        year, ForumCycleWorkflow.add_item, lambda i: AgendaItemFiling(filed_by=filer, forum_id=i, title=title, ref=ref)
    )
    echo(f"{view.summary.forum_id}: {len(view.agenda)} agenda items")


@agenda_app.command("agree")
@run
async def agree_agenda(filer: ParticipantAs, year: YearOption = None) -> None:
    """Agree the agenda; it is fixed when both Participants have agreed."""
    view = await on_forum(
        year,
        ForumCycleWorkflow.agree_agenda,
        lambda i, v: AgendaAgreement(filed_by=filer, forum_id=i, agenda_sha256=agenda_digest(v.agenda)),
        reads=True,
    )
    echo(f"{view.summary.forum_id}: {view.summary.stage}; agreed by {', '.join(view.agenda_agreed_by)}")


@agenda_app.command("show")
@run
async def show_agenda(year: YearOption = None, json_out: JsonFlag = False) -> None:
    """The agenda: standing items first, then those added."""
    view = await view_of(year)
    if json_out:
        emit(view.agenda)
        return
    echo(f"Agenda of {view.summary.forum_id} ({view.agenda_state()})")
    for i, item in enumerate(view.agenda, 1):
        who = "standing" if item.standing else f"added by {item.added_by}"
        echo(f"  {i:>2}. {item.title}  [{who}{', ¶' + item.ref if item.ref else ''}]")


@forum_app.command("postpone")
@run
async def postpone(
    filer: ParticipantAs, to: Annotated[datetime, day_option("The new date.")], year: YearOption = None
) -> None:
    """Move the Forum; it moves when both Participants file the same new date."""
    new_date = day(to)
    view = await on_forum(
        year, ForumCycleWorkflow.postpone, lambda i: Postponement(filed_by=filer, forum_id=i, to=new_date)
    )
    if view.postponements:
        echo(f"{view.summary.forum_id}: {awaiting(view.postponements, filer)}; it moves to {new_date} when it does")
    else:
        echo(f"{view.summary.forum_id} is on {view.summary.on}")


@forum_app.command("convene")
@run
async def convene(
    filer: SecretariatAs,
    attendees_file: Annotated[Path, typer.Option(exists=True, help="Who attended, one name a line.")],
    year: YearOption = None,
) -> None:
    """Record that the Forum met (secretariat)."""
    names = [n.strip() for n in read_text(attendees_file).splitlines() if n.strip()]
    view = await on_forum(
        year, ForumCycleWorkflow.convene, lambda i: Convening(filed_by=filer, forum_id=i, attendees=names)
    )
    echo(f"{view.summary.forum_id} {view.summary.stage} with {len(view.attendees)} attendees")


@forum_app.command("decide")
@run
async def decide(
    filer: SecretariatAs,
    text: Annotated[str, typer.Option(help="The decision.")],
    ref: Annotated[str | None, typer.Option(help="A ¶ or commitment ref.")] = None,
    kind: Annotated[DecisionKind, typer.Option(help="What the decision does.")] = "general",
    lead_uk: Annotated[
        str | None, typer.Option(help="set-group-leads (--ref is the area) or launch-joint-action: the UK lead.")
    ] = None,
    lead_rok: Annotated[str | None, typer.Option(help="set-group-leads or launch-joint-action: the ROK lead.")] = None,
    cadence_months: Annotated[
        int | None,
        typer.Option(help="set-group-leads: months between progress reports (open actions follow it).", min=1, max=12),
    ] = None,
    year: YearOption = None,
) -> None:
    """Table a decision (secretariat); it is taken when both co-chairs' sides agree it."""
    decision = await on_forum(
        year,
        ForumCycleWorkflow.table_decision,
        lambda i: DecisionTabled(
            filed_by=filer,
            forum_id=i,
            text=text,
            ref=ref,
            kind=kind,
            lead_uk=lead_uk,
            lead_rok=lead_rok,  # type: ignore[arg-type]
            cadence_months=cadence_months,
        ),
    )
    echo(decision.number)
    echo("tabled; it is taken when UK and ROK both file `forum agree`", err=True)


@forum_app.command("agree")
@run
async def agree_decision(
    decision: Annotated[int, typer.Argument(help="The decision's number.", metavar="DECISION")],
    filer: ParticipantAs,
    year: YearOption = None,
) -> None:
    """Agree a tabled decision; the second Participant's agreement takes it."""
    taken = await on_forum(
        year,
        ForumCycleWorkflow.agree_decision,
        lambda i, v: DecisionAgreement(filed_by=filer, forum_id=i, decision=decision, tabled=tabling_of(v, decision)),
        reads=True,
    )
    echo(f"decision {taken.number} " + ("taken" if taken.taken_at else "awaits the other Participant"))


@forum_app.command("minutes")
@run
async def minutes(
    filer: SecretariatAs, file: Annotated[Path, typer.Option(exists=True, help="The minutes.")], year: YearOption = None
) -> None:
    """File the minutes (secretariat); both Participants then approve them."""
    text = read_text(file)
    view = await on_forum(
        year, ForumCycleWorkflow.file_minutes, lambda i: MinutesFiling(filed_by=filer, forum_id=i, text=text)
    )
    echo(f"{view.summary.forum_id}: minutes filed; awaiting approval by UK and ROK")


@forum_app.command("approve")
@run
async def approve(filer: ParticipantAs, year: YearOption = None) -> None:
    """Approve the minutes; approved by both, they are published and the cycle closes."""
    view = await on_forum(
        year,
        ForumCycleWorkflow.approve_minutes,
        lambda i, v: MinutesApproval(filed_by=filer, forum_id=i, minutes_sha256=minutes_digest(v.minutes or "")),
        reads=True,
    )
    echo(f"{view.summary.forum_id} {view.summary.stage}")


@forum_app.command("list")
@run
async def list_forums(json_out: JsonFlag = False) -> None:
    """Every Forum cycle."""
    known = await cycles()
    if json_out:
        emit(known)
        return
    if not known:
        echo("no Forum cycles yet")
        return
    table(
        ["cycle", "on", "stage", "host", "venue"],
        [
            [c.forum_id, c.on, f"{c.stage}{' OVERDUE' if c.overdue and c.stage is not ForumStage.CLOSED else ''}"]
            + [c.host, c.venue]
            for c in known
        ],
    )


@forum_app.command("show")
@run
async def show(year: ShownYear = None, json_out: JsonFlag = False) -> None:
    """One cycle in full."""
    view = await view_of(year, closed_too=True)
    if json_out:
        emit(view)
        return
    s = view.summary
    venue = f", {s.venue}" if s.venue else ""
    echo(f"{s.forum_id}: {s.stage}{' (OVERDUE)' if s.overdue else ''} — {s.on}, host {s.host}{venue}")
    for side, chair in view.co_chairs.items():
        echo(f"  co-chair {side}: {chair.name}, {chair.title} ({chair.rank.label}, {chair.ministry})")
    agreed = ", ".join(view.agenda_agreed_by) or "nobody yet"
    echo(f"  agenda: {len(view.agenda)} items, {view.agenda_state()}, agreed by {agreed}")
    for line in pending_lines(view.postponements, "postponement"):
        echo(line)
    for d in view.decisions:
        echo(f"  decision {d.number} [{d.kind}] {'taken' if d.taken_at else 'tabled'}: {d.text}")
    if view.minutes is not None:
        echo(f"  minutes approved by {', '.join(view.minutes_approved_by) or 'nobody yet'}")


@forum_app.command("calendar")
@run
async def calendar(year: ShownYear = None) -> None:
    """The meeting and deadlines as iCalendar: `partnership forum calendar 2027 > forum.ics`."""
    from cli.forum_calendar import forum_calendar  # icalendar only for this command

    typer.echo(forum_calendar(await view_of(year, closed_too=True)), nl=False)


@schedule_app.command("show")
@run
async def schedule_show(json_out: JsonFlag = False) -> None:
    """The Forum's usual date, and when the next cycle starts itself."""
    view = await ask(PartnershipWorkflow.forum_calendar)
    if json_out:
        emit(view)
    elif view.month is None:
        echo("no usual date is set: cycles start by hand (`partnership forum schedule set --as SECRETARIAT`)")
    else:
        echo(view.line())


@schedule_app.command("set")
@run
async def schedule_set(
    filer: SecretariatAs,
    month: Annotated[int, typer.Option(min=1, max=12, help="The Forum's usual month.")],
    day: Annotated[int, typer.Option(min=1, max=31, help="The Forum's usual day.")],
) -> None:
    """Set the Forum's usual date (secretariat); each cycle starts itself 90 days before it."""
    if problem := usual_date_problem(month, day):
        usage(problem)
    view = await file_on_partnership(
        PartnershipWorkflow.set_forum_calendar, ForumCalendar(filed_by=filer, month=month, day=day)
    )
    echo(view.line())
