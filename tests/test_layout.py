"""The house's layout holds: dependencies point one way, every workflow type is registered, no
module outgrows a reader. Read from the source with `ast`; nothing here starts a server."""

from __future__ import annotations

import ast
from pathlib import Path

from workflows.registry import WORKFLOW_TYPES

ROOT = Path(__file__).resolve().parent.parent
#: models ← rules ← workflows ← activities/engine ← worker/audit/cli ← starter. Within a level the
#: order of this list is the only allowed direction: activities may use engine's settings, engine
#: never reaches back into activities; worker.py composes the worker process (workflows and
#: activities), which `partnership up` and `partnership worker` run, so the CLI may use it; the
#: CLI may use audit; neither the worker nor audit uses the CLI. The web console builds on the CLI's
#: reads and filing paths, so it sits above them; `up` gets it from starter.py.
LEVELS = [
    ["models"],
    ["rules"],
    ["workflows"],
    ["engine", "activities"],
    ["worker", "audit", "cli"],
    ["console"],
    ["starter"],
]
RANK = {name: (level, order) for level, names in enumerate(LEVELS) for order, name in enumerate(names)}
MAX_LINES = 400


def sources() -> list[Path]:
    packages = [ROOT / name for names in LEVELS for name in names if (ROOT / name).is_dir()]
    return [p for d in packages for p in sorted(d.rglob("*.py"))] + [ROOT / "worker.py", ROOT / "starter.py"]


def top(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
    return names & RANK.keys()


def test_imports_point_one_way():
    backwards = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sources()
        for name in imported(path)
        if name != top(path) and RANK[name] > RANK[top(path)]
    ]
    assert backwards == []


def test_rules_depend_on_models_only():
    for path in (ROOT / "rules").glob("*.py"):
        assert imported(path) <= {"models", "rules"}, path.name
        assert "temporalio" not in path.read_text(), f"{path.name}: rules are plain functions"


def test_every_workflow_class_is_registered():
    defined = {
        node.name
        for path in (ROOT / "workflows").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and any("workflow.defn" in ast.unparse(d) for d in node.decorator_list)
    }
    assert defined == {t.cls.__name__ for t in WORKFLOW_TYPES}


def test_no_module_outgrows_a_reader():
    lengths = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in sources()}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_every_signal_sent_by_name_is_one_a_registered_workflow_accepts():
    """Workflows tell each other things by signal name; a name no registered workflow accepts
    would be dropped by the server without a word."""
    accepted = set().union(*(t.signals for t in WORKFLOW_TYPES))
    where = {"signal": 0, "_tell": 1}  # handle.signal(name, …); GovernedWorkflow._tell(workflow_id, name, …)
    sent = {
        node.args[where[node.func.attr]].value
        for path in (ROOT / "workflows").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in where
        and len(node.args) > where[node.func.attr]
        and isinstance(node.args[where[node.func.attr]], ast.Constant)
    }
    assert sent, "no signal sent by name found; the scan is looking in the wrong place"
    assert sent - accepted == set()
