"""Every rule says where it comes from: stated by the text of the agreement, or decided by the
engine where the text leaves it open. `@stated(...)` and `@decided(...)` tag a rule function and
return it unchanged; `RULES` lists them all, and a test holds README's "Rules the text leaves
open" against the decided ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class Rule:
    paragraph: str
    source: Literal["text", "decided"]
    #: For a decided rule, the README heading under "Rules the text leaves open" that explains it.
    topic: str | None
    says: str
    where: str


RULES: list[Rule] = []


def _tag(paragraph: str, source: Literal["text", "decided"], topic: str | None, says: str) -> Callable[[F], F]:
    def tag(fn: F) -> F:
        rule = Rule(paragraph, source, topic, says, f"{fn.__module__}.{fn.__qualname__}")
        RULES.append(rule)
        fn.__rule__ = rule  # type: ignore[attr-defined]
        return fn

    return tag


def stated(paragraph: str, says: str) -> Callable[[F], F]:
    """A rule the agreement's text states (`says` quotes or closely paraphrases it)."""
    return _tag(paragraph, "text", None, says)


def decided(paragraph: str, topic: str, says: str) -> Callable[[F], F]:
    """A rule the text leaves open, decided by the engine; `topic` names its README heading."""
    return _tag(paragraph, "decided", topic, says)


#: Decided rules enforced outside rules/ because they are about every filing, not one paragraph.
ELSEWHERE = [
    Rule(
        "31",
        "decided",
        "Signed instruments",
        "a written filing is canonical JSON of its fields, Ed25519-signed by the filer's registered key",
        "models.signing",
    ),
    Rule(
        "31",
        "decided",
        "Signed instruments",
        "a revocation half held for the other Participant's no longer counts once its filer's key is "
        "rotated or revoked; every half is signed with its filer's key valid on receipt",
        "models.key_changes.change_problem",
    ),
    Rule(
        "33",
        "decided",
        "Amendments",
        "a proposal names each paragraph it changes once (as a list of attendees names each person once)",
        "models.limits.Paragraphs",
    ),
    Rule(
        "31",
        "decided",
        "Each signed paper is presented once",
        "a workflow rejects a filing id it has already accepted",
        "workflows.handlers.check_filing",
    ),
]
