"""A non-editable install (`pip install .`) carries everything it needs, the agreement's text
included: installed into a fresh venv, its `partnership catalogue` and `partnership text` work
from outside the checkout. No network: the dependencies are the test venv's own, reached
through a .pth file, and the build uses the test venv's setuptools. `partnership text` asks the
Partnership on this run's own dev server (an embedded stack of its own proved nothing more about
the install, and cost a server, a worker and a bootstrap)."""

from __future__ import annotations

import asyncio
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

from engine.bootstrap import bootstrap
from tests.test_cli_recovery import own_partnership
from workflows.partnership import PARTNERSHIP_ID

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".venv", ".git", ".data", "build", "*.egg-info", "__pycache__", ".*_cache")


def install(tmp: Path) -> Path:
    source, venv = tmp / "source", tmp / "venv"
    shutil.copytree(ROOT, source, ignore=SKIP)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=60)
    lib = next((venv / "lib").glob("python3*")) / "site-packages"
    (lib / "test-venv-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet",
         "--no-deps", "--no-build-isolation", "--no-index", source],
        check=True, timeout=150, capture_output=True,
    )  # fmt: skip
    shutil.rmtree(source)  # the installed copy must stand on its own
    return venv / "bin" / "partnership"


async def test_a_plain_install_runs_catalogue_and_text(tmp_path: Path, local_env, local_worker, data_dir, task_queue):
    installed = await asyncio.to_thread(install, tmp_path / "install")
    catalogue = await asyncio.to_thread(
        subprocess.run, [installed, "catalogue"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert catalogue.returncode == 0, catalogue.stderr
    assert "Pillar 1" in catalogue.stdout and "9b" in catalogue.stdout
    await own_partnership(local_env.client, task_queue)
    await bootstrap(local_env.client, task_queue, PARTNERSHIP_ID, schedule=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env |= {"TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host}
    text = await asyncio.to_thread(
        subprocess.run, [installed, "text"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert text.returncode == 0, text.stderr
    assert "31. This Partnership will come into effect on the date of signature" in text.stdout
