"""F16: a path the OS refuses (`audit export -o`, `backup DIR`, `restore` into a data dir that
cannot be made) is said in one line naming it and the OS's reason, exit 1; never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from activities.register import register_engine
from tests.cli_runner import run_cli


def nowhere(data: Path) -> dict[str, str]:
    return {"PARTNERSHIP_DATA_DIR": str(data), "TEMPORAL_ADDRESS": "127.0.0.1:1", "PATH": "/usr/bin:/bin"}


def one_line(result, code: int = 1) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    return line


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file.json"
    path.write_text("{}\n")
    return path


@pytest.mark.parametrize(
    ("output", "says"),
    [
        ("/proc/nope.json", "/proc/nope.json: No such file or directory"),
        ("/proc/nope/x/", "/proc/nope: No such file or directory"),
        ("{a_file}/x", "{a_file}/x: Not a directory"),
    ],
    ids=["proc", "no-parent", "a-file-as-parent"],
)
def test_an_export_folder_that_cannot_be_made_is_one_line(
    output: str, says: str, a_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(tmp_path))
    register_engine()  # an archive to read (empty): what cannot be written is the folder
    result = run_cli(
        "audit",
        "export",
        "--all",
        "--from-archive",
        "-o",
        output.format(a_file=a_file),
        env=nowhere(tmp_path),
        timeout=60,
    )
    assert one_line(result) == says.format(a_file=a_file)


def test_export_all_onto_an_existing_file_is_refused_not_made_a_folder(a_file: Path, tmp_path: Path):
    result = run_cli("audit", "export", "--all", "--from-archive", "-o", str(a_file), env=nowhere(tmp_path), timeout=60)
    # typer's usage box wraps a long path anywhere, so the words are compared without the spacing
    said = "".join(result.stderr.replace("│", " ").split())
    assert result.returncode == 2 and "Traceback" not in result.stderr
    expected = f"--all writes one file per run: give a folder with -o DIR ({a_file} is a file)"
    assert "".join(expected.split()) in said
    assert a_file.read_text() == "{}\n"


@pytest.fixture
def stack_dir(tmp_path: Path) -> Path:
    """A data dir with a register to back up (the stack need not run for a backup)."""
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "register.db") as db:
        db.execute("create table t (x)")
    return data


def test_a_backup_where_no_folder_can_be_made_is_one_line(stack_dir: Path, a_file: Path):
    result = run_cli("backup", "/proc/walkx", env=nowhere(stack_dir), timeout=60)
    assert one_line(result) == "/proc/walkx: No such file or directory"
    result = run_cli("backup", str(a_file), env=nowhere(stack_dir), timeout=60)
    assert one_line(result) == f"{a_file} is a file; back up into a new folder"


def test_a_restore_into_a_data_dir_that_cannot_be_made_is_one_line(stack_dir: Path, tmp_path: Path):
    backup = tmp_path / "backup"
    assert run_cli("backup", str(backup), env=nowhere(stack_dir), timeout=60).returncode == 0
    result = run_cli("restore", str(backup), env=nowhere(Path("/proc/walkr")), timeout=60)
    assert one_line(result) == "/proc/walkr: No such file or directory"


def test_export_all_from_an_archive_that_cannot_be_read_is_one_line_and_makes_no_folder(tmp_path: Path):
    """Walkthrough 2, A8: it said "0 histories written" (exit 0), and an auditor took the archive
    for empty."""
    result = run_cli(
        "audit", "export", "--all", "--from-archive", "-o", str(tmp_path / "out"), env=nowhere(tmp_path), timeout=60
    )
    assert one_line(result).startswith("no archive in the register database")
    assert not (tmp_path / "out").exists()
