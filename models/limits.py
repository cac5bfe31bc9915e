"""Length and character limits of every field a filer sends (DESIGN §2: nothing a filer sends can
wedge a workflow).

Filer-supplied text ends up in workflow state, mail headers, terminals and calendar files, so each
field is one of a few constrained types: single-line text has no control characters at all;
multi-line text allows only newline and tab; ids and refs match a strict pattern. The limits keep
the largest filing (and the state that carries it) well under Temporal's 2 MB payload limit.
The README's table lists them; change both together.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, StringConstraints

from models.identities import Identity

#: Characters (as Python counts them) of each kind of text.
NAME_MAX = 80  # a person's name, an attendee
LINE_MAX = 300  # a title, summary, venue, reason on one line
TEXT_MAX = 4_000  # a description, note, resolution, decision, cost arrangement: about a page
LONG_TEXT_MAX = 100_000  # an amendment's wording
#: A Forum's minutes, when filed: about 25 pages (with 20 decisions, a cycle within STATE_BUDGET).
MINUTES_MAX = 50_000
#: Bytes a character of a bounded text may take on average in UTF-8: as many as Korean takes, so a
#: text of 4-byte characters (emoji, mathematical letters) cannot hold a third more than the
#: budgets reckon (adversarial review 2, F5). Checked when a filing is accepted (`bytes_problem`),
#: never when a payload is read back: a history or state written before stays readable.
BYTES_PER_CHARACTER = 3
ID_MAX = 128  # a governed thing's workflow id
#: A governed thing's count of its own changes, as its roll-ups carry it: far above what decades of
#: filings reach. (A forged roll-up can still claim more changes than the child has made, and hold
#: what the Partnership shows until the child closes: a close lands whatever its count.)
SEQ_MAX = 10_000_000
FILING_ID_MAX = 160  # the engine derives some from a workflow id and a number
#: Items in a list field (attendees, paragraphs, catalogue changes).
LIST_MAX = 50
#: Catalogue changes one amendment makes (the Partnership carries each in force for decades).
CHANGES_MAX = 10
#: Entries a Forum cycle or a consultation keeps (agenda items, decisions, rounds, proposals):
#: beyond these, a new cycle or consultation. With the limits above, each workflow's carried
#: state stays under STATE_BUDGET however its filers fill it.
ENTRIES_MAX = 20
#: Progress reports a joint action shows (the latest): reports are an obligation, never refused for
#: number, so older ones leave the state (each stays in the action's history, which `audit timeline`
#: reads) rather than grow it past the 2 MB payload limit (adversarial review 2, F3).
REPORTS_KEPT = 20
#: Open things the Partnership carries at once (issue 12): a closed one leaves its carried state
#: for the register, so these, with the limits above, keep the Partnership within STATE_BUDGET
#: however many years pass. Beyond them a new one waits until one closes.
OPEN_AMENDMENTS_MAX = 20
OPEN_ACTIONS_MAX = 100
OPEN_CONSULTATIONS_MAX = 20
OPEN_FORUMS_MAX = 5  # Forum cycles not yet closed (one starts each year)
#: The open things of each kind the Partnership carries, by the kind's name in its state.
OPEN_MAX = {
    "amendment": OPEN_AMENDMENTS_MAX,
    "action": OPEN_ACTIONS_MAX,
    "consultation": OPEN_CONSULTATIONS_MAX,
    "forum": OPEN_FORUMS_MAX,
}
#: Closed things whose ids the Partnership still knows (a 16-hex-digit digest each, about 19
#: bytes): a joint action's id comes from its title, and a title one of these used is refused.
CLOSED_IDS_KEPT = 3_000
#: The decisions the Partnership told governed things of whose instruments it still vouches for: a
#: child asks within moments of the message (`SenderCheck`), so the latest few hundred are plenty.
TAKEN_KEPT = 500
#: Filings one key of an identity signs on the Partnership (issue 12). The Partnership remembers
#: each filing it accepted (a signed paper is presented once) only while the key that signed it is
#: current: a paper signed by a replaced key no longer verifies. So each identity's key signs this
#: many, then is rotated (key rotations and revocations are taken beyond it).
FILINGS_PER_KEY = 1_000
#: Filings one identity makes on one amendment, joint action, consultation or Forum cycle, each
#: remembered by its id's digest and filer (about 30 bytes): a filer re-filing without end (a
#: co-chair named again and again) grew the state past 2 MB (adversarial review 2, F5). Quarterly
#: reports on a joint action reach it in 250 years.
FILINGS_PER_THING = 1_000
#: Filings that end a governed thing (a closure, a consent or decline, a withdrawal of it, an
#: accepted outcome, an approval of the minutes) are taken this many times beyond it: a side at
#: its limit can still close what it filed on (review 6, F5), and the state stays bounded.
ENDING_MARGIN = 10

#: Catalogue changes in force at once (each amendment in force adds up to CHANGES_MAX).
CATALOGUE_CHANGES_MAX = 50
#: Policy areas added to the catalogue's eleven (each has a working group the Partnership carries).
AREAS_ADDED_MAX = 5
#: Bytes of a workflow's carried state, well under Temporal's 2 MB payload limit.
STATE_BUDGET = 1_000_000

#: Dates a filing may name: a later one cannot be reached, and date arithmetic near year 9999
#: would overflow inside a workflow.
FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2199, 12, 31)

#: The control characters: Unicode's categories Cc (C0, DEL and C1, a set the standard has closed)
#: and Zl, Zp (the line and paragraph separators), which holds the line breaks other than \n that
#: terminals and mail readers honour (U+0085, U+2028, U+2029). Matched by one expression, not one
#: character at a time: minutes and texts run to tens of thousands of characters.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def control_characters(value: str, allowed: str = "") -> list[str]:
    """The control characters in `value` other than those `allowed`, as escapes (e.g. '\\x1b')."""
    return sorted(repr(ch)[1:-1] for ch in set(CONTROL.findall(value)) if ch not in allowed)


def _single_line(value: str) -> str:
    if bad := control_characters(value):
        raise ValueError(f"must be one line without control characters (found {', '.join(bad)})")
    return value


def _multi_line(value: str) -> str:
    if bad := control_characters(value, allowed="\n\t"):
        raise ValueError(f"may contain newlines and tabs but no other control characters (found {', '.join(bad)})")
    return value


def _a_name(value: str) -> str:
    if not value.strip():
        raise ValueError("must name someone (it is blank)")
    return _single_line(value)


#: A person's name (a co-chair, a lead, an attendee): one line, never blank.
Name = Annotated[str, StringConstraints(max_length=NAME_MAX), AfterValidator(_a_name)]
Line = Annotated[str, StringConstraints(max_length=LINE_MAX), AfterValidator(_single_line)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(_multi_line)]
LongText = Annotated[str, StringConstraints(max_length=LONG_TEXT_MAX), AfterValidator(_multi_line)]


def bytes_problem(model: BaseModel) -> str | None:
    """The first text of a filing (or of a model it holds) that takes more than BYTES_PER_CHARACTER
    bytes a character of its limit, or None."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        characters = max_characters([*info.metadata, info.annotation])
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel) and (problem := bytes_problem(item)):
                return f"{name}.{problem}"
            if isinstance(item, str) and characters:
                most = characters * BYTES_PER_CHARACTER
                if (size := len(item.encode("utf-8", "surrogatepass"))) > most:
                    return (
                        f"{name}: takes {size} bytes in UTF-8, more than the {most} its {characters} characters "
                        "may (emoji and some symbols take 4 bytes each)"
                    )
    return None


def max_characters(found: list) -> int | None:
    """The max_length of the first length constraint among a field's metadata and annotations,
    looking inside `X | None`, `list[X]` and `Annotated[...]` (the byte check; the console's forms)."""
    for item in found:
        if isinstance(most := getattr(item, "max_length", None), int):
            return most
        if (inner := typing.get_args(item)) and (most := max_characters(list(inner))):
            return most
    return None


def _each_once(same: Callable[[Any], Any], shown: Callable[[Any], str]) -> AfterValidator:
    """A list in which a filer names things (¶s amended, people who attended) names each once: a
    thing named twice is a slip the filer should see, not a second thing, and a ¶ listed twice
    would let the same amendment pass for a different one."""

    def check(items: list) -> list:
        seen: set = set()
        for item in items:
            if same(item) in seen:
                raise ValueError(f"{shown(item)} named twice; name each once")
            seen.add(same(item))
        return items

    return AfterValidator(check)


#: The ¶s an amendment changes: each once.
Paragraphs = Annotated[list[int], Field(max_length=LIST_MAX), _each_once(lambda p: p, lambda p: f"¶{p}")]
#: Who attended a round or a Forum: each once (case and spacing aside, as agenda titles are).
Attendees = Annotated[
    list[Name], Field(max_length=LIST_MAX), _each_once(lambda n: " ".join(n.split()).casefold(), repr)
]
#: What a consultation is about: a ¶, a commitment ref or a governed thing's id, as typed.
About = Annotated[str, StringConstraints(max_length=ID_MAX), AfterValidator(_single_line)]
#: A ¶ or commitment ref ("31", "9b"), a policy area's slug ("telecoms") or a governed thing's id.
Ref = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
#: The id of a governed thing: `partnership-amendment-1`, `action-9b-workshops`, `forum-2027`.
WorkflowRef = Annotated[str, StringConstraints(pattern=rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{ID_MAX - 1}}}$")]
#: The workflow a filing is addressed to ("" only on a filing not yet addressed, which no workflow accepts).
Addressee = Annotated[str, StringConstraints(pattern=rf"^([A-Za-z0-9][A-Za-z0-9._-]{{0,{ID_MAX - 1}}})?$")]
FilingId = Annotated[str, StringConstraints(pattern=rf"^[A-Za-z0-9][A-Za-z0-9._/-]{{0,{FILING_ID_MAX - 1}}}$")]
#: Base64 of a 64-byte Ed25519 signature (88 characters), or empty before signing.
Signature = Annotated[str, StringConstraints(max_length=128, pattern=r"^[A-Za-z0-9+/=]*$")]
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
Year = Annotated[int, Field(ge=FIRST_DAY.year, le=LAST_DAY.year)]
#: A moment a roll-up reports (a report's time, a thing's opening): aware, within the calendar's
#: range, as every moment the workflows set is. A forged one in year 9999, or with no time zone,
#: broke every page that counted from it (adversarial review 5, F4).
Moment = Annotated[
    AwareDatetime,
    Field(ge=datetime.combine(FIRST_DAY, time(), UTC), le=datetime.combine(LAST_DAY, time.max, UTC)),
]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
#: A roll-up's count of changes (models/joint_action.py ActionSummary and its kin).
Seq = Annotated[int, Field(ge=0, le=SEQ_MAX)]
#: What a governed thing reports of itself, in a roll-up anyone with access to the namespace can
#: forge: held to the lengths of the filings it comes from, so the Partnership's carried state stays
#: small; its characters are escaped wherever it is shown (`control_free`), as text accepted before
#: these limits existed must be.
LineSized = Annotated[str, StringConstraints(max_length=LINE_MAX)]
TextSized = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
IdSized = Annotated[str, StringConstraints(max_length=ID_MAX)]


def control_free(value: str, keep: str = "") -> str:
    """`value` with each control character but those in `keep` written as its escape (ESC shows
    as \\x1b): how filer-supplied text reaches a terminal, a header or a file, whatever it holds
    (also text accepted before these limits existed)."""
    if not control_characters(value, allowed=keep):
        return value
    return CONTROL.sub(lambda found: found[0] if found[0] in keep else repr(found[0])[1:-1], value)


def share_of(most: int) -> int:
    """Decided (adversarial review 3): what one Participant alone may hold of what a workflow may,
    two fifths, so that neither fills it for the other, which could not free it alone (one
    Participant's twenty agenda items left the other none to add). The secretariat, party to no
    difference (a consultation's note-taker, the agenda's keeper), has only the whole."""
    return most * 2 // 5


def over_share(filed: tuple[Identity, int] | None, most: int) -> int | None:
    """The share `filed` (a filer, and how many it holds) has reached, if a Participant's."""
    if filed is not None and filed[0].is_participant and filed[1] >= (share := share_of(most)):
        return share
    return None


def entries_problem(entries: list, what: str, holder: str, mine: tuple[Identity, int] | None = None) -> str | None:
    """Decided here: a Forum cycle or consultation holds at most ENTRIES_MAX of each kind of entry,
    so its state stays within STATE_BUDGET; a Participant filing one (`mine`: it, and how many it
    added) at most its share."""
    if len(entries) >= ENTRIES_MAX:
        return f"{holder} already has {ENTRIES_MAX} {what}, the most it may hold (a limit on state size)"
    if share := over_share(mine, ENTRIES_MAX):
        return (
            f"{holder} already has {share} {what} from {mine[0]}, its share of the {ENTRIES_MAX} it may hold "
            "(a limit on state size)"
        )
    return None


def carried(most_open: int) -> int:
    """How many of a kind the Partnership may carry in all, open or shown closed: what shows one
    closed is its child's roll-up, which anyone with access to the namespace can forge, so a closed
    one leaves the carried state only once Temporal has said it closed, when the Partnership next
    continues as new (a second adversarial review: forged closes let one Participant's proposals
    grow the state past Temporal's payload limit). A quarter more than may be open keeps the
    largest state within STATE_BUDGET (tests/test_decades.py)."""
    return most_open + most_open // 4


def open_things_problem(
    count: int, most: int, what: str, carried_now: int = 0, own: tuple[Identity, int] | None = None
) -> str | None:
    """The one-line refusal when the Partnership already has `most` open `what`, or carries as many
    in all as it may (`carried`), or `own` (a Participant, and how many of them it opened) holds
    its share (`share_of`: the other cannot close them alone; adversarial review 3, F1)."""
    if count >= most:
        return (
            f"the Partnership already has {most} open {what}, the most it may hold (a limit on state size); "
            "close one first"
        )
    if share := over_share(own, most):
        return (
            f"{own[0]} already has {share} open {what} of its own, its share of the {most} the Partnership may "
            "hold (a limit on state size); close one first"
        )
    if carried_now >= carried(most):
        return (
            f"the Partnership carries {carried_now} {what}, the most it may (a limit on state size): the closed ones "
            "leave it when it next continues as new; file this again then"
        )
    return None


def shortened(text: str, most: int = LINE_MAX) -> str:
    """`text` cut to `most` characters, with an ellipsis where it was cut."""
    return text if len(text) <= most else text[: most - 1] + "…"
