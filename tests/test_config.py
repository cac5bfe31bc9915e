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
