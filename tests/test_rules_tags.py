"""Each rules module can be held against the agreement: it quotes its paragraph from the text in
the repo, every rule in it says whether the text states it or the engine decided it, and README's
"Rules the text leaves open" explains exactly the decided ones."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from models.text import agreement_text
from rules.tags import ELSEWHERE, RULES

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(p.stem for p in (ROOT / "rules").glob("*.py") if p.stem not in ("__init__", "tags"))


def words(text: str) -> str:
    return " ".join(text.replace(">", " ").split())


@pytest.mark.parametrize("name", MODULES)
def test_every_rule_is_tagged(name: str):
    module = importlib.import_module(f"rules.{name}")
    functions = [f for n, f in inspect.getmembers(module, inspect.isfunction) if f.__module__ == module.__name__]
    assert functions, f"rules.{name} has no rules"
    untagged = [f.__name__ for f in functions if not hasattr(f, "__rule__") and not f.__name__.startswith("_")]
    assert untagged == []


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("p")])
def test_module_quotes_its_paragraphs_from_the_text(name: str):
    doc = words(importlib.import_module(f"rules.{name}").__doc__ or "")
    quoted = re.findall(r"(\d+)\. ", doc)
    assert quoted, f"rules.{name} quotes no paragraph"
    text = words(agreement_text())
    for number in quoted:
        start = doc.index(f"{number}. ")
        # the quote runs to the next quoted paragraph or the end of the docstring
        following = [doc.index(f"{n}. ") for n in quoted if doc.index(f"{n}. ") > start]
        quote = doc[start : min(following, default=len(doc))].strip()
        assert quote in text, f"rules.{name}: ¶{number} is not quoted word for word"


def test_readme_explains_exactly_the_decided_rules():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Rules the text leaves open", 1)[1].split("\n## ", 1)[0]
    headings = set(re.findall(r"^- \*\*(.+?)\*\*", section, re.MULTILINE))
    decided = {r.topic for r in [*RULES, *ELSEWHERE] if r.source == "decided"}
    assert decided - headings == set(), "decided rules README does not explain"
    assert headings - decided == set(), "README headings no decided rule stands behind"
