"""¶29: differences are resolved amicably through consultations; an outcome counts only when both
Participants accept it; nothing forces an outcome, an idle consultation only reminds."""

from __future__ import annotations

from datetime import date, timedelta

from activities.register import decisions, register_engine
from models.consultation import (
    ConsultationRequest,
    ConsultationRound,
    ConsultationState,
    ResolutionAcceptance,
    ResolutionProposal,
)
from models.identities import Identity
from tests.helpers import effects_done, eventually, rejected, signed, sleep_until, subjects
from workflows.consultation import ConsultationWorkflow
from workflows.partnership import PartnershipWorkflow


async def open_one(partnership, client, about="28"):
    receipt = await partnership.execute_update(
        PartnershipWorkflow.open_consultation,
        signed(
            ConsultationRequest(filed_by=Identity.ROK, about=about, summary="Who pays for the testbed?"), to=partnership
        ),
    )
    consultation = client.get_workflow_handle(receipt.consultation_id)
    await consultation.query(ConsultationWorkflow.show)
    return consultation


async def test_an_outcome_counts_only_when_the_other_side_accepts_it(local_env, partnership, data_dir):
    consultation = await open_one(partnership, local_env.client)
    ident = consultation.id
    again = ConsultationRequest(filed_by=Identity.UK, about="¶28", summary=" Who pays for  the testbed?")
    message = await rejected(partnership, PartnershipWorkflow.open_consultation, signed(again))
    assert message == f"{ident} about 28 is open on the same difference; note a round there"
    ahead = date.today() + timedelta(days=30)
    future = ConsultationRound(filed_by=Identity.UK, consultation_id=ident, held_on=ahead, attendees=[], note="Not yet")
    message = await rejected(consultation, ConsultationWorkflow.note, signed(future))
    assert message.startswith(f"a round is noted once it has been held; {ahead} is after UK's today")
    # Walk-through F6: nor on a day before the consultation was opened (in the filer's calendar).
    opened = (await consultation.query(ConsultationWorkflow.show)).summary.opened_at.date()  # UTC, the secretariat's
    before = ConsultationRound(
        filed_by=Identity.SECRETARIAT, consultation_id=ident, held_on=opened - timedelta(days=1), attendees=[], note="x"
    )
    message = await rejected(consultation, ConsultationWorkflow.note, signed(before))
    assert message == (
        f"{ident} was opened on {opened} (UTC date); "
        f"a round held on {opened - timedelta(days=1)}, before it, is not one of its rounds"
    )
    await consultation.execute_update(
        ConsultationWorkflow.note,
        signed(
            ConsultationRound(
                filed_by=Identity.SECRETARIAT,
                consultation_id=ident,
                held_on=opened,
                attendees=["A. Smith", "J. Kim"],
                note="Positions exchanged.",
            ),
            to=consultation,
        ),
    )
    await consultation.execute_update(
        ConsultationWorkflow.propose,
        signed(
            ResolutionProposal(filed_by=Identity.ROK, consultation_id=ident, resolution="Split 50/50."), to=consultation
        ),
    )
    own = signed(ResolutionAcceptance(filed_by=Identity.ROK, consultation_id=ident, proposal=1))
    message = await rejected(consultation, ConsultationWorkflow.accept, own)
    assert message == "ROK made proposal 1; it counts only when the other Participant accepts it"
    missing = signed(ResolutionAcceptance(filed_by=Identity.UK, consultation_id=ident, proposal=2))
    message = await rejected(consultation, ConsultationWorkflow.accept, missing)
    assert message == f"there is no proposal 2 in {ident}; proposals: 1"
    by_secretariat = signed(ResolutionProposal(filed_by=Identity.SECRETARIAT, consultation_id=ident, resolution="x"))
    message = await rejected(consultation, ConsultationWorkflow.propose, by_secretariat)
    assert message.startswith("only a Participant (UK or ROK) proposes an outcome")
    assert (await consultation.query(ConsultationWorkflow.show)).summary.state is ConsultationState.OPEN

    view = await consultation.execute_update(
        ConsultationWorkflow.accept,
        signed(ResolutionAcceptance(filed_by=Identity.UK, consultation_id=ident, proposal=1), to=consultation),
    )
    assert view.summary.state is ConsultationState.RESOLVED and view.accepted_by is Identity.UK
    assert (await consultation.result())["state"] == "RESOLVED"
    rows = [r for r in decisions(register_engine()) if r.workflow_id == ident]
    assert [(r.kind, r.paragraph) for r in rows] == [("consultation-resolved", "29")]
    assert f"Consultation {ident} resolved" in subjects(data_dir)

    async def listed_resolved():
        found = await partnership.query(PartnershipWorkflow.consultations)
        return found[0].state is ConsultationState.RESOLVED

    await eventually(listed_resolved)
    assert (await partnership.query(PartnershipWorkflow.status)).open_consultations == []


async def test_a_consultation_is_about_something_the_partnership_knows(partnership):
    vague = signed(ConsultationRequest(filed_by=Identity.UK, about="everything", summary="x"))
    message = await rejected(partnership, PartnershipWorkflow.open_consultation, vague)
    assert message.startswith("'everything' is neither a ¶ (1–33), a commitment ref (e.g. 9b)")
    by_secretariat = signed(ConsultationRequest(filed_by=Identity.SECRETARIAT, about="9b", summary="x"))
    message = await rejected(partnership, PartnershipWorkflow.open_consultation, by_secretariat)
    assert message.startswith("only a Participant (UK or ROK) opens a consultation")


async def test_an_idle_consultation_reminds_both_sides_and_forces_nothing(time_env, skipping_partnership, data_dir):
    consultation = await open_one(skipping_partnership, time_env.client, about="9b")
    opened = (await consultation.query(ConsultationWorkflow.show)).summary.opened_at
    await sleep_until(time_env, opened + timedelta(days=29))
    idle = [s for s in subjects(data_dir) if "has been idle" in s]
    assert idle == []
    await sleep_until(time_env, opened + timedelta(days=61))

    async def two_reminders():
        return len([s for s in subjects(data_dir) if "has been idle" in s]) == 2

    await eventually(two_reminders)
    assert (await consultation.query(ConsultationWorkflow.show)).summary.state is ConsultationState.OPEN
    await effects_done(consultation, ConsultationWorkflow.pending_effects)


def test_a_round_is_not_held_before_the_consultation_was_opened_in_the_filers_calendar(keys):
    """Walk-through F6: the opening day is counted where the filer counts its "today": ROK opened
    it at 01:00 in Seoul on 29 November, still 28 November in London, so UK's round of the 28th
    is taken and ROK's of the 28th is not; the secretariat counts in UTC (the 28th too)."""
    from datetime import UTC, datetime

    from models.consultation import ConsultationCase
    from rules.p29_consultations import round_date_problem

    case = ConsultationCase(
        consultation_id="partnership-consultation-1",
        partnership_id="partnership",
        request=ConsultationRequest(filed_by=Identity.ROK, about="28", summary="Costs"),
        opened_at=datetime(2026, 11, 28, 16, 0, tzinfo=UTC),  # 01:00 on the 29th in Seoul
        keys=keys,
    )
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def round_(by: Identity, held_on: date) -> ConsultationRound:
        return ConsultationRound(
            filed_by=by, consultation_id=case.consultation_id, held_on=held_on, attendees=[], note="Met."
        )

    the_28th, the_29th = date(2026, 11, 28), date(2026, 11, 29)
    assert round_date_problem(case, round_(Identity.UK, the_28th), now) is None
    assert round_date_problem(case, round_(Identity.SECRETARIAT, the_28th), now) is None
    assert round_date_problem(case, round_(Identity.ROK, the_28th), now) == (
        "partnership-consultation-1 was opened on 2026-11-29 (ROK's date); "
        "a round held on 2026-11-28, before it, is not one of its rounds"
    )
    assert round_date_problem(case, round_(Identity.ROK, the_29th), now) is None
    assert round_date_problem(case, round_(Identity.UK, date(2026, 11, 27)), now) is not None


def test_a_round_noted_without_a_date_is_held_on_the_filers_today():
    """`consult note` without --held-on takes the filer's today as the rules count it, not the
    machine's: at 20:00 UTC it is already tomorrow in Seoul, so ROK's default is tomorrow's date
    (the machine's would be refused as before a consultation UK opened a minute earlier)."""
    from datetime import UTC, datetime

    from models.calendar import filers_date

    evening = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    assert filers_date(evening, Identity.ROK) == date(2026, 11, 30)
    assert filers_date(evening, Identity.UK) == filers_date(evening, Identity.SECRETARIAT) == date(2026, 11, 29)
