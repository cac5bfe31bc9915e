"""¶7: a joint change of a working group's reporting cadence reaches the group's open joint actions
(issue 15), carrying the joint decision it rests on; a forged or stale message changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.forum import Convening, DecisionTabled
from models.identities import PARTICIPANTS, Identity
from models.messages import CadenceChanged, TakenDecision
from models.signing import sign
from models.working_group import GroupLeads
from rules.common import add_months
from tests.helpers import effects_done, eventually, mails, signed, sleep_until
from tests.test_forum import _if, both, decision_agreement, ready_to_meet, start
from tests.test_joint_actions import agreed, kinds
from workflows.forum import ForumCycleWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow


def leads(by: Identity, cadence: int, area: str = "telecoms") -> GroupLeads:
    return signed(GroupLeads(filed_by=by, area=area, lead_uk="A. Smith", lead_rok="J. Kim", cadence_months=cadence))


def months_after(moment: datetime, months: int) -> datetime:
    return datetime.combine(add_months(moment.date(), months), moment.timetz())


def overdue_bodies(data_dir, action) -> list[str]:
    """The overdue reminders sent about `action` (in no particular order)."""
    found = [m for m in mails(data_dir) if m["Subject"] == f"Progress report overdue for {action.id}"]
    return [m.get_body(preferencelist=("plain",)).get_content() for m in found]


async def cadence_of(action, months: int):
    async def changed():
        view = await action.query(JointActionWorkflow.show)
        return view if view.cadence_months == months else None

    return await eventually(changed)


async def test_a_joint_change_of_cadence_reaches_the_groups_open_actions(time_env, skipping_partnership, data_dir):
    partnership = skipping_partnership
    telecoms = await agreed(partnership, time_env.client)  # 9b: telecoms
    ai = await agreed(partnership, time_env.client, ref="13a", title="AI skills exchange")
    agreed_at = (await telecoms.query(JointActionWorkflow.show)).agreed_at
    assert (await telecoms.query(JointActionWorkflow.show)).report_due == months_after(agreed_at, 3)

    await partnership.execute_update(PartnershipWorkflow.set_group_leads, leads(Identity.UK, 1))
    await partnership.execute_update(PartnershipWorkflow.set_group_leads, leads(Identity.ROK, 1))

    view = await cadence_of(telecoms, 1)
    assert view.report_due == months_after(agreed_at, 1)  # one month after the agreement
    assert (await ai.query(JointActionWorkflow.show)).cadence_months == 3  # another group's action
    await effects_done(telecoms, JointActionWorkflow.pending_effects)
    assert kinds(telecoms.id)[-1] == "joint-action-cadence"

    due = months_after(agreed_at, 1)
    await sleep_until(time_env, due - timedelta(hours=1))
    assert overdue_bodies(data_dir, telecoms) == []
    await sleep_until(time_env, due + timedelta(hours=1))
    [body] = await eventually(lambda: overdue_bodies(data_dir, telecoms))
    assert "the cadence is every 1 months" in body
    assert overdue_bodies(data_dir, ai) == []  # its own quarter has not passed


async def test_a_forged_or_stale_cadence_message_changes_nothing(time_env, skipping_partnership):
    partnership = skipping_partnership
    action = await agreed(partnership, time_env.client)
    await partnership.execute_update(PartnershipWorkflow.set_group_leads, leads(Identity.UK, 2))
    await partnership.execute_update(PartnershipWorkflow.set_group_leads, leads(Identity.ROK, 2))
    await cadence_of(action, 2)
    before = await action.query(JointActionWorkflow.show)

    outsider = Ed25519PrivateKey.generate()
    forged = [
        sign(GroupLeads(filed_by=p, area="telecoms", lead_uk="X", lead_rok="Y", cadence_months=12), outsider)
        for p in PARTICIPANTS
    ]
    forged = [f.model_copy(update={"addressed_to": partnership.id}) for f in forged]
    other_area = [leads(p, 12, area="ai") for p in PARTICIPANTS]  # genuine, but not this action's group
    unmatched = [leads(Identity.UK, 12), leads(Identity.ROK, 6)]
    # Genuine instruments this action has already taken: sent again, they would put back a
    # cadence a later decision replaced.
    stale = [leads(Identity.UK, 3), leads(Identity.ROK, 3)]
    await partnership.execute_update(PartnershipWorkflow.set_group_leads, stale[0])
    await partnership.execute_update(PartnershipWorkflow.set_group_leads, stale[1])
    await cadence_of(action, 3)
    await partnership.execute_update(PartnershipWorkflow.set_group_leads, leads(Identity.UK, 2))
    await partnership.execute_update(PartnershipWorkflow.set_group_leads, leads(Identity.ROK, 2))
    await cadence_of(action, 2)
    counted = (await action.query(JointActionWorkflow.refused_messages)).count

    for filings in (forged, other_area, unmatched, stale, []):
        await action.signal("cadence_changed", CadenceChanged(filings=filings))

    async def all_refused():
        refused = await action.query(JointActionWorkflow.refused_messages)
        return refused if refused.count == counted + 5 else None

    refused = await eventually(all_refused)
    reasons = [r.reason for r in refused.latest[-5:]]
    assert "does not verify" in reasons[0]
    assert reasons[1] == "its set-leads filings are not the same terms for telecoms"
    assert reasons[2] == "its set-leads filings are not the same terms for telecoms"
    assert reasons[3] == f"it rests on {stale[0].filing_id}, a decision on telecoms's cadence already taken"
    assert reasons[4] == "it carries neither set-leads filings nor a Forum decision, or both"
    after = await action.query(JointActionWorkflow.show)
    assert (after.cadence_months, after.report_due) == (2, before.report_due)


async def test_a_forum_decision_on_cadence_reaches_open_actions_without_a_burst_of_reminders(
    time_env, skipping_partnership, data_dir
):
    partnership = skipping_partnership
    action = await agreed(partnership, time_env.client)
    agreed_at = (await action.query(JointActionWorkflow.show)).agreed_at
    on = (agreed_at + timedelta(days=120)).date()
    forum = await start(partnership, time_env.client, on.year, on=on)
    await ready_to_meet(forum)
    await sleep_until(time_env, datetime.combine(on, agreed_at.timetz()) + timedelta(days=1))
    assert len(await eventually(lambda: overdue_bodies(data_dir, action))) == 1  # the quarter passed
    secretariat = {"filed_by": Identity.SECRETARIAT, "forum_id": forum.id}
    met = Convening(**secretariat, attendees=["Jane Doe", "Kim Min-ji"])
    await forum.execute_update(ForumCycleWorkflow.convene, signed(met))
    monthly = {"ref": "telecoms", "lead_uk": "A. Smith", "lead_rok": "J. Kim", "cadence_months": 1}
    decision = DecisionTabled(**secretariat, text="Telecoms reports monthly", kind="set-group-leads", **monthly)
    tabled = await forum.execute_update(ForumCycleWorkflow.table_decision, signed(decision))
    await both(forum, ForumCycleWorkflow.agree_decision, lambda s: decision_agreement(forum, s, tabled.number))

    view = await cadence_of(action, 1)
    groups = {g.group.area: g.group for g in await partnership.query(PartnershipWorkflow.groups)}
    assert groups["telecoms"].cadence_months == 1
    # Four months since the agreement: under the new cadence a report is overdue, and is due at
    # the change itself: one reminder then, not one for each month missed; the next a month on.
    changed = view.cadence_changed_at
    assert changed is not None
    bodies = await eventually(lambda: (b := overdue_bodies(data_dir, action)) and len(b) >= 2 and b)
    assert sorted("every 1 months" in b for b in bodies) == [False, True]
    await sleep_until(time_env, months_after(changed, 1) - timedelta(hours=1))
    assert len(overdue_bodies(data_dir, action)) == 2
    await sleep_until(time_env, months_after(changed, 1) + timedelta(hours=1))
    await eventually(lambda: len(overdue_bodies(data_dir, action)) == 3)

    # The same decision sent again, from outside, to the Partnership or to the action: refused.
    shown = (await forum.query(ForumCycleWorkflow.show)).decisions[tabled.number - 1]
    again = TakenDecision(forum_id=forum.id, number=tabled.number, tabled=shown.tabling, agreements=shown.agreements)
    await partnership.signal("decision_taken", again)
    await action.signal("cadence_changed", CadenceChanged(decision=again))
    for handle, workflow, reason in (
        (partnership, PartnershipWorkflow, f"decision {tabled.number} of {forum.id} was taken here already"),
        (action, JointActionWorkflow, f"it rests on {shown.tabling.filing_id}, a decision on telecoms's cadence"),
    ):
        refused = await eventually(lambda h=handle, w=workflow: _if(h.query(w.refused_messages), lambda r: r.count))
        assert refused.latest[-1].reason.startswith(reason)
