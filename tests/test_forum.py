"""¶7: the annual Forum, started by the secretariat (or the yearly Schedule), co-chaired by a
Vice Minister of MSIT and a Minister at DSIT; agenda, meeting, decisions and minutes need both."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest

from activities.register import decisions, register_engine
from cli.forum_calendar import forum_calendar
from engine.schedules import ensure_forum_schedule, schedule_id
from models.calendar import local_midnight
from models.forum import (
    AGENDA_DEADLINE_DAYS,
    AgendaAgreement,
    AgendaItemFiling,
    CoChairNomination,
    Convening,
    DecisionAgreement,
    DecisionTabled,
    ForumConvocation,
    ForumStage,
    MinutesApproval,
    MinutesFiling,
    Postponement,
)
from models.identities import Identity
from rules.p07_forum import co_chair_problem, next_forum_date
from tests.helpers import effects_done, eventually, rejected, settled_history_length, signed, sleep_until, subjects
from workflows.forum import ForumCycleWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

UK_CHAIR = ("Jane Doe", "Minister of State for Digital")
ROK_CHAIR = ("Kim Min-ji", "Second Vice Minister of Science and ICT")


async def start(partnership, client, year: int, on: date | None = None, host=Identity.ROK):
    receipt = await partnership.execute_update(
        PartnershipWorkflow.start_forum,
        signed(ForumConvocation(filed_by=Identity.SECRETARIAT, year=year, on=on, venue="Seoul", host=host)),
    )
    forum = client.get_workflow_handle(receipt.forum_id)
    await forum.query(ForumCycleWorkflow.show)
    return forum


async def both(forum, update, make):
    for side in (Identity.UK, Identity.ROK):
        result = await forum.execute_update(update, signed(make(side)))
    return result


async def ready_to_meet(forum):
    for side, (name, title) in ((Identity.UK, UK_CHAIR), (Identity.ROK, ROK_CHAIR)):
        await forum.execute_update(
            ForumCycleWorkflow.nominate, signed(CoChairNomination(filed_by=side, name=name, title=title))
        )
    return await both(forum, ForumCycleWorkflow.agree_agenda, lambda s: AgendaAgreement(filed_by=s, forum_id=forum.id))


def test_who_may_co_chair():
    assert co_chair_problem(Identity.ROK, "Vice Minister of Science and ICT") is None
    assert co_chair_problem(Identity.ROK, "First Vice-Minister") is None
    assert co_chair_problem(Identity.UK, "Secretary of State for Science, Innovation and Technology") is None
    assert co_chair_problem(Identity.UK, "Parliamentary Under-Secretary of State") is None
    assert "not a ministerial title" in co_chair_problem(Identity.UK, "Permanent Secretary")
    assert "not a Vice Minister's title" in co_chair_problem(Identity.ROK, "Minister for Science and ICT")
    assert "not a ministerial title" in co_chair_problem(Identity.UK, "Vice Minister")


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

    permanent = signed(CoChairNomination(filed_by=Identity.UK, name="J. Doe", title="Permanent Secretary"))
    message = await rejected(forum, ForumCycleWorkflow.nominate, permanent)
    assert message.startswith("¶7: the UK co-chair is a Ministerial counterpart at the Department for Science")
    by_secretariat = signed(CoChairNomination(filed_by=Identity.SECRETARIAT, name="X", title="Vice Minister"))
    message = await rejected(forum, ForumCycleWorkflow.nominate, by_secretariat)
    assert message == "only a Participant (UK or ROK) nominates its co-chair, not SECRETARIAT"

    early = signed(Convening(filed_by=Identity.SECRETARIAT, forum_id=forum.id, attendees=["a"]))
    message = await rejected(forum, ForumCycleWorkflow.convene, early)
    assert message.startswith("both Participants must agree the agenda before the Forum meets")
    await forum.execute_update(
        ForumCycleWorkflow.agree_agenda, signed(AgendaAgreement(filed_by=Identity.UK, forum_id=forum.id))
    )
    twice = signed(AgendaAgreement(filed_by=Identity.UK, forum_id=forum.id))
    message = await rejected(forum, ForumCycleWorkflow.agree_agenda, twice)
    assert message == "UK has already agreed the agenda; it awaits the other Participant"


async def test_standing_items_follow_the_partnership(local_env, partnership):
    from models.joint_action import ActionAgreement, JointActionProposal

    forum = await start(partnership, local_env.client, date.today().year + 1)
    titles = [i.title for i in (await forum.query(ForumCycleWorkflow.show)).agenda]
    assert titles == ["Review of the scope, objectives and means of cooperation"]
    receipt = await partnership.execute_update(
        PartnershipWorkflow.propose_joint_action,
        signed(JointActionProposal(filed_by=Identity.UK, ref="25e", title="IoT labels")),
    )
    action = local_env.client.get_workflow_handle(receipt.action_id)
    await action.execute_update(
        JointActionWorkflow.agree, signed(ActionAgreement(filed_by=Identity.ROK, action_id=receipt.action_id))
    )

    async def reported():
        agenda = (await forum.query(ForumCycleWorkflow.show)).agenda
        return [i.title for i in agenda if i.standing]

    standing = await eventually(lambda: _if(reported(), lambda t: len(t) == 2))
    assert standing == [
        "Report of the working group on Cyber security",
        "Review of the scope, objectives and means of cooperation",
    ]
    await forum.execute_update(
        ForumCycleWorkflow.add_item,
        signed(AgendaItemFiling(filed_by=Identity.SECRETARIAT, forum_id=forum.id, title="AOB")),
    )
    assert [i.title for i in (await forum.query(ForumCycleWorkflow.show)).agenda][-1] == "AOB"


async def test_the_agenda_takes_known_refs_once_and_agreement_is_to_the_agenda_as_it_stands(local_env, partnership):
    today = date.today()
    soon = today + timedelta(days=10)  # its call for items (closing 30 days before) is already over
    too_soon = signed(ForumConvocation(filed_by=Identity.SECRETARIAT, year=soon.year, on=soon))
    message = await rejected(partnership, PartnershipWorkflow.start_forum, too_soon)
    assert message.startswith(f"the Forum on {soon} leaves no time for the call for agenda items")
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
    assert message == f"that item is already on the agenda of {forum.id} (item 2)"

    await forum.execute_update(
        ForumCycleWorkflow.agree_agenda, signed(AgendaAgreement(filed_by=Identity.UK, forum_id=forum.id))
    )
    view = await forum.execute_update(ForumCycleWorkflow.add_item, item(Identity.ROK, "Semiconductors", "11a"))
    assert view.agenda_agreed_by == []  # UK agreed to the agenda without this item
    # …so UK's inbox asks for its agreement again (and its co-chair), ROK's and the secretariat's differ.

    from cli.inbox import Snapshot, inbox

    status = await partnership.query(PartnershipWorkflow.status)
    snap = Snapshot(status=status, amendments=[], actions=[], groups=[], consultations=[], forum=view)
    asked = [i.command for i in inbox(Identity.UK, snap, datetime.now(UTC))]
    assert asked == [
        "partnership forum nominate --as UK --name … --title …",
        f"partnership forum agenda agree --as UK --year {view.summary.year}",
    ]
    assert inbox(Identity.SECRETARIAT, snap, datetime.now(UTC)) == []
    view = await both(forum, ForumCycleWorkflow.agree_agenda, lambda s: AgendaAgreement(filed_by=s, forum_id=forum.id))
    assert view.summary.stage is ForumStage.AGENDA_FIXED
    message = await rejected(forum, ForumCycleWorkflow.add_item, item(Identity.UK, "Late item"))
    assert message == f"the agenda of {forum.id} is fixed; it takes no more items"


# The yearly Schedule (dev server: the time-skipping server has no schedules) ---------------------------


def utc_today() -> date:
    """Today as the workflows see it (their clock is UTC), not the test machine's local date."""
    return datetime.now(UTC).date()


async def schedule_ran(client, schedule, times: int) -> None:
    """Wait until the schedule has run `times` actions and the last one's workflow has completed:
    its signal to the Partnership is then in the Partnership's history, and once no workflow task is
    outstanding there, a query shows what the signal did. (A fixed pause proved nothing when it was
    too short, and cost its length when it was long enough.)"""

    async def started():
        info = (await schedule.describe()).info
        return info.recent_actions[-1].action if info.num_actions >= times else None

    action = await eventually(started)
    await client.get_workflow_handle(action.workflow_id, run_id=action.first_execution_run_id).result()


async def test_the_yearly_schedule_starts_the_next_cycle_once(local_env, partnership, task_queue):
    handle = await ensure_forum_schedule(local_env.client, partnership.id, task_queue)
    assert handle.id == schedule_id(partnership.id)
    expected = next_forum_date(utc_today(), 11, 22)

    await handle.trigger()
    await schedule_ran(local_env.client, handle, 1)

    async def started():
        return [f for f in await partnership.query(PartnershipWorkflow.forums)]

    [cycle] = await eventually(started)
    assert (cycle.year, cycle.on) == (expected.year, expected)
    first_run = await eventually(lambda: run_id(local_env.client, cycle.forum_id))

    await handle.trigger()  # again: the cycle exists, nothing is duplicated
    await schedule_ran(local_env.client, handle, 2)
    await settled_history_length(partnership)
    assert [f.forum_id for f in await partnership.query(PartnershipWorkflow.forums)] == [cycle.forum_id]
    assert (await local_env.client.get_workflow_handle(cycle.forum_id).describe()).run_id == first_run
    await handle.delete()


async def test_a_cycle_started_by_hand_is_not_duplicated_by_the_schedule(local_env, partnership, task_queue):
    # By hand, a cycle for the year the schedule will ask for, on another date than the usual one
    # that the forum-start rule accepts today (at least AGENDA_DEADLINE_DAYS + 1 days ahead, and a
    # day more in case the date changes meanwhile): the day before the usual date, or later in
    # that year when the usual date is too close (late October to 21 November).
    expected = next_forum_date(utc_today(), 11, 22)
    on = max(expected - timedelta(days=1), utc_today() + timedelta(days=AGENDA_DEADLINE_DAYS + 2))
    if on == expected:
        on += timedelta(days=1)
    assert on.year == expected.year
    forum = await start(partnership, local_env.client, expected.year, on=on)
    handle = await ensure_forum_schedule(local_env.client, partnership.id, task_queue)
    await handle.trigger()
    await schedule_ran(local_env.client, handle, 1)
    await settled_history_length(partnership)
    forums = await partnership.query(PartnershipWorkflow.forums)
    assert [(f.forum_id, f.on) for f in forums] == [(forum.id, on)]
    await handle.delete()


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

    # Both move it a week later; one alone does not.
    later = on + timedelta(days=7)
    moved = await forum.execute_update(
        ForumCycleWorkflow.postpone, signed(Postponement(filed_by=Identity.UK, forum_id=forum.id, to=later))
    )
    assert moved.summary.on == on
    moved = await forum.execute_update(
        ForumCycleWorkflow.postpone, signed(Postponement(filed_by=Identity.ROK, forum_id=forum.id, to=later))
    )
    assert moved.summary.on == later

    await ready_to_meet(forum)
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
            )
        ),
    )
    half = await forum.execute_update(
        ForumCycleWorkflow.agree_decision,
        signed(DecisionAgreement(filed_by=Identity.UK, forum_id=forum.id, decision=decision.number)),
    )
    assert half.taken_at is None
    taken = await forum.execute_update(
        ForumCycleWorkflow.agree_decision,
        signed(DecisionAgreement(filed_by=Identity.ROK, forum_id=forum.id, decision=decision.number)),
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
            )
        ),
    )
    await both(
        forum,
        ForumCycleWorkflow.agree_decision,
        lambda s: DecisionAgreement(filed_by=s, forum_id=forum.id, decision=leads.number),
    )

    async def led():
        groups = {g.group.area: g.group for g in await skipping_partnership.query(PartnershipWorkflow.groups)}
        return (groups["ai"].lead_uk, groups["ai"].lead_rok) == ("A. Smith", "J. Park")

    await eventually(led)

    await forum.execute_update(
        ForumCycleWorkflow.file_minutes,
        signed(MinutesFiling(filed_by=Identity.SECRETARIAT, forum_id=forum.id, text="Minutes.")),
    )
    closed = await both(
        forum, ForumCycleWorkflow.approve_minutes, lambda s: MinutesApproval(filed_by=s, forum_id=forum.id)
    )
    assert closed.summary.stage is ForumStage.CLOSED
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
            MinutesApproval(filed_by=Identity.UK, forum_id=forum.id),
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
        ForumCycleWorkflow.convene, signed(Convening(filed_by=Identity.SECRETARIAT, forum_id=forum.id, attendees=["x"]))
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
