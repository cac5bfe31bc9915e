"""The console's rules that need no browser and no server: who may reach it, one-time form tokens,
which identities an office holds, and forms read into instruments exactly as the CLI builds them."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from cli.common import Refused
from console.instruments import BY_MODEL, BY_SLUG, INSTRUMENTS, instrument_fields, parse
from console.office import AccessRefused, Session, held_identities, required_token
from models.identities import Identity


def test_loopback_needs_no_token_and_elsewhere_a_long_one(monkeypatch):
    monkeypatch.delenv("PARTNERSHIP_CONSOLE_TOKEN", raising=False)
    assert required_token("127.0.0.1") is None and required_token("localhost") is None
    assert required_token("::1") is None
    with pytest.raises(AccessRefused, match="PARTNERSHIP_CONSOLE_TOKEN"):
        required_token("0.0.0.0")
    monkeypatch.setenv("PARTNERSHIP_CONSOLE_TOKEN", "short")
    with pytest.raises(AccessRefused):
        required_token("192.0.2.1")
    monkeypatch.setenv("PARTNERSHIP_CONSOLE_TOKEN", "a-secret-of-sufficient-length")
    assert required_token("192.0.2.1") == "a-secret-of-sufficient-length"


def test_a_form_token_is_good_for_one_post_in_its_own_session():
    mine, theirs = Session(acting=Identity.UK), Session(acting=Identity.ROK)
    token = mine.issue()
    assert not theirs.redeem(token)
    assert mine.redeem(token)
    assert not mine.redeem(token)  # replayed
    assert not mine.redeem("")


def test_an_office_holds_the_keys_in_its_data_dir(data_dir):
    assert held_identities() == [Identity.UK, Identity.ROK, Identity.SECRETARIAT]
    (data_dir / "keys" / "uk.key").unlink()
    assert held_identities() == [Identity.ROK, Identity.SECRETARIAT]


def test_every_instrument_has_a_form_and_every_inbox_answer_an_instrument():
    assert len(BY_SLUG) == len(INSTRUMENTS) == len(BY_MODEL)
    for instrument in INSTRUMENTS:
        instrument.fields()  # every field type has a widget (a withdrawal has no field at all)
        assert Identity.AUDITOR not in instrument.filers
    answered = {"AmendmentConsent", "ActionAgreement", "ProgressReport", "CostArrangement", "ActionClosure"}
    answered |= {"GroupLeads", "ResolutionAcceptance", "CoChairNomination", "AgendaAgreement", "Postponement"}
    answered |= {"DecisionAgreement", "MinutesApproval", "Convening", "MinutesFiling"}
    assert answered <= set(BY_MODEL)


def test_a_form_becomes_the_instrument_the_cli_would_sign():
    proposal, target = parse(
        BY_SLUG["action-propose"],
        {"ref": "9b", "title": " Open RAN test bed ", "starts": "2026-01-05", "description": "a\r\nb"},
        Identity.UK,
    )
    assert target is None
    assert (proposal.ref, proposal.title, proposal.starts) == ("9b", "Open RAN test bed", date(2026, 1, 5))
    assert proposal.description == "a\nb" and proposal.lead_uk is None
    shown = instrument_fields(proposal)
    assert shown["instrument"] == "JointActionProposal" and shown["filed_by"] == "UK"
    assert shown["filing_id"] == proposal.filing_id and "signature" not in shown

    report, target = parse(
        BY_SLUG["action-report"], {"action_id": "action-9b-x", "status": "on-track", "percent": "40"}, Identity.ROK
    )
    assert target == "action-9b-x" and report.percent == 40

    amendment, _ = parse(BY_SLUG["amendment-propose"], {"paragraphs": "7, 33", "text": "New."}, Identity.UK)
    assert amendment.paragraphs == [7, 33] and amendment.catalogue_changes == []

    nominate = BY_SLUG["forum-nominate"]
    # The form starts with the side's own ministry and usual rank, as `forum nominate` defaults (¶7).
    assert nominate.starting_values(Identity.ROK) == {"ministry": "MSIT", "rank": "first-vice-minister"}
    assert nominate.starting_values(Identity.UK) == {"ministry": "DSIT", "rank": "minister-of-state"}
    assert [f.name for f in nominate.fields() if f.widget == "select"] == ["ministry", "rank"]
    form = {"forum_id": "forum-2026", "name": "Kim", "title": "Vice Minister", **nominate.starting_values(Identity.ROK)}
    nomination, target = parse(nominate, form, Identity.ROK)
    assert target == "forum-2026" and not hasattr(nomination, "forum_id")
    assert (nomination.ministry, nomination.rank) == ("MSIT", "first-vice-minister")


def test_a_bad_field_is_named_before_anything_is_signed():
    with pytest.raises(ValidationError, match="percent"):
        parse(BY_SLUG["action-report"], {"action_id": "a", "status": "on-track", "percent": "140"}, Identity.UK)
    with pytest.raises(Refused, match="paragraphs"):
        parse(BY_SLUG["amendment-propose"], {"paragraphs": "seven", "text": "x"}, Identity.UK)
    with pytest.raises(Refused, match="catalogue_changes: not JSON"):
        parse(BY_SLUG["amendment-propose"], {"paragraphs": "7", "text": "x", "catalogue_changes": "["}, Identity.UK)
    with pytest.raises(ValidationError, match="title"):
        parse(BY_SLUG["action-propose"], {"ref": "9b", "title": "x" * 301}, Identity.UK)


def test_an_action_page_shows_each_sides_pending_terms_and_how_they_differ():
    """Issue 15: the console's action page lists both sides' waiting filings and the difference."""
    from datetime import UTC, datetime

    from console.app import NAV, Settings, templates
    from models.joint import JointFilings, PendingFiling
    from models.joint_action import ActionState, ActionSummary, ActionView

    costs = JointFilings(
        filed={
            Identity.UK: PendingFiling(filing_id="a", terms={"arrangement": "UK pays travel."}),
            Identity.ROK: PendingFiling(filing_id="b", terms={"arrangement": "Shared equally."}),
        }
    )
    summary = ActionSummary(
        action_id="action-9b-x", ref="9b", area="telecoms", pillar=1, title="X", state=ActionState.ACTIVE,
        proposed_by=Identity.UK,
    )  # fmt: skip
    view = ActionView(
        summary=summary, description="", lead_uk=None, lead_rok=None, starts=None, ends=None,
        proposed_at=datetime(2026, 1, 1, tzinfo=UTC), agreed_at=None, cadence_months=3, reports=[],
        cost_filings=costs, closure_filings=JointFilings.model_validate({"UK": "complete"}), ended_at=None,
        reason=None, partnership_terminated_on=None,
    )  # fmt: skip
    body = templates.get_template("action.html").render(
        nav=NAV, path="/actions/action-9b-x", acting=None, held=[], fingerprint=None, switch_token="",
        settings=Settings(temporal_ui="http://127.0.0.1:8233"), view=view, forms=[],
    )  # fmt: skip
    assert "UK has filed: UK pays travel." in body and "ROK has filed: Shared equally." in body
    assert "arrangement: UK &#39;UK pays travel.&#39;, ROK &#39;Shared equally.&#39;" in body
    assert "UK has filed to complete" in body  # kept before its fields were


async def test_a_page_shows_each_closed_one_the_server_still_holds(monkeypatch):
    """Issue 12: after a continue-as-new the Forum and consultations pages list closed cycles and
    consultations from the register (`with_closed`) and show each the server still holds; one whose
    history went past retention is skipped, not a page error."""
    from temporalio.service import RPCError, RPCStatusCode

    import console.pages

    asked: list[str] = []

    class Handle:
        def __init__(self, ident: str) -> None:
            self.ident = ident

        async def query(self, query):
            asked.append(self.ident)
            if self.ident == "gone":
                raise RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")
            return f"view of {self.ident}"

    class Client:
        def get_workflow_handle(self, ident: str) -> Handle:
            return Handle(ident)

    async def client():
        return Client()

    monkeypatch.setattr(console.pages, "client", client)
    assert await console.pages.shown(["forum-2026", "gone", "forum-2027"], "show") == [
        "view of forum-2026",
        "view of forum-2027",
    ]
    assert asked == ["forum-2026", "gone", "forum-2027"]
