"""Settings: which data dir (and so which running stack) a command uses."""

from __future__ import annotations

from engine import config


def test_the_data_dir_is_found_from_any_folder_of_the_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv("PARTNERSHIP_DATA_DIR", raising=False)
    deep = tmp_path / "checkout" / "tests" / "histories"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert config.data_dir() == deep / ".data"  # none anywhere: here, where `make run` would make it
    (tmp_path / "checkout" / ".data").mkdir()
    assert config.data_dir() == tmp_path / "checkout" / ".data"
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(tmp_path / "elsewhere"))
    assert config.data_dir() == tmp_path / "elsewhere"


def test_a_data_dir_that_does_not_exist_is_named_not_replaced_by_the_default_server(tmp_path):
    """Where PARTNERSHIP_DATA_DIR names no folder, a read would otherwise ask whatever answers on
    localhost:7233 (another stack) without a word: it is refused in one line naming the setting.
    `keys show` says which data dir it read, and that it holds no key."""
    import os

    from tests.cli_runner import run_cli

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "PARTNERSHIP_"))}
    missing = tmp_path / "no-such-office"
    # With TEMPORAL_ADDRESS set too (as an office's is), the read would go unchecked by any pin
    # (walkthrough 3, F13): refused the same way.
    for server in ({}, {"TEMPORAL_ADDRESS": "127.0.0.1:1"}):
        result = run_cli("status", env=env | server | {"PARTNERSHIP_DATA_DIR": str(missing)}, timeout=60)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.strip() == (
            f"PARTNERSHIP_DATA_DIR is {missing}, which does not exist: this office's keys and pins are not "
            "there; set the office's data dir"
        )
    empty = tmp_path / "empty-office"
    empty.mkdir()
    shown = run_cli("keys", "show", env=env | {"PARTNERSHIP_DATA_DIR": str(empty), "TEMPORAL_ADDRESS": "127.0.0.1:1"})
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[:2] == [
        f"office UK,ROK,SECRETARIAT (one machine: PARTNERSHIP_OFFICE unset), data dir {empty}",
        "  this data dir holds no key and no pin (`partnership keys init` makes this office's)",
    ]


def test_a_pin_the_partnership_did_not_answer_is_kept_quietly_and_one_it_refused_exits_1(monkeypatch, capsys):
    """Walkthrough 3, F8 and review 6, F6: a refusal exits 1; no answer (no worker in time, no
    server) is best effort, as before: `sign` or `start` files the pin later."""
    import pytest
    import typer
    from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

    import cli.keys
    from cli.common import Refused

    async def silent() -> list[str]:
        raise WorkflowUpdateRPCTimeoutOrCancelledError()

    async def refused() -> list[str]:
        raise Refused("the Partnership holds key 050c1781e15b2d00 for UK")

    monkeypatch.setattr(cli.keys, "record_pins", silent)
    cli.keys.record_pins_now()  # no exit
    assert "pin kept here, not yet on the Partnership's register" in capsys.readouterr().err
    monkeypatch.setattr(cli.keys, "record_pins", refused)
    with pytest.raises(typer.Exit) as exited:
        cli.keys.record_pins_now()
    assert exited.value.exit_code == 1
    assert "pin kept here, not on the Partnership's register: the Partnership holds key" in capsys.readouterr().err
