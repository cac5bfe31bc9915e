"""¶7: the annual Forum, started by the secretariat (or the yearly Schedule), co-chaired by a
Vice Minister of MSIT and a Minister at DSIT; agenda, meeting, decisions and minutes need both."""

from __future__ import annotations

import calendar
import inspect
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest

from activities.register import decisions, register_engine
from cli.forum_calendar import forum_calendar
from models.calendar import local_midnight
from models.forum import (
    AgendaItemFiling,
    Convening,
    DecisionTabled,
    ForumCalendar,
    ForumConvocation,
    ForumStage,
    Ministry,
    MinutesFiling,
    Postponement,
    Rank,
)
from models.identities import Identity
from models.joint import JointWithdrawal
from models.messages import TakenDecision
from rules.p07_schedule import next_forum_date
from tests.helpers import (
    agenda_agreement,
    decision_agreement,
    effects_done,
    eventually,
    minutes_approval,
    nomination,
    rejected,
    signed,
    sleep_until,
    subjects,
)
from workflows.forum import ForumCycleWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

UK_CHAIR = ("Jane Doe", "Minister of State for Digital")
ROK_CHAIR = ("Kim Min-ji", "Second Vice Minister of Science and ICT")


async def start(partnership, client, year: int, on: date | None = None, host=Identity.ROK):
    receipt = await partnership.execute_update(
        PartnershipWorkflow.start_forum,
        signed(
            ForumConvocation(filed_by=Identity.SECRETARIAT, year=year, on=on, venue="Seoul", host=host), to=partnership
        ),
    )
    forum = client.get_workflow_handle(receipt.forum_id)
    await forum.query(ForumCycleWorkflow.show)
    return forum


async def both(forum, update, make):
    for side in (Identity.UK, Identity.ROK):
        filing = make(side)
        filing = await filing if inspect.isawaitable(filing) else filing
        result = await forum.execute_update(update, signed(filing, to=forum))
    return result


async def ready_to_meet(forum):
    for side, (name, title) in ((Identity.UK, UK_CHAIR), (Identity.ROK, ROK_CHAIR)):
        await forum.execute_update(ForumCycleWorkflow.nominate, signed(nomination(side, name, title), to=forum))
    return await both(forum, ForumCycleWorkflow.agree_agenda, lambda s: agenda_agreement(forum, s))


async def convened(time_env, partnership, days: int = 45):
    """A Forum cycle `days` ahead on the test server's clock, ready, met on its day and convened."""
    on = (await time_env.get_current_time() + timedelta(days=days)).date()
    forum = await start(partnership, time_env.client, on.year, on=on)
    await ready_to_meet(forum)
    await sleep_until(time_env, local_midnight(on, Identity.ROK) + timedelta(hours=2))
    attendance = Convening(filed_by=Identity.SECRETARIAT, forum_id=forum.id, attendees=["Jane Doe", "Kim Min-ji"])
    await forum.execute_update(ForumCycleWorkflow.convene, signed(attendance, to=forum))
    return forum


# Filings refused, and nothing written (real dev server) ----------------------------------------------


async def test_only_the_secretariat_starts_one_cycle_a_year(local_env, partnership):
    year = date.today().year + 1
    by_uk = signed(ForumConvocation(filed_by=Identity.UK, year=year))
    assert await rejected(partnership, PartnershipWorkflow.start_forum, by_uk) == (
        "only the SECRETARIAT starts a Forum cycle, not UK"
    )
    wrong_year = signed(ForumConvocation(filed_by=Identity.SECRETARIAT, year=year, on=date(year + 1, 1, 5)))
    message = await rejected(partnership, PartnershipWorkflow.start_forum, wrong_year)
    assert message.startswith(f"the Forum date {year + 1}-01-05 is not in {year}")
    forum = await start(partnership, local_env.client, year)
    assert forum.id.endswith(f"forum-{year}")
    again = signed(ForumConvocation(filed_by=Identity.SECRETARIAT, year=year))
    message = await rejected(partnership, PartnershipWorkflow.start_forum, again)
    assert message == f"the {year} Forum cycle has already started; one cycle per year"

    # ¶7: a co-chair's ministry, rank and title; each refusal leaves no event (helpers.rejected).
    permanent = signed(nomination(Identity.UK, "J. Doe", "Permanent Secretary"), to=forum)
    message = await rejected(forum, ForumCycleWorkflow.nominate, permanent)
    assert message.startswith("¶7: the title 'Permanent Secretary' names a civil-service rank ('permanent secretary')")
    shadow = signed(nomination(Identity.UK, "J. Doe", "Shadow Secretary of State for Science"), to=forum)
    message = await rejected(forum, ForumCycleWorkflow.nominate, shadow)
    assert message.startswith("¶7: the title 'Shadow Secretary of State for Science' says its holder does not hold")
    trade = signed(nomination(Identity.ROK, "K. Lee", "Vice Minister of Trade, Industry and Energy"), to=forum)
    message = await rejected(forum, ForumCycleWorkflow.nominate, trade)
    assert message.startswith("¶7: the title 'Vice Minister of Trade, Industry and Energy' names another ministry")
    elsewhere = signed(nomination(Identity.ROK, "K. Lee", "Vice Minister", ministry=Ministry.DSIT), to=forum)
    message = await rejected(forum, ForumCycleWorkflow.nominate, elsewhere)
    assert message == "¶7: the ROK co-chair is of the Ministry of Science and ICT (--ministry MSIT), not DSIT"
    by_secretariat = signed(nomination(Identity.SECRETARIAT, "X", "Vice Minister"), to=forum)
    message = await rejected(forum, ForumCycleWorkflow.nominate, by_secretariat)
    assert message == "only a Participant (UK or ROK) nominates its co-chair, not SECRETARIAT"

    early = signed(Convening(filed_by=Identity.SECRETARIAT, forum_id=forum.id, attendees=["a"]))
    message = await rejected(forum, ForumCycleWorkflow.convene, early)
    assert message.startswith("both Participants must agree the agenda before the Forum meets")
    await forum.execute_update(
        ForumCycleWorkflow.agree_agenda, signed(await agenda_agreement(forum, Identity.UK), to=forum)
    )
    twice = signed(await agenda_agreement(forum, Identity.UK))
    message = await rejected(forum, ForumCycleWorkflow.agree_agenda, twice)
    assert message == "UK has already agreed the agenda; it awaits the other Participant"


async def test_the_agenda_moves_only_by_signed_filings(local_env, partnership):
    """The standing items are fixed when the cycle starts: the business the Partnership hears of
    does not move the agenda under the Participants' agreements, and nobody can push items into
    it with a signal (there was once a `standing_items` signal anyone could send)."""
    from models.forum import AgendaItem, agenda_digest
    from models.joint_action import ActionAgreement, JointActionProposal

    forum = await start(partnership, local_env.client, date.today().year + 1)
    first = (await forum.query(ForumCycleWorkflow.show)).agenda
    assert [(i.title, i.ref, i.standing) for i in first] == [
        ("Reports of the working groups", "7", True),
        ("Pending amendments", "33", True),
        ("Open consultations", "29", True),
        ("Review of the scope, objectives and means of cooperation", "7", True),
    ]
    receipt = await partnership.execute_update(
        PartnershipWorkflow.propose_joint_action,
        signed(JointActionProposal(filed_by=Identity.UK, ref="25e", title="IoT labels"), to=partnership),
    )
    action = local_env.client.get_workflow_handle(receipt.action_id)
    await action.execute_update(
        JointActionWorkflow.agree,
        signed(ActionAgreement(filed_by=Identity.ROK, action_id=receipt.action_id), to=action),
    )

    async def heard_active():
        return [a.state for a in await partnership.query(PartnershipWorkflow.actions)] == ["ACTIVE"]

    await eventually(heard_active)
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    forged = AgendaItem(title="Termination of the Partnership", ref="31", standing=True)
    await forum.signal("standing_items", [forged.model_dump(mode="json")])
    await forum.execute_update(
        ForumCycleWorkflow.add_item,
        signed(AgendaItemFiling(filed_by=Identity.SECRETARIAT, forum_id=forum.id, title="AOB"), to=forum),
    )
    agenda = (await forum.query(ForumCycleWorkflow.show)).agenda
    assert [i.title for i in agenda] == [i.title for i in first] + ["AOB"]
    assert agenda_digest(agenda[:4]) == agenda_digest(first)


async def test_the_agenda_takes_known_refs_once_and_agreement_is_to_the_agenda_as_it_stands(local_env, partnership):
    today = date.today()
    soon = today + timedelta(days=10)  # its call for items (closing 30 days before) is already over
    too_soon = signed(ForumConvocation(filed_by=Identity.SECRETARIAT, year=soon.year, on=soon))
    message = await rejected(partnership, PartnershipWorkflow.start_forum, too_soon)
    assert message.startswith(f"the Forum on {soon} leaves no time for the call for agenda items")
    # A slip of the year: a cycle no one could withdraw would hold an open cycle's place for years.
    slip = date(today.year + 6, 2, 1)
    too_far = signed(ForumConvocation(filed_by=Identity.SECRETARIAT, year=slip.year, on=slip))
    message = await rejected(partnership, PartnershipWorkflow.start_forum, too_far)
    assert message.startswith(f"the Forum on {slip} is more than two years ahead")
    forum = await start(partnership, local_env.client, today.year + 1)

    def item(side: Identity, title: str, ref: str | None = None) -> AgendaItemFiling:
        return signed(AgendaItemFiling(filed_by=side, forum_id=forum.id, title=title, ref=ref))

    for ref in ("9z", "hello-world", "34"):  # 'hello world' is refused before signing (models/limits.py)
        message = await rejected(forum, ForumCycleWorkflow.add_item, item(Identity.UK, "Telecoms", ref))
        assert message == (
            f"--ref {ref!r} is neither a ¶ (1–33), a commitment ref in force (e.g. 9b) nor a policy area (e.g. ai)"
        )
    for ref in ("9b", "31", "ai"):
        await forum.execute_update(ForumCycleWorkflow.add_item, item(Identity.UK, f"About {ref}", ref))
    await forum.execute_update(ForumCycleWorkflow.add_item, item(Identity.ROK, "About 9b", "9a"))  # another ref
    message = await rejected(forum, ForumCycleWorkflow.add_item, item(Identity.ROK, "ABOUT   9b", "9b"))
    assert message == f"that item is already on the agenda of {forum.id} (item 5)"  # after 4 standing items

    await forum.execute_update(
        ForumCycleWorkflow.agree_agenda, signed(await agenda_agreement(forum, Identity.UK), to=forum)
    )
    view = await forum.execute_update(ForumCycleWorkflow.add_item, item(Identity.ROK, "Semiconductors", "11a"))
    assert view.agenda_agreed_by == []  # UK agreed to the agenda without this item
    # …so UK's inbox asks for its agreement again (and its co-chair), ROK's and the secretariat's differ.
    from datetime import UTC, datetime

    from cli.inbox import Snapshot, inbox

    status = await partnership.query(PartnershipWorkflow.status)
    snap = Snapshot(status=status, amendments=[], actions=[], groups=[], consultations=[], forums=[view])
    asked = [i.command for i in inbox(Identity.UK, snap, datetime.now(UTC))]
    year = view.summary.year
    assert asked == [
        f"partnership forum nominate --as UK --name … --title … --year {year}",
        f"partnership forum agenda agree --as UK --year {year}",
    ]
    assert inbox(Identity.SECRETARIAT, snap, datetime.now(UTC)) == []
    # Two cycles open (next year's started early): each has its asks, and each names its year, so
    # an office following one does not file on the other (walkthrough 2).
    later = view.model_copy(
        update={"summary": view.summary.model_copy(update={"year": year + 1, "forum_id": f"{forum.id}-later"})}
    )
    both_open = snap.model_copy(update={"forums": [view, later]})
    asked = [i.command for i in inbox(Identity.UK, both_open, datetime.now(UTC))]
    assert [c.rpartition("--year ")[2] for c in asked] == [str(year), str(year), str(year + 1), str(year + 1)]
    view = await both(forum, ForumCycleWorkflow.agree_agenda, lambda s: agenda_agreement(forum, s))
    assert view.summary.stage is ForumStage.AGENDA_FIXED
    message = await rejected(forum, ForumCycleWorkflow.add_item, item(Identity.UK, "Late item"))
    assert message == f"the agenda of {forum.id} is fixed; it takes no more items"


# The Forum's usual date: the Partnership's own timer starts each cycle (time-skipping) -----------------


def calendar_filing(usual: date, by: Identity = Identity.SECRETARIAT) -> ForumCalendar:
    return ForumCalendar(filed_by=by, month=usual.month, day=usual.day)


async def test_the_usual_date_starts_each_cycle_once_90_days_before(time_env, skipping_partnership):
    partnership = skipping_partnership
    usual = (await time_env.get_current_time() + timedelta(days=100)).date()
    view = await partnership.execute_update(
        PartnershipWorkflow.set_forum_calendar, signed(calendar_filing(usual), to=partnership)
    )
    assert (view.month, view.day, view.next_forum_on) == (usual.month, usual.day, usual)
    assert view.next_cycle_starts.date() == usual - timedelta(days=90)
    assert await partnership.query(PartnershipWorkflow.forums) == []

    await sleep_until(time_env, view.next_cycle_starts + timedelta(hours=1))
    [cycle] = await eventually(lambda: partnership.query(PartnershipWorkflow.forums))
    assert (cycle.year, cycle.on) == (usual.year, usual)
    await sleep_until(time_env, view.next_cycle_starts + timedelta(days=20))
    assert [f.forum_id for f in await partnership.query(PartnershipWorkflow.forums)] == [cycle.forum_id]
    after = await partnership.query(PartnershipWorkflow.forum_calendar)
    assert after.next_forum_on.year == usual.year + 1  # next year's cycle is the next to start


async def test_a_cycle_started_by_hand_is_not_duplicated_by_the_usual_date(time_env, skipping_partnership):
    partnership = skipping_partnership
    usual = (await time_env.get_current_time() + timedelta(days=100)).date()
    forum = await start(partnership, time_env.client, usual.year, on=usual - timedelta(days=1))
    view = await partnership.execute_update(
        PartnershipWorkflow.set_forum_calendar, signed(calendar_filing(usual), to=partnership)
    )
    assert view.next_forum_on.year == usual.year + 1  # this year's cycle exists already
    await sleep_until(time_env, datetime.combine(usual - timedelta(days=89), datetime.min.time(), tzinfo=UTC))
    forums = await partnership.query(PartnershipWorkflow.forums)
    assert [(f.forum_id, f.on) for f in forums] == [(forum.id, usual - timedelta(days=1))]


async def test_only_the_secretariat_sets_a_usual_date_that_exists(partnership):
    set_calendar = PartnershipWorkflow.set_forum_calendar
    by_uk = signed(calendar_filing(date(2027, 11, 22), by=Identity.UK))
    assert (
        await rejected(partnership, set_calendar, by_uk) == "only the SECRETARIAT sets the Forum's usual date, not UK"
    )
    for month, day, longest in ((2, 30, 29), (11, 31, 30)):
        impossible = signed(ForumCalendar(filed_by=Identity.SECRETARIAT, month=month, day=day))
        message = await rejected(partnership, set_calendar, impossible)
        assert message == f"{calendar.month_name[month]} has no day {day}; choose 1–{longest}"
    assert (await partnership.query(PartnershipWorkflow.forum_calendar)).month is None


# The cycle's clock (time-skipping) ------------------------------------------------------------------------


async def test_a_cycle_from_call_for_items_to_published_minutes(time_env, skipping_partnership, data_dir, monkeypatch):
    now = await time_env.get_current_time()
    on = (now + timedelta(days=120)).date()
    forum = await start(skipping_partnership, time_env.client, on.year, on=on)
    view = await forum.query(ForumCycleWorkflow.show)
    assert view.agenda_deadline == on - timedelta(days=30)
    closes = local_midnight(view.agenda_deadline + timedelta(days=1), Identity.ROK)

    def forum_mails(fragment: str) -> list[str]:
        return [s for s in subjects(data_dir) if s.startswith(f"Forum {on.year}") and fragment in s]

    assert len(await eventually(lambda: forum_mails("call for agenda items, by"))) == 1
    await sleep_until(time_env, closes - timedelta(days=7, hours=1))
    assert forum_mails("closes in") == []
    await sleep_until(time_env, closes - timedelta(days=7) + timedelta(hours=1))
    await eventually(lambda: forum_mails("closes in 7 day(s)"))
    await sleep_until(time_env, closes + timedelta(hours=1))
    await eventually(lambda: forum_mails("has closed"))
    late = signed(AgendaItemFiling(filed_by=Identity.UK, forum_id=forum.id, title="Too late"))
    with pytest.raises(Exception) as caught:
        await forum.execute_update(ForumCycleWorkflow.add_item, late)
    assert caught.value.cause.message == f"the call for agenda items of {forum.id} closed on {view.agenda_deadline}"

    # Not to a day already come where the host is (the message says whose today it is).
    today = (await time_env.get_current_time()).date()
    with pytest.raises(Exception) as caught:
        await forum.execute_update(
            ForumCycleWorkflow.postpone,
            signed(Postponement(filed_by=Identity.UK, forum_id=forum.id, to=today), to=forum),
        )
    assert caught.value.cause.message.startswith(
        f"the Forum can be moved only to a later date than today where its host {view.summary.host} is ("
    )
    # Both move it a week later; one alone does not.
    later = on + timedelta(days=7) if (on + timedelta(days=7)).year == on.year else on - timedelta(days=7)
    moved = await forum.execute_update(
        ForumCycleWorkflow.postpone, signed(Postponement(filed_by=Identity.UK, forum_id=forum.id, to=later), to=forum)
    )
    assert moved.summary.on == on
    moved = await forum.execute_update(
        ForumCycleWorkflow.postpone, signed(Postponement(filed_by=Identity.ROK, forum_id=forum.id, to=later), to=forum)
    )
    assert moved.summary.on == later
    # A calendar that imported the cycle's file before takes the new date (issue 15: the .ics
    # SEQUENCE counts the moves; walkthrough 2, S2).
    moved_ics = icalendar.Calendar.from_ical(forum_calendar(moved))
    assert {int(e["SEQUENCE"]) for e in moved_ics.walk("VEVENT")} == {1}

    fixed = await ready_to_meet(forum)
    # The agenda fixed, the call's deadline and reminders are cancelled in the calendar, one
    # revision on; the meeting stays (walkthrough 3, F12).
    events = icalendar.Calendar.from_ical(forum_calendar(fixed)).walk("VEVENT")
    assert {(str(e.get("STATUS", "")), int(e["SEQUENCE"])) for e in events} == {("", 1), ("CANCELLED", 2)}
    assert [str(e["SUMMARY"]) for e in events if "STATUS" not in e] == [f"UK-RoK Digital Partnership Forum {on.year}"]
    attendance = signed(
        Convening(filed_by=Identity.SECRETARIAT, forum_id=forum.id, attendees=["Jane Doe", "Kim Min-ji"])
    )
    with pytest.raises(Exception) as caught:
        await forum.execute_update(ForumCycleWorkflow.convene, attendance)
    assert caught.value.cause.message == f"the Forum meets on {later}; it cannot be recorded as met before then"
    await sleep_until(time_env, local_midnight(later, Identity.ROK) + timedelta(hours=2))
    await eventually(lambda: ([s for s in subjects(data_dir) if s == f"The Forum {on.year} meets today ({later})"]))
    met = await forum.execute_update(ForumCycleWorkflow.convene, attendance)
    assert met.summary.stage is ForumStage.CONVENED
    # The nominations' ministry and rank are kept beside the title (¶7).
    assert {side: (c.ministry, c.rank, c.title) for side, c in met.co_chairs.items()} == {
        Identity.UK: (Ministry.DSIT, Rank.MINISTER_OF_STATE, UK_CHAIR[1]),
        Identity.ROK: (Ministry.MSIT, Rank.SECOND_VICE_MINISTER, ROK_CHAIR[1]),
    }

    decision = await forum.execute_update(
        ForumCycleWorkflow.table_decision,
        signed(
            DecisionTabled(
                filed_by=Identity.SECRETARIAT,
                forum_id=forum.id,
                text="Launch an AI skills exchange",
                ref="13a",
                kind="launch-joint-action",
                lead_uk="A. Lee",
                lead_rok="B. Kim",
            ),
            to=forum,
        ),
    )
    half = await forum.execute_update(
        ForumCycleWorkflow.agree_decision,
        signed(await decision_agreement(forum, Identity.UK, decision.number), to=forum),
    )
    assert half.taken_at is None
    # Issue 15: UK withdraws its agreement (naming it) while ROK's is awaited, then agrees again.
    mine = JointWithdrawal(
        filed_by=Identity.UK, decision="decision-agreement", withdraws=half.agreements[0].filing_id, number=1
    )
    view = await forum.execute_update(ForumCycleWorkflow.withdraw_joint_filing, signed(mine, to=forum))
    assert view.decisions[0].agreed_by == [] and view.decisions[0].agreements == []
    rok_half = await forum.execute_update(
        ForumCycleWorkflow.agree_decision,
        signed(await decision_agreement(forum, Identity.ROK, decision.number), to=forum),
    )
    # UK's withdrawn agreement and ROK's, copied from the history into a hand-sent decision_taken:
    # each verifies, but the cycle took no decision on them, and says so when the Partnership asks.
    before = (await skipping_partnership.query(PartnershipWorkflow.refused_messages)).count
    forged = TakenDecision(
        forum_id=forum.id, number=1, tabled=decision.tabling, agreements=[half.agreements[0], *rok_half.agreements]
    )
    await skipping_partnership.signal(PartnershipWorkflow.decision_taken, forged)

    async def refused():
        counted = await skipping_partnership.query(PartnershipWorkflow.refused_messages)
        return counted.latest[-1] if counted.count > before else None

    assert (await eventually(refused)).reason == f"{forum.id} took no decision on these instruments"
    assert not [a for a in await skipping_partnership.query(PartnershipWorkflow.actions) if a.ref == "13a"]
    taken = await forum.execute_update(
        ForumCycleWorkflow.agree_decision,
        signed(await decision_agreement(forum, Identity.UK, decision.number), to=forum),
    )
    assert taken.taken_at is not None

    async def launched():
        actions = await skipping_partnership.query(PartnershipWorkflow.actions)
        return [a for a in actions if a.ref == "13a" and a.state == "ACTIVE"]

    [action] = await eventually(launched)
    assert action.title == "Launch an AI skills exchange"
    launched_view = await time_env.client.get_workflow_handle(action.action_id).query(JointActionWorkflow.show)
    assert (launched_view.lead_uk, launched_view.lead_rok) == ("A. Lee", "B. Kim")  # as the decision named them

    # ¶7: a Forum decision, too, sets a working group's leads.
    no_leads = signed(
        DecisionTabled(
            filed_by=Identity.SECRETARIAT, forum_id=forum.id, text="AI leads", ref="ai", kind="set-group-leads"
        )
    )
    with pytest.raises(Exception) as caught:
        await forum.execute_update(ForumCycleWorkflow.table_decision, no_leads)
    assert caught.value.cause.message.startswith("a set-group-leads decision names a lead from each side")
    leads = await forum.execute_update(
        ForumCycleWorkflow.table_decision,
        signed(
            DecisionTabled(
                filed_by=Identity.SECRETARIAT,
                forum_id=forum.id,
                text="AI working group leads",
                ref="ai",
                kind="set-group-leads",
                lead_uk="A. Smith",
                lead_rok="J. Park",
            ),
            to=forum,
        ),
    )
    await both(
        forum,
        ForumCycleWorkflow.agree_decision,
        lambda s: decision_agreement(forum, s, leads.number),
    )

    async def led():
        groups = {g.group.area: g.group for g in await skipping_partnership.query(PartnershipWorkflow.groups)}
        return (groups["ai"].lead_uk, groups["ai"].lead_rok) == ("A. Smith", "J. Park")

    await eventually(led)

    await forum.execute_update(
        ForumCycleWorkflow.file_minutes,
        signed(MinutesFiling(filed_by=Identity.SECRETARIAT, forum_id=forum.id, text="Minutes."), to=forum),
    )
    first = await forum.execute_update(
        ForumCycleWorkflow.approve_minutes, signed(await minutes_approval(forum, Identity.UK), to=forum)
    )
    approval = first.minutes_approvals.filed[Identity.UK].filing_id
    mine = JointWithdrawal(filed_by=Identity.UK, decision="minutes-approval", withdraws=approval)
    view = await forum.execute_update(ForumCycleWorkflow.withdraw_joint_filing, signed(mine, to=forum))
    assert view.minutes_approved_by == [] and not view.minutes_approvals
    closed = await both(forum, ForumCycleWorkflow.approve_minutes, lambda s: minutes_approval(forum, s))
    assert closed.summary.stage is ForumStage.CLOSED
    # The close reaches the Partnership with the approvals that stand (never the withdrawn one),
    # and it calls for a checkpoint of the register (issue 14).

    async def called():
        return (await skipping_partnership.query(PartnershipWorkflow.checkpoint)).due

    assert (await eventually(called)).forum_id == forum.id
    assert (await skipping_partnership.query(PartnershipWorkflow.refused_messages)).count == before + 1  # the forged
    await effects_done(forum, ForumCycleWorkflow.pending_effects)
    kinds = [r.kind for r in decisions(register_engine()) if r.workflow_id == forum.id]
    assert kinds == [
        "forum-postponed",
        "forum-met",
        "forum-decision-launch-joint-action",
        "forum-decision-set-group-leads",
        "forum-minutes-approved",
    ]
    assert f"Minutes of the UK-RoK Digital Partnership Forum {on.year}" in subjects(data_dir)

    # Once closed, a filing on the cycle is refused in one line, not a traceback (it was an
    # AttributeError: the CLI looked for a `state` that a Forum cycle calls its `stage`).
    await forum.result()
    from cli.common import Refused, file_on

    monkeypatch.setenv("TEMPORAL_ADDRESS", time_env.client.service_client.config.target_host)
    with pytest.raises(Refused) as refused:
        await file_on(
            forum.id,
            ForumCycleWorkflow.approve_minutes,
            await minutes_approval(forum, Identity.UK),
            ForumCycleWorkflow.show,
            "forum",
        )
    assert str(refused.value) == f"{forum.id} is CLOSED; nothing more can be filed on it"


async def test_a_forum_not_met_by_31_december_is_escalated_and_can_still_meet(time_env, skipping_partnership, data_dir):
    now = await time_env.get_current_time()
    year = now.year + 1
    forum = await start(skipping_partnership, time_env.client, year, on=date(year, 6, 1))
    await sleep_until(time_env, local_midnight(date(year, 12, 31), Identity.UK))
    assert (await forum.query(ForumCycleWorkflow.show)).summary.overdue is False
    await sleep_until(time_env, local_midnight(date(year + 1, 1, 1), Identity.UK) + timedelta(hours=1))

    async def overdue():
        return (await forum.query(ForumCycleWorkflow.show)).summary.overdue

    await eventually(overdue)
    await eventually(
        lambda: ([s for s in subjects(data_dir) if s == f"Escalation: the Forum {year} has not met by 31 December"])
    )
    listed = await eventually(
        lambda: _if(skipping_partnership.query(PartnershipWorkflow.forums), lambda f: f[0].overdue)
    )
    assert listed[0].overdue
    await ready_to_meet(forum)
    met = await forum.execute_update(
        ForumCycleWorkflow.convene,
        signed(Convening(filed_by=Identity.SECRETARIAT, forum_id=forum.id, attendees=["x"]), to=forum),
    )
    assert met.summary.stage is ForumStage.CONVENED


async def test_the_calendar_parses(time_env, skipping_partnership):
    now = await time_env.get_current_time()
    on = (now + timedelta(days=100)).date()
    forum = await start(skipping_partnership, time_env.client, on.year, on=on)
    text = forum_calendar(await forum.query(ForumCycleWorkflow.show))
    parsed = icalendar.Calendar.from_ical(text)
    events = {str(e["SUMMARY"]): e for e in parsed.walk("VEVENT")}
    meeting = events[f"UK-RoK Digital Partnership Forum {on.year}"]
    assert meeting.decoded("DTSTART") == on and str(meeting["LOCATION"]) == "Seoul"
    assert events[f"Forum {on.year}: agenda items due"].decoded("DTSTART") == on - timedelta(days=30)
    assert len(events) == 4
    assert {int(e["SEQUENCE"]) for e in events.values()} == {0}  # never moved


async def run_id(client, workflow_id):
    from temporalio.service import RPCError

    try:
        return (await client.get_workflow_handle(workflow_id).describe()).run_id
    except RPCError:
        return None


async def _if(awaitable, predicate):
    value = await awaitable
    return value if predicate(value) else None


def test_a_usual_date_the_year_lacks_clamps_like_the_months_of_notice():
    assert next_forum_date(date(2026, 3, 1), 2, 29) == date(2027, 2, 28)
    assert next_forum_date(date(2027, 3, 1), 2, 29) == date(2028, 2, 29)
    assert next_forum_date(date(2026, 11, 22), 11, 22) == date(2027, 11, 22)


def test_a_launch_decision_whose_text_cannot_be_a_title_is_refused_when_tabled():
    """Its text becomes the launched action's title (one line, LINE_MAX): refused at tabling, not
    left to fail the Partnership's workflow task when the decision is taken."""
    from models.forum import ForumCase
    from models.limits import LINE_MAX
    from rules.p07_forum import tabling_problem

    case = ForumCase(
        forum_id="forum-2027",
        partnership_id="partnership",
        year=2027,
        on=date(2027, 11, 22),
        venue="Seoul",
        host=Identity.ROK,
        keys={},
        started_at="2027-08-24T00:00:00Z",
        refs_in_force=["13a"],
        stage=ForumStage.CONVENED,
    )
    refused = f"a launch-joint-action decision's text is the action's title: one line of at most {LINE_MAX} characters"
    for text in ("x" * (LINE_MAX + 1), "Two\nlines"):
        tabled = DecisionTabled(
            filed_by=Identity.SECRETARIAT, forum_id=case.forum_id, text=text, ref="13a", kind="launch-joint-action"
        )
        assert tabling_problem(case, tabled) == refused
    general = DecisionTabled(filed_by=Identity.SECRETARIAT, forum_id=case.forum_id, text="Two\nlines")
    assert tabling_problem(case, general) is None


def test_the_next_cycle_is_found_past_cycles_started_by_hand_two_years_ahead():
    """Walkthrough 2, S3: with this and the next two years' cycles started by hand (a cycle may be
    started up to two years ahead), the search stopped short and no cycle was due to start at all."""
    from rules.p07_schedule import next_cycle_start

    now = datetime(2026, 11, 29, tzinfo=UTC)
    starts, forum_on = next_cycle_start(now, 3, 1, {2027, 2028})
    assert forum_on == date(2029, 3, 1) and starts == datetime(2028, 12, 1, tzinfo=UTC)


def test_the_secretariats_inbox_asks_to_record_the_meeting_from_the_instant_the_rule_allows():
    """The inbox asked from the UTC date, the rule allows it from midnight where the host is: a
    Forum in Seoul could be recorded nine hours before the inbox said so."""
    from types import SimpleNamespace

    from cli.inbox import _forum

    summary = SimpleNamespace(
        forum_id="forum-2027", year=2027, on=date(2027, 11, 22), host=Identity.ROK, stage=ForumStage.AGENDA_FIXED
    )
    fixed = SimpleNamespace(summary=summary, minutes=None, decisions=[])
    seoul_midnight = datetime(2027, 11, 21, 15, tzinfo=UTC)

    def asks(now: datetime) -> list[str]:
        return [i.command for i in _forum(Identity.SECRETARIAT, fixed, now)]

    assert asks(seoul_midnight - timedelta(minutes=1)) == []
    assert asks(seoul_midnight)[0].startswith("partnership forum convene --as SECRETARIAT")


async def test_a_forum_moved_back_and_forth_records_and_mails_every_move(local_env, partnership, data_dir):
    """Review 9: moved A→B, back to A, and to B again, the third move shared its register row's and
    its mail's ids with the first; both were taken as done, and the audit then saw a date differ."""
    from activities.register import decisions, register_engine
    from audit.verify import verify
    from tests.helpers import subjects

    year = datetime.now(UTC).year + 1
    a, b = date(year, 6, 1), date(year, 7, 1)
    forum = await start(partnership, local_env.client, year, on=a)
    for to in (b, a, b):
        await both(
            forum,
            ForumCycleWorkflow.postpone,
            lambda side, to=to: Postponement(filed_by=side, forum_id=forum.id, to=to),
        )
    await effects_done(forum, ForumCycleWorkflow.pending_effects)
    rows = [r for r in decisions(register_engine()) if r.workflow_id == forum.id and r.kind == "forum-postponed"]
    assert [r.summary.split(" moved ")[1] for r in rows] == [
        f"from {a} to {b} by both Participants.", f"from {b} to {a} by both Participants.",
        f"from {a} to {b} by both Participants.",
    ]  # fmt: skip
    assert [s for s in subjects(data_dir) if "moved to" in s] == sorted(
        [f"Forum {year} moved to {b}", f"Forum {year} moved to {a}", f"Forum {year} moved to {b}"]
    )
    report = await verify(
        local_env.client, register_engine(), f"WorkflowId = '{forum.id}'", partnership_id=partnership.id
    )
    assert report.problems == [], report.problems
