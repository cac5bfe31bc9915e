"""The console's rules that need no browser and no server: who may reach it, one-time form tokens,
which identities an office holds, and forms read into instruments exactly as the CLI builds them."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from cli.common import Refused
from console.forms import instrument_fields, parse
from console.instruments import BY_MODEL, BY_SLUG, INSTRUMENTS
from console.office import AccessRefused, Session, held_identities, required_token, served_hosts
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


def test_the_console_answers_only_to_its_own_names(monkeypatch):
    monkeypatch.delenv("PARTNERSHIP_CONSOLE_HOSTS", raising=False)
    assert served_hosts("127.0.0.1", 8080) == {"127.0.0.1:8080", "localhost:8080", "[::1]:8080"}
    assert served_hosts("::1", 80) == {"127.0.0.1:80", "localhost:80", "[::1]:80", "127.0.0.1", "localhost", "[::1]"}
    assert "192.0.2.1:8443" in served_hosts("192.0.2.1", 8443) and "192.0.2.1" not in served_hosts("192.0.2.1", 8443)
    monkeypatch.setenv("PARTNERSHIP_CONSOLE_HOSTS", "Console.Office.example, ")
    assert served_hosts("0.0.0.0", 8080) >= {"console.office.example", "0.0.0.0:8080"}


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


def test_a_console_beside_a_stack_links_to_that_stacks_web_ui(data_dir):
    from console.serve import DEFAULT_UI, stack_web_ui

    assert stack_web_ui() == DEFAULT_UI  # no stack on this data dir
    (data_dir / "temporal.ui").write_text("http://localhost:8300\n")  # what `up --ui-port 8300` writes
    assert stack_web_ui() == "http://localhost:8300"


def test_every_instrument_has_a_form_and_every_inbox_answer_an_instrument():
    # One form per instrument, but a JointWithdrawal has one per kind of thing it is filed on (as
    # the CLI has a command each) and answers no inbox item: it is offered beside what it withdraws.
    assert len(BY_SLUG) == len(INSTRUMENTS)
    assert len(BY_MODEL) == len({i.model for i in INSTRUMENTS}) - 1 and "JointWithdrawal" not in BY_MODEL
    withdrawals = {i.slug: i for i in INSTRUMENTS if i.model.__name__ == "JointWithdrawal"}
    assert set(withdrawals) == {
        "group-withdraw",
        "action-withdraw",
        "action-wind-down-withdraw",
        "forum-postpone-withdraw",
        "forum-withdraw-agreement",
    }
    for instrument in INSTRUMENTS:
        instrument.fields()  # every field type has a widget (a withdrawal has no field at all)
        assert Identity.AUDITOR not in instrument.filers
        assert "withdraws" not in {f.name for f in instrument.fields()}  # never typed: read (issue 15)
    assert Identity.SECRETARIAT in BY_SLUG["forum-agenda-withdraw"].filers  # it adds items too
    assert Identity.SECRETARIAT in BY_SLUG["consult-note"].filers  # it convenes rounds, as the CLI lets it
    assert all(i.filers == (Identity.UK, Identity.ROK) for i in withdrawals.values())
    answered = {"AmendmentConsent", "ActionAgreement", "ProgressReport", "CostArrangement", "ActionClosure"}
    answered |= {"GroupLeads", "ResolutionAcceptance", "CoChairNomination", "AgendaAgreement", "Postponement"}
    answered |= {"DecisionAgreement", "MinutesApproval", "Convening", "MinutesFiling", "RegisterCheckpoint"}
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


@pytest.mark.parametrize(
    ("side", "title", "rank", "signed"),
    [
        (Identity.ROK, "Second Vice Minister", "", "second-vice-minister"),  # F18: it was preselected first-…
        (Identity.ROK, "Vice Minister", "", "first-vice-minister"),  # the title names none: the side's usual
        (Identity.UK, "Minister for AI", "", "minister-of-state"),
        (Identity.ROK, "Vice Minister", "second-vice-minister", "second-vice-minister"),  # chosen: as chosen
    ],
)
def test_a_nomination_form_reads_the_rank_from_the_title_as_the_cli_does(side, title, rank, signed):
    """The form starts with the side's own ministry and no rank; left so, the rank is the one
    `forum nominate` infers from the title (¶7), not a preselected one the title contradicts."""
    import asyncio

    from console.forms import read_fields

    nominate = BY_SLUG["forum-nominate"]
    assert nominate.starting_values(side) == {"ministry": "MSIT" if side is Identity.ROK else "DSIT"}
    assert [(f.name, f.required) for f in nominate.fields() if f.widget == "select"] == [
        ("ministry", True),
        ("rank", False),  # offered empty ("—"), with a hint saying what empty means
    ]
    form = {"forum_id": "forum-2026", "name": "Kim", "title": title, "rank": rank, **nominate.starting_values(side)}
    nomination, target = parse(nominate, form, side, asyncio.run(read_fields(nominate, form, side)))
    assert target == "forum-2026" and not hasattr(nomination, "forum_id")
    assert nomination.rank == signed


def test_an_empty_required_text_is_refused_at_review_in_the_forms_words():
    """F18: an amendment with no text passed review and was refused at signing, naming --text-file."""
    with pytest.raises(Refused) as refused:
        parse(BY_SLUG["amendment-propose"], {"paragraphs": "30", "text": " \r\n "}, Identity.UK)
    assert str(refused.value) == "Text is empty; fill it in"


def test_a_bad_field_is_named_before_anything_is_signed():
    with pytest.raises(ValidationError, match="percent"):
        parse(BY_SLUG["action-report"], {"action_id": "a", "status": "on-track", "percent": "140"}, Identity.UK)
    for not_numbers in ("seven", "7, ²"):  # "²" is a digit to str.isdigit, not to int()
        with pytest.raises(Refused, match="paragraphs"):
            parse(BY_SLUG["amendment-propose"], {"paragraphs": not_numbers, "text": "x"}, Identity.UK)
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
        withdraw={"closure": None, "cost-arrangement": None},
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


# Withdrawals (issue 15): the console names the filer's own waiting filing, as the CLI does --------


def waiting_views():
    """What a Partnership, a joint action and a Forum cycle show while UK's filings wait for ROK's:
    each query's answer by name, and the filing ids UK's withdrawals must name."""
    from datetime import UTC, datetime

    from models.forum import ForumView
    from models.joint import JointFilings, PendingFiling
    from models.joint_action import ActionView
    from models.working_group import GroupReport

    def uk(filing_id: str, **terms: str) -> JointFilings:
        return JointFilings(filed={Identity.UK: PendingFiling(filing_id=filing_id, terms=terms)})

    now = datetime(2026, 3, 1, tzinfo=UTC)
    group = {"area": "ai", "name": "AI", "pillar": 2, "pending": uk("f-leads", cadence_months="3")}
    action = ActionView.model_validate(
        {
            "summary": {"action_id": "action-9b-x", "ref": "9b", "area": "telecoms", "pillar": 1, "title": "X",
                        "state": "ACTIVE", "proposed_by": "UK"},
            "description": "", "lead_uk": None, "lead_rok": None, "starts": None, "ends": None, "proposed_at": now,
            "agreed_at": now, "cadence_months": 3, "reports": [], "cost_filings": uk("f-cost", arrangement="x"),
            "closure_filings": uk("f-close", outcome="complete"), "ended_at": None, "reason": None,
            "partnership_terminated_on": None,
        }
    )  # fmt: skip
    agreement = {"filed_by": "UK", "filing_id": "f-decision", "forum_id": "forum-2026", "decision": 1, "tabled": "t"}
    summary = {"forum_id": "forum-2026", "year": 2026, "on": "2026-11-22", "venue": "", "host": "UK",
               "stage": "CALLING_FOR_ITEMS"}  # fmt: skip
    forum = ForumView.model_validate(
        {
            "summary": summary, "co_chairs": {}, "agenda_deadline": "2026-10-23", "agenda_agreed_by": ["UK"],
            "agenda": [{"title": "AI safety", "ref": "13b", "added_by": "UK", "filing_id": "f-item"},
                       {"title": "Review", "standing": True}],
            "agenda_fixed_at": None, "postponements": uk("f-postpone", to="2026-12-01"), "convened_at": None,
            "attendees": [], "minutes": "m", "minutes_approved_by": ["UK"], "closed_at": None,
            "decisions": [{"number": 1, "text": "d", "ref": None, "kind": "general", "tabled_at": now,
                           "agreed_by": ["UK"], "agreements": [agreement]}],
            "agenda_agreements": uk("f-agenda"), "minutes_approvals": uk("f-minutes"),
        }
    )  # fmt: skip
    answers = {
        "groups": [GroupReport(group=group, progress={})],
        "wind_down_filings": uk("f-wind-down", actions="action-9b-x"),
        "forums": [forum.summary],
        "JointActionWorkflow.show": action,
        "ForumCycleWorkflow.show": forum,
    }
    return answers


class FakeHandle:
    """A workflow as the CLI and the console reach it: queries answered from `answers`, Updates
    recorded (what would have been sent, signed) and answered with what the workflow shows."""

    def __init__(self, ident: str, answers: dict, sent: list) -> None:
        self.id, self.answers, self.sent = ident, answers, sent

    async def query(self, query, **_):
        name = query if isinstance(query, str) else query.__name__  # a name (cli/calls.py) or the method
        if name == "show":  # a governed thing's own view: its id says which
            name = "JointActionWorkflow.show" if self.id.startswith("action-") else "ForumCycleWorkflow.show"
        return self.answers[name]

    async def execute_update(self, update, instrument, **_):
        self.sent.append(instrument)
        if self.id.startswith("action-"):
            return self.answers["JointActionWorkflow.show"]
        return (
            self.answers["ForumCycleWorkflow.show"]
            if self.id.startswith("forum-")
            else self.answers["groups"][0].group.pending
        )


@pytest.fixture
def fake_temporal(data_dir, monkeypatch):
    """The CLI's and the console's one connection, to a Temporal that answers from waiting_views()."""
    import cli.common

    answers, sent = waiting_views(), []

    class Client:
        def get_workflow_handle(self, ident: str) -> FakeHandle:
            return FakeHandle(ident, answers, sent)

    async def registry_agrees(handle) -> None:
        return None

    async def connect() -> Client:
        return Client()

    monkeypatch.setattr(cli.common, "connect", connect)
    monkeypatch.setattr(cli.common, "_connected", [])
    monkeypatch.setattr(cli.common, "_keep_connection", True)
    monkeypatch.setattr(cli.common, "check_registry", registry_agrees)
    return sent


@pytest.mark.parametrize(
    ("slug", "form", "command", "withdraws"),
    [
        ("group-withdraw", {"area": "ai"}, ("group", "withdraw", "ai"), "f-leads"),
        # typed by its name, the area is signed by its slug, as `group withdraw` signs it
        (
            "group-withdraw",
            {"area": "Artificial intelligence"},
            ("group", "withdraw", "Artificial intelligence"),
            "f-leads",
        ),
        ("action-wind-down-withdraw", {}, ("action", "wind-down-withdraw"), "f-wind-down"),
        (
            "action-withdraw",
            {"action_id": "action-9b-x", "decision": "cost-arrangement"},
            ("action", "withdraw", "action-9b-x", "--filing", "cost-arrangement"),
            "f-cost",
        ),
        (
            "action-withdraw",
            {"action_id": "action-9b-x", "decision": "closure"},
            ("action", "withdraw", "action-9b-x", "--filing", "closure"),
            "f-close",
        ),
        ("forum-postpone-withdraw", {"forum_id": "forum-2026"}, ("forum", "postpone-withdraw"), "f-postpone"),
        (
            "forum-withdraw-agreement",
            {"forum_id": "forum-2026", "decision": "agenda-agreement"},
            ("forum", "withdraw-agreement", "agenda"),
            "f-agenda",
        ),
        (
            "forum-withdraw-agreement",
            {"forum_id": "forum-2026", "decision": "minutes-approval"},
            ("forum", "withdraw-agreement", "minutes"),
            "f-minutes",
        ),
        (
            "forum-withdraw-agreement",
            {"forum_id": "forum-2026", "decision": "decision-agreement", "number": "1"},
            ("forum", "withdraw-agreement", "1"),
            "f-decision",
        ),
        (
            "forum-agenda-withdraw",
            {"forum_id": "forum-2026", "ref": "13b", "title": ""},
            ("forum", "agenda", "withdraw", "--ref", "13b"),
            "f-item",
        ),
    ],
)
@pytest.mark.parametrize("filer", [Identity.UK, Identity.ROK])
def test_a_withdrawal_form_becomes_the_instrument_the_cli_would_sign(
    fake_temporal, slug, form, command, withdraws, filer
):
    """Issue 15: the console reads the filer's own waiting filing from the thing filed on, as the
    CLI's command does, and signs the same instrument field for field (its filing id and signature
    apart). A side with nothing pending names "none" in both: the workflow's rule then refuses."""
    import asyncio

    from typer.testing import CliRunner

    from console.forms import read_fields
    from starter import app

    instrument = BY_SLUG[slug]
    console, target = parse(instrument, form, filer, asyncio.run(read_fields(instrument, form, filer)))
    ran = CliRunner().invoke(app, [*command, "--as", filer.value])
    assert ran.exit_code == 0, ran.output
    (cli_signed,) = fake_temporal
    assert cli_signed.signature and type(cli_signed) is type(console)
    fields = {"filing_id", "signature"}
    assert console.model_dump(exclude=fields) == cli_signed.model_dump(exclude=fields)
    # Where only another's agenda item answers, it is named: the rule then says whose it is.
    mine = filer is Identity.UK or slug == "forum-agenda-withdraw"
    assert console.withdraws == (withdraws if mine else "none")
    assert console.addressed_to == (target or "partnership")


class Console:
    """The console's routes over ASGI, sent what a browser sends when its user follows a link and
    posts the forms as the pages fill them in (no browser, no port): one session, its cookie kept."""

    HOST = "127.0.0.1:8080"  # where it listens; a browser names it so in Host, and in Origin when it posts

    def __init__(self) -> None:
        from console.app import Settings, create_app

        app = create_app(Settings(temporal_ui="http://127.0.0.1:8233"), host="127.0.0.1", port=8080)
        self.app, self.cookie = app, ""

    async def request(
        self, method: str, target: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """`headers` replace what a browser on the console's own page sends (Host, and Origin on a post)."""
        import asyncio
        from urllib.parse import urlencode

        path, _, query = target.partition("?")
        body = urlencode(form or {}).encode()
        sent = {"host": self.HOST, "content-type": "application/x-www-form-urlencoded"}
        sent |= {"origin": f"http://{self.HOST}"} if method == "POST" else {}
        sent |= {name.lower(): value for name, value in (headers or {}).items()}
        headers = [(name.encode(), value.encode()) for name, value in sent.items() if value is not None]
        headers += [(b"cookie", self.cookie.encode())] if self.cookie else []
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
            "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
        }  # fmt: skip
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        answer: dict = {"status": 0, "body": b""}

        async def receive() -> dict:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # the client stays connected until the answer is sent

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                for name, value in message["headers"]:
                    if name == b"set-cookie":
                        self.cookie = value.decode().split(";")[0]
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        await self.app(scope, receive, send)
        return answer["status"], answer["body"].decode()

    async def file(
        self, link: str, changed: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """Follow a page's link to a form, send it as filled in, then sign what the review shows;
        `changed` and `headers` are what another page would change in the last post."""
        import html
        import re
        from urllib.parse import parse_qsl

        path, _, query = html.unescape(link).partition("?")
        slug = path.removeprefix("/file/")
        status, form = await self.request("GET", f"{path}?{query}")
        assert status == 200, form
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.split(f'action="/file/{slug}"')[1])
        status, review = await self.request("POST", path, {**dict(parse_qsl(query)), "csrf": csrf.group(1)})
        assert status == 200, review
        signing = review.split(f'action="/file/{slug}/confirm"')[1]
        sent = {name: html.unescape(value) for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', signing)}
        return await self.request("POST", f"{path}/confirm", sent | (changed or {}), headers)


@pytest.fixture
async def console_on(partnership, local_env, monkeypatch):
    """A console (acting as UK, the first key its data dir holds) on the test's own Partnership."""
    import cli.common
    import models.names
    import workflows.partnership

    monkeypatch.setenv("TEMPORAL_ADDRESS", local_env.client.service_client.config.target_host)
    monkeypatch.setattr(workflows.partnership, "PARTNERSHIP_ID", partnership.id)
    monkeypatch.setattr(models.names, "PARTNERSHIP_ID", partnership.id)  # the CLI's reads and filings
    monkeypatch.setattr(cli.common, "_connected", [])
    monkeypatch.setattr(cli.common, "_keep_connection", True)
    return Console()


@pytest.mark.timeout(120)
async def test_a_waiting_filing_withdrawn_from_its_page_is_gone_and_nothing_pending_is_refused(partnership, console_on):
    """Issue 15 through the console's form-posting path: the catalogue offers UK the withdrawal of
    its waiting filing of a group's leads beside it; signed and filed, UK's side is gone from the
    group. Sent again with nothing pending, it is refused in the workflow's one line, and the
    Partnership's history does not grow."""
    import re

    from models.working_group import GroupLeads
    from tests.helpers import settled_history_length, signed
    from workflows.partnership import PartnershipWorkflow as P

    leads = GroupLeads(filed_by=Identity.UK, area="ai", lead_uk="A. Smith", lead_rok="J. Kim")
    await partnership.execute_update(P.set_group_leads, signed(leads))
    status, catalogue = await console_on.request("GET", "/catalogue")
    assert status == 200 and "Pending leads: UK has filed A. Smith (UK), J. Kim (ROK)" in catalogue
    (link,) = re.findall(r'href="(/file/group-withdraw\?[^"]+)">Withdraw your filing of the leads', catalogue)

    status, filed = await console_on.file(link)
    assert status == 200 and 'id="filed"' in filed, filed
    (group,) = [r.group for r in await partnership.query(P.groups) if r.group.area == "ai"]
    assert group.pending.get(Identity.UK) is None
    assert "Pending leads" not in (await console_on.request("GET", "/catalogue"))[1]

    before = await settled_history_length(partnership)
    status, refused = await console_on.file(link)
    (line,) = re.findall(r'id="refusal">([^<]*)<', refused)
    assert status == 409 and line == (
        "rejected: no filing of the leads of the working group ai is pending; there is nothing to withdraw"
    )
    assert await settled_history_length(partnership) == before


@pytest.mark.timeout(120)
async def test_the_register_page_signs_the_register_as_this_office_reads_it(partnership, console_on):
    """Walkthrough 2, C2: a checkpoint is signed from the console as `checkpoint sign` signs it: the
    office's own register (rows, head hash) is read for it, never typed."""
    import re

    from activities.register import decisions, register_engine
    from tests.helpers import effects_done
    from workflows.partnership import PartnershipWorkflow as P

    await effects_done(partnership, P.pending_effects)  # the entry into effect is in the register
    rows = decisions(register_engine())
    status, page = await console_on.request("GET", "/register")
    (link,) = re.findall(r'href="(/file/checkpoint-sign\?[^"]*)"', page)
    status, filed = await console_on.file(link)
    assert status == 200 and 'id="filed"' in filed, filed
    pending = (await partnership.query(P.checkpoint)).pending
    assert (pending.rows, pending.head_hash, list(pending.filings)) == (len(rows), rows[-1].hash, [Identity.UK])
    # The Register page says so (console walkthrough 3, F12).
    status, page = await console_on.request("GET", "/register")
    assert f"Awaiting a second signature: {len(rows)} rows, signed by UK." in page


def test_a_page_offers_only_the_forms_its_state_could_take():
    """Walkthrough 2, C3: no form the rules would surely refuse (the workflow still decides)."""
    from types import SimpleNamespace as Shown

    from console.offers import action_forms, forum_forms, termination_forms
    from models.forum import ForumStage
    from models.joint_action import ActionState
    from models.partnership import Stage

    proposed = Shown(state=ActionState.PROPOSED, proposed_by=Identity.UK)
    assert action_forms(proposed, Identity.UK) == ("action-cost-share", "action-close")  # UK cannot agree its own
    assert action_forms(proposed, Identity.ROK)[0] == "action-agree"
    assert "action-report" in action_forms(Shown(state=ActionState.ACTIVE, proposed_by=Identity.UK), Identity.ROK)
    assert action_forms(Shown(state=ActionState.COMPLETED, proposed_by=Identity.UK), Identity.ROK) == ()

    from datetime import UTC, date, datetime

    def cycle(stage, decisions=(), minutes=None, agreed=(), approved=()):
        summary = Shown(stage=stage, host=Identity.ROK, on=date(2027, 11, 22))
        return Shown(
            summary=summary, decisions=list(decisions), minutes=minutes, agenda_agreed_by=list(agreed),
            minutes_approved_by=list(approved),
        )  # fmt: skip

    before, on_the_day = datetime(2027, 11, 20, tzinfo=UTC), datetime(2027, 11, 22, 1, tzinfo=UTC)
    uk = Identity.UK
    assert "forum-convene" not in forum_forms(cycle(ForumStage.CALLING_FOR_ITEMS), uk, on_the_day)
    assert "forum-agenda-agree" in forum_forms(cycle(ForumStage.CALLING_FOR_ITEMS), uk, before)
    assert "forum-agenda-agree" not in forum_forms(cycle(ForumStage.CALLING_FOR_ITEMS, agreed=[uk]), uk, before)
    fixed = cycle(ForumStage.AGENDA_FIXED)
    assert forum_forms(fixed, Identity.SECRETARIAT, before) == ("forum-nominate", "forum-postpone")  # not yet met
    assert forum_forms(fixed, Identity.SECRETARIAT, on_the_day)[-1] == "forum-convene"  # its day, in Seoul
    assert forum_forms(cycle(ForumStage.CONVENED), uk, on_the_day) == ("forum-decide", "forum-minutes")
    tabled = Shown(taken_at=None, agreed_by=[])
    assert forum_forms(cycle(ForumStage.CONVENED, [tabled], "Minutes."), uk, on_the_day) == (
        "forum-decide", "forum-agree", "forum-minutes", "forum-approve",
    )  # fmt: skip
    agreed_by_uk = Shown(taken_at=None, agreed_by=[uk])
    assert forum_forms(cycle(ForumStage.CONVENED, [agreed_by_uk], "M.", approved=[uk]), uk, on_the_day) == (
        "forum-decide", "forum-minutes",
    )  # fmt: skip
    assert forum_forms(cycle(ForumStage.CLOSED), uk, on_the_day) == ()

    from console.offers import amendment_forms, consultation_forms
    from models.amendment import AmendmentStatus

    # Walkthrough 3, F4: each side is offered what it may file on the thing the page shows.
    proposal = Shown(status=AmendmentStatus.PROPOSED, proposed_by=Identity.UK)
    assert amendment_forms(proposal, Identity.UK) == ("amendment-withdraw",)
    assert amendment_forms(proposal, Identity.ROK) == ("amendment-consent", "amendment-decline")
    assert amendment_forms(Shown(status=AmendmentStatus.CONSENTED, proposed_by=Identity.UK), Identity.UK) == ()
    from models.consultation import ConsultationState

    opened = Shown(
        summary=Shown(state=ConsultationState.OPEN, opened_by=Identity.UK), proposals=[Shown(by=Identity.ROK)]
    )
    assert consultation_forms(opened, Identity.UK) == (
        "consult-note", "consult-propose", "consult-accept", "consult-withdraw",
    )  # fmt: skip
    assert consultation_forms(opened, Identity.ROK) == ("consult-note", "consult-propose")  # its own proposal
    assert (
        consultation_forms(
            Shown(summary=Shown(state=ConsultationState.RESOLVED, opened_by=Identity.UK), proposals=[]), None
        )
        == ()
    )

    notice = Shown(given_by=Identity.ROK)
    pending = Shown(state=Stage.TERMINATION_PENDING, termination_notices=[notice])
    assert termination_forms(pending, Identity.ROK) == ("termination-withdraw",)
    assert termination_forms(pending, Identity.UK) == ("termination-notify",)
    assert termination_forms(Shown(state=Stage.TERMINATED, termination_notices=[]), Identity.UK) == ()


def test_the_forum_schedule_form_is_the_secretariats_and_signs_what_the_cli_does():
    instrument = BY_SLUG["forum-schedule"]
    assert instrument.filers == (Identity.SECRETARIAT,)
    usual, target = parse(instrument, {"month": "11", "day": "22"}, Identity.SECRETARIAT)
    assert target is None and (type(usual).__name__, usual.month, usual.day) == ("ForumCalendar", 11, 22)
    with pytest.raises(ValidationError):
        parse(instrument, {"month": "13", "day": "22"}, Identity.SECRETARIAT)


@pytest.mark.timeout(120)
async def test_the_forum_page_offers_each_side_its_own_withdrawals_and_an_item_withdrawn_is_gone(
    partnership, local_env, console_on
):
    """Issue 15 on a Forum cycle: beside UK's waiting postponement and the agenda item it added,
    the Forum page offers UK their withdrawal (and nothing beside ROK's item); the item withdrawn
    through the form is gone from the cycle's agenda."""
    import re
    from datetime import date

    from models.forum import AgendaItemFiling, ForumConvocation, Postponement
    from tests.helpers import signed
    from workflows.forum import ForumCycleWorkflow
    from workflows.partnership import PartnershipWorkflow as P

    year = date.today().year + 1
    convocation = ForumConvocation(filed_by=Identity.SECRETARIAT, year=year, host=Identity.ROK)
    receipt = await partnership.execute_update(P.start_forum, signed(convocation, to=partnership))
    forum = local_env.client.get_workflow_handle(receipt.forum_id)
    for side, title in ((Identity.UK, "AI safety"), (Identity.ROK, "Chips")):
        item = AgendaItemFiling(filed_by=side, forum_id=forum.id, title=title, ref="13b")
        await forum.execute_update(ForumCycleWorkflow.add_item, signed(item, to=forum))
    moved = Postponement(filed_by=Identity.UK, forum_id=forum.id, to=date(year, 12, 1))
    await forum.execute_update(ForumCycleWorkflow.postpone, signed(moved, to=forum))

    status, page = await console_on.request("GET", "/forum")
    assert status == 200 and f"Pending: UK has filed to move it to {year}-12-01" in page
    # Where the call for items stands; once the agenda is fixed it says so, not a deadline (F14).
    view = await forum.query(ForumCycleWorkflow.show)
    assert f"agenda open for items until {view.agenda_deadline}." in page
    assert view.model_copy(update={"agenda_fixed_at": view.summary.started_at}).agenda_state() == "fixed"
    # The usual date is said (console walkthrough 3, F2): none set on this Partnership.
    assert '<p id="schedule">No usual date is set: each cycle is started by hand.</p>' in page
    assert re.search(r'href="/file/forum-postpone-withdraw\?[^"]+">Withdraw your postponement<', page)
    assert "Withdraw “Chips”" not in page
    (link,) = re.findall(r'href="(/file/forum-agenda-withdraw\?[^"]+)">Withdraw “AI safety”<', page)
    status, filed = await console_on.file(link)
    assert status == 200 and 'id="filed"' in filed, filed
    titles = [i.title for i in (await forum.query(ForumCycleWorkflow.show)).agenda]
    assert "AI safety" not in titles and "Chips" in titles


# DNS rebinding and posts from other sites (review finding 5): nothing is signed for them -------

REPORT = "/file/action-report?action_id=action-9b-x&status=on-track&percent=40"


async def test_under_a_name_the_console_does_not_serve_nothing_is_opened_or_filed(fake_temporal):
    """A page on evil.example whose name rebinds to 127.0.0.1 reaches the console as evil.example:
    refused in one line, with no session opened; its confirmation, even with a genuine form token,
    files nothing."""
    console = Console()
    status, body = await console.request("GET", "/", headers={"host": "evil.example:8080"})
    assert (status, body) == (400, "this console does not answer to evil.example:8080; open it by its own address")
    assert console.cookie == "" and not console.app.state.sessions._sessions
    for host in ("evil.example:8080", "127.0.0.1:9999", None):  # another port, and no Host at all
        status, body = await console.file(REPORT, headers={"host": host, "origin": None})
        assert status == 400 and "\n" not in body.strip() and fake_temporal == []
    assert (await console.file(REPORT))[0] == 200 and len(fake_temporal) == 1  # by its own name, filed


@pytest.mark.parametrize(
    "sender",
    [{"origin": "http://evil.example"}, {"origin": "null"}, {"origin": None, "referer": "http://evil.example/x"}],
)
async def test_a_post_from_another_site_signs_nothing(fake_temporal, sender):
    console = Console()
    status, body = await console.file(REPORT, headers=sender)
    assert (status, body) == (403, "refused: this form was sent from another site, not from this console's pages")
    assert fake_temporal == []
    same_site = {"origin": None, "referer": f"http://{Console.HOST}/file/action-report"}
    assert (await console.file(REPORT, headers=same_site))[0] == 200 and len(fake_temporal) == 1


async def test_what_is_signed_is_the_instrument_reviewed_not_what_the_confirmation_posts(fake_temporal):
    """The confirmation page's instrument stays on the server: a post naming another instrument is
    refused and signs nothing; another action to file on is not read from the post at all."""
    tampered, _ = parse(BY_SLUG["action-report"], {"action_id": "action-9b-y", "status": "at-risk", "percent": "99"},
                        Identity.UK, {"addressed_to": "action-9b-y"})  # fmt: skip
    status, body = await Console().file(REPORT, {"instrument": tampered.model_dump_json()})
    assert status == 403 and "not the one you reviewed; nothing was signed" in body and fake_temporal == []
    status, body = await Console().file(REPORT, {"target": "action-9b-y"})
    assert status == 200 and 'id="filed"' in body, body
    (filed,) = fake_temporal
    assert (filed.addressed_to, filed.status, filed.percent) == ("action-9b-x", "on-track", 40) and filed.signature


async def test_an_office_without_the_register_is_told_where_it_looked_and_verifies_nothing(fake_temporal, data_dir):
    """A Participant's office runs no stack and so holds no register: the register page, and its
    "Verify now", say so in one line naming where the register was looked for."""
    console = Console()
    for target in ("/register", "/register?verify=1"):
        status, body = await console.request("GET", target)
        assert status == 200, body
        assert f"no register at sqlite:///{data_dir}/register.db (unable to open database file)" in body
        assert 'id="verdict"' not in body


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("state=bogus", "no joint-action state &#39;bogus&#39;; choose one of PROPOSED"),
        ("state=ACTIVE&pillar=x", "no joint-action pillar &#39;x&#39;; choose one of 1, 2, 3, 4"),
    ],
)
async def test_a_filter_value_nothing_can_match_is_said_not_shown_as_no_match(fake_temporal, query, says):
    """F18: `/actions?state=bogus` showed "No joint action matches", where the CLI's --state refuses."""
    status, body = await Console().request("GET", f"/actions?{query}")
    assert status == 400 and says in body, body


def test_switching_identity_goes_back_only_to_a_page_of_this_console():
    """M3 of the second adversarial review: `/\\evil.example` passed as a local page, and browsers
    go to evil.example for it."""
    from console.app import page_here

    assert page_here("/actions/action-9b-x?tab=reports") == "/actions/action-9b-x?tab=reports"
    for elsewhere in ("//evil.example", "/\\evil.example", "https://evil.example", "/\tevil", "", "evil"):
        assert page_here(elsewhere) == "/", elsewhere


def test_verify_now_shows_what_happened_outside_the_rules():
    """Walkthrough 2, C1: the console's verification listed the problems only, and its verdict left
    out the findings `audit verify` names (outside signals, terminations, resets)."""
    from datetime import UTC, datetime

    from audit.closure import Finding
    from audit.verify import VerifyReport
    from console.app import NAV, Settings, templates

    finding = Finding(
        kind="terminated", workflow_id="action-9b-x", run_id="r1", event_id=19, at=datetime(2026, 11, 29, tzinfo=UTC),
        identity="temporal-cli:root@vm", detail="terminated from outside: by hand",
    )  # fmt: skip
    report = VerifyReport(rows=3, histories=2, decisions_in_histories=3, problems=[], findings=[finding])
    body = templates.get_template("register.html").render(
        nav=NAV, path="/register", acting=None, held=[], fingerprint=None, switch_token="",
        settings=Settings(temporal_ui="http://127.0.0.1:8233"), rows=[],
        health={"error": None, "rows": 3, "problems": []}, report=report,
    )  # fmt: skip
    assert "0 problem(s), 1 finding(s)" in body and "consistent" not in body
    assert finding.line() in body


def test_a_wind_down_receipt_says_whether_it_was_taken():
    """Walkthrough 3, F12: the receipt of a completed wind-down was a bare `[]`."""
    from types import SimpleNamespace as Shown

    from console.instruments import wound_down
    from models.joint_action import WindDown

    filing = WindDown(filed_by=Identity.ROK, actions=["action-9b-x"])
    assert wound_down(filing, []) == "wound down by both Participants (¶32): action-9b-x"
    assert wound_down(filing, [Shown(action_id="action-9b-x")]) == (
        "filed; 1 action(s) are wound down once the other Participant files the same"
    )
    assert BY_SLUG["action-wind-down"].said is wound_down


def test_a_refusal_names_the_forms_field_not_the_cli_option():
    """Walkthrough 3, F12: the console's refusals quoted CLI options its forms do not have."""
    from console.filing import in_form_words

    start = BY_SLUG["forum-start"]
    assert in_form_words("rejected: name 2026-12-31 or later (--on)", start) == (
        "rejected: name 2026-12-31 or later (the “On” field)"
    )
    propose = BY_SLUG["amendment-propose"]
    assert in_form_words("rejected: the wording is empty (--text-file)", propose) == (
        "rejected: the wording is empty (the “Text” field)"
    )
    assert in_form_words("rotate it: partnership keys rotate --as UK", propose).endswith("--as UK")  # no such field
    nominate = BY_SLUG["forum-nominate"]
    assert in_form_words("a UK co-chair is at DSIT (--ministry DSIT)", nominate) == (
        "a UK co-chair is at DSIT (the “Ministry” field set to DSIT)"
    )


@pytest.mark.timeout(120)
async def test_an_amendments_page_shows_the_wording_in_force_not_only_as_signed(partnership, local_env, console_on):
    """Console walkthrough 3, F5: the page showed 2023's ¶7 as "Current text" beside a proposal,
    though an amendment in force had changed ¶7: the other side was asked to consent against it."""
    from tests.helpers import eventually
    from tests.test_amendments import consent, in_force, propose
    from workflows.amendment import AmendmentWorkflow

    first, amendment = await propose(partnership, local_env.client, text="The Forum meets twice a year.")
    await amendment.execute_update(AmendmentWorkflow.consent, consent(first.amendment_id))
    await eventually(lambda: in_force(partnership))
    from datetime import timedelta

    later = date.today() + timedelta(days=400)
    second, _ = await propose(
        partnership, local_env.client, text="The Forum meets three times a year.", effective_on=later
    )
    status, page = await console_on.request("GET", f"/amendments/{second.amendment_id}")
    assert f"on {later} at the earliest, once consented" in page  # what is consented to (F7)
    current = page.split('id="current-h"')[1].split('id="proposed-h"')[0]
    assert status == 200 and f'As amended by <a href="/amendments/{first.amendment_id}">' in current
    assert "The Forum meets twice a year." in current


@pytest.mark.timeout(120)
async def test_a_round_and_an_acceptance_take_the_clis_defaults(partnership, local_env, console_on):
    """Console walkthrough 3, F8, F9: a round's date defaulted to the filer's today in the CLI but
    was required in the form; an acceptance needed a proposal number the page did not show."""
    from models.consultation import ConsultationState, ResolutionProposal
    from tests.helpers import signed
    from tests.test_consultations import open_one
    from workflows.consultation import ConsultationWorkflow

    consultation = await open_one(partnership, local_env.client)  # by ROK
    ident = consultation.id
    status, noted = await console_on.file(f"/file/consult-note?consultation_id={ident}&amp;note=Met.")  # as UK
    assert status == 200 and 'id="filed"' in noted, noted
    proposal = ResolutionProposal(filed_by=Identity.ROK, consultation_id=ident, resolution="Split 50/50.")
    await consultation.execute_update(ConsultationWorkflow.propose, signed(proposal, to=consultation))
    status, accepted = await console_on.file(f"/file/consult-accept?consultation_id={ident}")
    assert status == 200 and 'id="filed"' in accepted, accepted
    view = await consultation.query(ConsultationWorkflow.show)
    assert view.summary.state is ConsultationState.RESOLVED and view.rounds[0].held_on is not None


@pytest.mark.timeout(120)
async def test_forms_sit_where_what_they_file_on_is_shown(partnership, local_env, console_on):
    """Console walkthrough 3, F4, F10: a group's leads on the Catalogue and a notice on the Overview
    (they were on the Consultations page only); a proposed action's closure starts at discontinue."""
    import re

    from tests.helpers import signed
    from tests.test_joint_actions import propose
    from workflows.partnership import PartnershipWorkflow as P

    assert "/file/group-set-leads?" in (await console_on.request("GET", "/catalogue"))[1]
    assert "/file/termination-notify?" in (await console_on.request("GET", "/"))[1]
    consultations = (await console_on.request("GET", "/consultations"))[1]
    assert "/file/consult-open?" in consultations and "/file/group-set-leads" not in consultations
    action = await propose(partnership, local_env.client)  # by UK, still PROPOSED
    status, page = await console_on.request("GET", f"/actions/{action.id}")
    assert status == 200 and "/file/action-close?" in page and "outcome=discontinue" in page
    # The other side's pending wind-down names each action, as a list (F14).
    from models.joint_action import WindDown

    second = await propose(partnership, local_env.client, ref="13a", title="AI safety exchange")
    wind_down = WindDown(filed_by=Identity.ROK, actions=[action.id, second.id])
    await partnership.execute_update(P.wind_down, signed(wind_down, to=partnership))
    actions = (await console_on.request("GET", "/actions"))[1]
    assert f"ROK has filed to wind down {', '.join(sorted([action.id, second.id]))}" in actions
    # A thing that is not there is not found (404), in one line (F14: it was 400).
    for path in ("/actions/action-9b-nope", "/amendments/partnership-amendment-99"):
        status, page = await console_on.request("GET", path)
        assert status == 404 and re.search(r"no (joint action|amendment) \S+nope|no amendment \S+-99", page), page
    # Both sides' pending notices show on the Overview, not only the earlier one (F14).
    from models.partnership import TerminationNotice

    for side in (Identity.ROK, Identity.UK):
        await partnership.execute_update(
            P.give_termination_notice, signed(TerminationNotice(filed_by=side), to=partnership)
        )
        if side is Identity.ROK:  # the other side's notice in UK's inbox: the Overview, a difference to raise (F11)
            inbox = (await console_on.request("GET", "/inbox"))[1]
            assert "ROK has given notice of termination" in inbox and '<a href="/">partnership</a>' in inbox
            assert "/file/consult-open?about=31" in inbox and "From the CLI" not in inbox
    overview = (await console_on.request("GET", "/"))[1]
    assert "notice by " in overview and "; also by " in overview


async def test_a_refusal_before_signing_names_the_forms_caption(fake_temporal):
    """Console walkthrough 3, F6: it named the model's field (`percent:`), not the form's."""
    import re

    console = Console()
    status, form = await console.request("GET", "/file/action-report?action_id=action-9b-x")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.split('action="/file/action-report"')[1]).group(1)
    post = {"action_id": "action-9b-x", "status": "on-track", "percent": "140", "csrf": csrf}
    status, review = await console.request("POST", "/file/action-report", post)
    (problem,) = re.findall(r'id="problem">([^<]*)<', review)
    assert status == 400 and problem.startswith("refused before signing: “Percent”: ") and fake_temporal == []


def test_counts_read_as_english_in_the_cli_and_the_console():
    """A two-ministry walkthrough (deploy 5): "0 decisions in 1 histories", "1 actions: 1 active"."""
    from cli.output import counted
    from console.app import templates

    assert [counted(n, "history", "histories") for n in (0, 1, 2)] == ["0 histories", "1 history", "2 histories"]
    assert (
        templates.from_string('{{ 1|counted("action") }}, {{ 3|counted("action") }}').render() == "1 action, 3 actions"
    )
