"""¶7, who may co-chair the Forum: each Participant's co-chair, named by ministry, rank and title.
The text states the ministries (MSIT, DSIT) and the RoK rank (a Vice Minister); what a
"Ministerial counterpart" is, and which words of a free title contradict the ministry and rank it
stands beside, it leaves open: decided here (README, "Co-chairs").

> 7. The UK-RoK Digital Partnership Forum will oversee the functioning of the Partnership. It will
> be held annually and chaired by a Vice Minister of the Ministry of Science and ICT of the Republic
> of Korea and a Ministerial counterpart at the Department for Science, Innovation and Technology of
> the United Kingdom.
"""

from __future__ import annotations

import re

from models.forum import CoChairNomination, Ministry, Rank
from models.identities import Identity
from rules.tags import decided, stated

# What a title may name, in the order it is read: the longer phrase first, so "Parliamentary
# Under-Secretary of State" is not also read as "Secretary of State", nor "Vice Minister" as
# "Minister". Titles are read case-folded, with hyphens as spaces ("Vice-Minister").
_VICE = "a Vice Minister"
_MINISTER = "a Minister"
_OFFICES: tuple[tuple[str, Rank | str], ...] = (
    (r"parliamentary under secretary of state|under secretary of state", Rank.PARLIAMENTARY_UNDER_SECRETARY_OF_STATE),
    (r"secretary of state", Rank.SECRETARY_OF_STATE),
    (r"minister of state", Rank.MINISTER_OF_STATE),
    (r"(?:first|1st) vice minister", Rank.FIRST_VICE_MINISTER),
    (r"(?:second|2nd) vice minister", Rank.SECOND_VICE_MINISTER),
    (r"vice minister", _VICE),
    (r"minister", _MINISTER),
)
#: Words saying the person does not hold the office themselves.
_NOT_THE_OFFICE_HOLDER = (
    r"former|ex|retired|shadow|designate|acting for|on behalf of|advis[eo]rs?|private secretary|"
    r"deputy to|assistant to|chief of staff|spokesperson"
)
#: Civil-service ranks: officials, not ministers (Korea's Deputy Ministers are officials too).
_CIVIL_SERVICE = r"permanent (?:under )?secretary|director(?: general)?|deputy minister|assistant minister|official"
#: Portfolios and names of other ministries (of either government) than MSIT and DSIT.
_OTHER_PORTFOLIOS = (
    r"trade|industry|energy|foreign|commonwealth|defen[cs]e|home|interior|treasury|exchequer|finance|"
    r"justice|education|health|social care|welfare|environment|food|rural|agriculture|fisheries|oceans|"
    r"transport|culture|sports?|tourism|unification|employment|labou?r|work and pensions|gender|family|"
    r"veterans|smes|business|investment|housing|levelling up|communities|cabinet office|climate|net zero|"
    r"northern ireland|scotland|wales|motie|mofa|moef|fcdo|dbt|dcms|desnz|hmt"
)
#: The other Participant's ministry, named in a title.
_OTHER_SIDE = {
    Identity.ROK: r"dsit|science,? innovation and technology",
    Identity.UK: r"msit|science and ict",
}


def _words(title: str) -> str:
    return " ".join(title.casefold().replace("-", " ").split())


def _found(pattern: str, text: str) -> str | None:
    match = re.search(rf"\b(?:{pattern})\b", text)
    return match.group(0) if match else None


@stated("7", "the RoK co-chair is of the Ministry of Science and ICT; the UK co-chair at DSIT")
def co_chair_ministry(side: Identity) -> Ministry:
    return Ministry.MSIT if side is Identity.ROK else Ministry.DSIT


@decided("7", "Co-chairs", "the RoK co-chair is a First or Second Vice Minister; the UK's a minister of the Crown")
def co_chair_ranks(side: Identity) -> tuple[Rank, ...]:
    """¶7 says "a Vice Minister" for the RoK (MSIT has a First and a Second) and "a Ministerial
    counterpart" for the UK: a Secretary of State, a Minister of State or a Parliamentary
    Under-Secretary of State, never an official (a Permanent Secretary is not a minister)."""
    if side is Identity.ROK:
        return (Rank.FIRST_VICE_MINISTER, Rank.SECOND_VICE_MINISTER)
    return (Rank.SECRETARY_OF_STATE, Rank.MINISTER_OF_STATE, Rank.PARLIAMENTARY_UNDER_SECRETARY_OF_STATE)


@decided("7", "Co-chairs", "without --rank: the rank the title names, else First Vice Minister or Minister of State")
def default_rank(side: Identity, title: str) -> Rank:
    named = rank_named_by(title)
    if named is not None:
        return named
    return Rank.FIRST_VICE_MINISTER if side is Identity.ROK else Rank.MINISTER_OF_STATE


@decided("7", "Co-chairs", "a title names at most one rank; a bare Vice Minister or Minister names none")
def rank_named_by(title: str) -> Rank | None:
    """The one rank a title names, if it names exactly one (the CLI's default for `--rank`)."""
    named = [office for office in offices_named(title) if isinstance(office, Rank)]
    return named[0] if len(set(named)) == 1 else None


@decided("7", "Co-chairs", "a title's offices are read longest phrase first")
def offices_named(title: str) -> list[Rank | str]:
    text, named = _words(title), []
    for pattern, office in _OFFICES:
        for _ in re.finditer(rf"\b(?:{pattern})\b", text):
            named.append(office)
        text = re.sub(rf"\b(?:{pattern})\b", " ", text)
    return named


@stated("7", "chaired by a Vice Minister of MSIT and a Ministerial counterpart at DSIT")
def co_chair_problem(filing: CoChairNomination) -> str | None:
    """¶7: the co-chair's ministry and rank are the side's, and their title says nothing else."""
    side, ministry, rank = filing.filed_by, co_chair_ministry(filing.filed_by), filing.rank
    if filing.ministry is not ministry:
        return f"¶7: the {side} co-chair is of the {ministry.full_name} (--ministry {ministry}), not {filing.ministry}"
    if rank not in co_chair_ranks(side):
        *others, last = [r.value for r in co_chair_ranks(side)]
        office = "a Vice Minister of" if side is Identity.ROK else "a Ministerial counterpart at"
        allowed = f"{', '.join(others)} or {last}"
        return f"¶7: the {side} co-chair is {office} the {ministry.full_name} (--rank {allowed}), not {rank}"
    return title_problem(side, rank, filing.title)


@decided("7", "Co-chairs", "the title must not say the co-chair is not the office-holder, an official, or elsewhere")
def title_problem(side: Identity, rank: Rank, title: str) -> str | None:
    text = _words(title)
    if not text:
        return "¶7: give the co-chair's title (--title)"
    if word := _found(_NOT_THE_OFFICE_HOLDER, text):
        return f"¶7: the title {title!r} says its holder does not hold the office ({word!r}); nominate who does"
    if word := _found(_CIVIL_SERVICE, text):
        return f"¶7: the title {title!r} names a civil-service rank ({word!r}); a co-chair is a minister"
    if word := _found(_OTHER_PORTFOLIOS, text) or _found(_OTHER_SIDE[side], text):
        at = co_chair_ministry(side).full_name
        return f"¶7: the title {title!r} names another ministry ({word!r}); the {side} co-chair is of the {at}"
    for office in offices_named(title):
        if not fits(office, rank):
            named = office.label if isinstance(office, Rank) else office.removeprefix("a ")
            return f"¶7: the title {title!r} names a {named}, but the rank given is {rank} (--rank)"
    return None


@decided("7", "Co-chairs", "a bare Vice Minister fits either Vice Minister; a bare Minister any UK rank")
def fits(office: Rank | str, rank: Rank) -> bool:
    if office == _VICE:
        return rank in co_chair_ranks(Identity.ROK)
    if office == _MINISTER:
        return rank in co_chair_ranks(Identity.UK)
    return office is rank
