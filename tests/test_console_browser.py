"""The web console in a real headless Chromium (Debian's `chromium`, driven by Playwright; never a
downloaded browser), against an embedded stack of its own on free ports: `partnership up` (whose
console holds all three keys), a UK office and a ROK office (each its own data dir holding only its
own private key) and an auditor's (no private key). Every page visited is checked with axe-core and
saved as a screenshot under the module's tmp dir.

One stack and one browser for the module: the scenarios run in order on the same Partnership, so
each asserts what it changed, not absolute counts."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.cli_runner import Spawned, spawn
from tests.conftest import free_port
from tests.replay_all import served_histories_replay

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CLI = str(Path(sys.executable).parent / "partnership")
AREA_OF_9B = (
    "Future telecoms and supply chain resilience"  # the policy area commitment 9b sits under (models/catalogue.py)
)

# The first test on each worker also starts the stack and three consoles within its timeout.
pytestmark = pytest.mark.timeout(300)


def wait_for(url: str, process: Spawned, log: Path, contains: str = "", seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if contains in answer.read().decode():
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer: {log.read_text()[-2000:]}"
        time.sleep(0.3)


def follow(locator) -> None:
    """Click a link or button that loads another page and wait for that page: a click only starts
    the navigation, and reading the page at once could read the one being left (it did, on a
    loaded machine)."""
    with locator.page.expect_navigation():
        locator.click()


class Stack:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "PARTNERSHIP_CONSOLE"))}
        # The console's pages query every open workflow; a cold worker answers each query by
        # replaying its whole history, which on a loaded 2-core machine took a page past the
        # browser's 30 s. The stack's worker keeps workflows in memory, as production's does.
        self.env.pop("PARTNERSHIP_WORKER_CACHE", None)
        self.processes: list[Spawned] = []
        self.consoles: dict[str, str] = {}

    def start(self) -> None:
        for attempt in range(3):
            port, ui_port, console_port = free_port(), free_port(), free_port()
            self.address = f"127.0.0.1:{port}"
            env = self.env | {"PARTNERSHIP_DATA_DIR": str(self.root / "stack"), "LOG_FORMAT": "json"}
            log = self.root / f"up-{attempt}.log"
            up = self.spawn(
                ["up", "--port", str(port), "--ui-port", str(ui_port), "--console-port", str(console_port)], env, log
            )
            self.consoles["stack"] = f"http://127.0.0.1:{console_port}"
            try:
                wait_for(self.consoles["stack"] + "/", up, log, contains="IN_EFFECT")
                break
            except AssertionError:
                # A free port another worker's server took meanwhile (tests/test_cli_embedded.py's
                # PortTaken): `up` refuses it in one line before starting anything; again, elsewhere.
                if attempt == 2 or up.poll() is None or "in use" not in log.read_text():
                    raise
        offices = {"UK": ["uk"], "ROK": ["rok"], "AUDITOR": []}
        started = [self.office(name, keys) for name, keys in offices.items()]
        for name, process, log in started:  # started together: each takes seconds to import
            try:
                wait_for(self.consoles[name] + "/", process, log, contains="IN_EFFECT")
            except AssertionError:  # its free port taken meanwhile, as `up`'s above: once more, elsewhere
                if process.poll() is None or "in use" not in log.read_text():
                    raise
                _, process, log = self.office(name, offices[name])
                wait_for(self.consoles[name] + "/", process, log, contains="IN_EFFECT")

    def office(self, name: str, private: list[str]) -> tuple[str, Spawned, Path]:
        """An office's own data dir: its own private key and every public key, nothing else."""
        data = self.root / name.lower()
        (data / "keys").mkdir(parents=True, exist_ok=True)
        for source in (self.root / "stack" / "keys").iterdir():
            if source.suffix == ".pub" or source.stem in private:
                shutil.copy2(source, data / "keys" / source.name)
        port = free_port()
        env = self.env | {"PARTNERSHIP_DATA_DIR": str(data), "TEMPORAL_ADDRESS": self.address}
        log = self.root / f"console-{name.lower()}-{port}.log"
        console = self.spawn(["console", "--port", str(port)], env, log)
        self.consoles[name] = f"http://127.0.0.1:{port}"
        return name, console, log

    def spawn(self, args: list[str], env: dict[str, str], log: Path) -> Spawned:
        process = spawn(args, env, log)  # forked, with the CLI imported (tests/cli_runner.py)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def history_length(self, workflow_id: str) -> int:
        from temporalio.client import Client

        async def length() -> int:
            client = await Client.connect(self.address)
            return len((await client.get_workflow_handle(workflow_id).fetch_history()).events)

        # Playwright's sync API runs an event loop in this thread: ask from another one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, length()).result()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("console"))
    try:
        stack.start()
        yield stack
        # Its worker keeps workflows in memory: every history it wrote must replay (issue 17).
        with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's loop owns this thread
            pool.submit(served_histories_replay, stack.address).result()
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"Debian's chromium is not installed at {CHROMIUM}: `apt-get install chromium` (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Office:
    """One office's console in its own browser context (its own session cookie)."""

    def __init__(self, browser, base: str, shots: Path, name: str) -> None:
        self.context = browser.new_context(viewport={"width": 1100, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)  # a loaded machine, not a slow console
        self.base, self.shots, self.name = base, shots, name

    def open(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def checked(self, label: str) -> None:
        """Save a screenshot and fail on any serious or critical accessibility violation."""
        from axe_playwright_python.sync_playwright import Axe

        self.page.screenshot(path=str(self.shots / f"{self.name}-{label}.png"), full_page=True)
        violations = Axe().run(self.page).response["violations"]
        bad = [f"{v['id']}: {v['help']}" for v in violations if v.get("impact") in ("serious", "critical")]
        assert bad == [], f"{self.name} {label}: {bad}"

    def file(self, slug: str, values: dict[str, str], query: str = "") -> str:
        """Fill the form, check the confirmation shows the instrument and this office's key, sign."""
        page = self.open(f"/file/{slug}{query}")
        for name, value in values.items():
            field = page.locator(f"#f-{name}")
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
        follow(page.get_by_role("button", name="Review before signing"))
        return self.sign()

    def sign(self) -> str:
        """Sign on the confirmation page and return the receipt."""
        page = self.page
        page.locator("#key-fingerprint").wait_for(state="attached")
        follow(page.get_by_role("button", name="Sign and file"))
        assert page.locator("#filed").count() == 1, page.locator("main").inner_text()
        return page.locator("#receipt").inner_text()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def opened(stack, browser, tmp_path_factory):
    offices = {name: Office(browser, url, Path(), name.lower()) for name, url in stack.consoles.items()}
    yield offices
    for office in offices.values():
        office.close()


@pytest.fixture
def offices(opened, tmp_path):
    """The offices' consoles, their screenshots saved under this test's tmp dir."""
    for office in opened.values():
        office.shots = tmp_path
    return opened


def bar_value(office: Office, label: str) -> float:
    page = office.open("/")
    return float(page.locator(f'progress[data-area-bar="{label}"]').get_attribute("value"))


def test_joint_action_proposed_by_uk_agreed_by_rok_and_reported(offices):
    uk, rok = offices["UK"], offices["ROK"]
    before = bar_value(uk, AREA_OF_9B)
    uk.checked("overview-before")
    uk.open("/file/action-propose")
    uk.checked("propose-form")
    receipt = uk.file("action-propose", {"ref": "9b", "title": "Open RAN test bed", "lead_uk": "A. Smith"})
    action_id = json.loads(receipt)["action_id"]
    assert uk.page.locator("#filed").inner_text().startswith("Propose a joint action: filing")
    uk.checked("receipt")

    page = rok.open("/inbox")
    assert "Open RAN test bed" in page.locator("main").inner_text()
    rok.checked("inbox")
    follow(page.get_by_role("button", name="Agree a proposed joint action…").first)
    assert "ActionAgreement" in page.locator("#instrument").inner_text()
    assert "ROK" in page.locator("main").inner_text()
    rok.checked("confirm")
    rok.sign()

    page = uk.open(f"/actions/{action_id}")
    assert page.locator("#action-state").inner_text() == "ACTIVE"
    uk.checked("action")
    follow(page.get_by_role("link", name="Report progress on a joint action"))
    page.locator("#f-status").select_option("on-track")
    page.locator("#f-percent").fill("40")
    follow(page.get_by_role("button", name="Review before signing"))
    uk.sign()

    assert bar_value(uk, AREA_OF_9B) > before
    assert page.locator(f'progress[data-area-bar="{AREA_OF_9B}"]').get_attribute("value") == "40.0"
    uk.checked("overview-after")

    # Issue 15: UK's cost arrangement waits for ROK's; UK withdraws it from the action page, never
    # typing a filing id (the console reads it), and the action no longer shows it pending.
    uk.file("action-cost-share", {"arrangement": "UK pays travel."}, query=f"?action_id={action_id}")
    page = uk.open(f"/actions/{action_id}")
    assert "UK has filed: UK pays travel." in page.locator("main").inner_text()
    assert rok.open(f"/actions/{action_id}").get_by_role("link", name="Withdraw your cost arrangement").count() == 0
    follow(page.get_by_role("link", name="Withdraw your cost arrangement"))
    uk.checked("withdraw-form")
    follow(page.get_by_role("button", name="Review before signing"))
    assert "JointWithdrawal" in page.locator("#instrument").inner_text()
    uk.sign()
    assert "UK pays travel." not in uk.open(f"/actions/{action_id}").locator("main").inner_text()


def test_amendment_proposed_by_uk_consented_in_the_rok_console(offices):
    uk, rok = offices["UK"], offices["ROK"]
    assert uk.open("/").locator("#version").inner_text() == "1"
    uk.file(
        "amendment-propose",
        {"paragraphs": "7", "text": "The Forum meets twice a year.", "summary": "Two Forums a year"},
    )
    page = rok.open("/inbox")
    follow(page.get_by_role("button", name="Consent to an amendment…").first)
    rok.sign()
    deadline = time.monotonic() + 30
    while uk.open("/").locator("#version").inner_text() != "2":
        assert time.monotonic() < deadline, "the overview never showed version 2"
        time.sleep(0.5)
    uk.checked("overview-version-2")
    for path, label in (("/amendments", "amendments"), ("/amendments/partnership-amendment-1", "amendment")):
        rok.open(path)
        rok.checked(label)


def test_forged_and_replayed_posts_are_refused_and_leave_no_history(stack, offices):
    uk, rok = offices["UK"], offices["ROK"]
    # A real confirmation page in the ROK console, its post then altered to name UK as the filer:
    # the console signs only the instrument it showed (kept on the server), so this one is refused.
    page = rok.open("/file/consult-open")
    page.locator("#f-about").fill("28")
    page.locator("#f-summary").fill("Costs of the test bed")
    follow(page.get_by_role("button", name="Review before signing"))
    csrf = page.locator('input[name="csrf"]').last.get_attribute("value")
    before = stack.history_length("partnership")
    forged = rok.context.request.post(
        rok.base + "/file/consult-open/confirm",
        form={"csrf": csrf, "instrument": json.dumps({"instrument": "ConsultationOpening", "filed_by": "UK"})},
    )
    assert forged.status == 403 and "not the one you reviewed" in forged.text()

    # UK files once through its own form; the very same post sent again is refused.
    page = uk.open("/file/consult-open")
    page.locator("#f-about").fill("28")
    page.locator("#f-summary").fill("Costs of the test bed, from London")
    follow(page.get_by_role("button", name="Review before signing"))
    form = {"csrf": page.locator('input[name="csrf"]').last.get_attribute("value")}
    uk.sign()
    after_one = stack.history_length("partnership")
    replayed = uk.context.request.post(uk.base + "/file/consult-open/confirm", form=form)
    assert replayed.status == 403 and "already sent" in replayed.text()
    no_token = uk.context.request.post(uk.base + "/file/consult-open", form={"about": "28", "summary": "x"})
    assert no_token.status == 403
    from_rok_session = rok.context.request.post(rok.base + "/file/consult-open/confirm", form=form)
    assert from_rok_session.status == 403
    time.sleep(1)  # anything a forged post had started would have reached the history by now
    assert stack.history_length("partnership") == after_one
    assert after_one > before  # only UK's own filing landed
    uk.open("/consultations")
    uk.checked("consultations")


def test_the_auditor_console_shows_no_form(offices):
    # An action of its own to look at: on this worker no other test may have filed one before.
    offices["UK"].file("action-propose", {"ref": "16b", "title": "Workshops the auditor reads"})
    auditor = offices["AUDITOR"]
    pages = ["/", "/inbox", "/catalogue", "/actions", "/amendments", "/forum", "/consultations", "/register"]
    for path in pages:
        page = auditor.open(path)
        # Reads only: the one form it may see is the actions filter (a GET that changes nothing).
        assert page.locator("form[method=post]").count() == 0, path
        assert page.locator("input[name=csrf]").count() == 0, path
        auditor.checked(path.strip("/") or "overview")
    page = auditor.open("/actions")
    # Once loaded, the page lists the action (or says, in its text, why it could not).
    assert page.locator("a[href^='/actions/action-']").count() >= 1, page.locator("main").inner_text()
    follow(page.locator("a[href^='/actions/action-']").first)
    assert page.locator("form").count() == 0 and page.locator("a[href^='/file/']").count() == 0
    auditor.checked("action")
    follow(page.get_by_role("link", name="Timeline of this action"))
    assert page.get_by_role("link", name="This workflow in the Temporal UI").count() == 1
    auditor.checked("timeline")
    refused = auditor.open("/file/action-propose")
    assert "holds no private key" in refused.locator("#refusal").inner_text()


def test_the_stack_console_holds_every_key_and_switches(offices):
    one_machine = offices["stack"]
    page = one_machine.open("/forum")
    assert page.get_by_role("link", name="Start a Forum cycle").count() == 0  # acting as UK
    page.locator("#acting").select_option("SECRETARIAT")
    follow(page.get_by_role("button", name="Switch"))
    assert page.get_by_role("link", name="Start a Forum cycle").count() == 1
    one_machine.checked("forum-secretariat")
    page = one_machine.open("/register?verify=1")
    assert "consistent" in page.locator("#verdict").inner_text()
    one_machine.checked("register-verified")


def test_beyond_loopback_the_console_needs_a_token(stack):
    env = stack.env | {"PARTNERSHIP_DATA_DIR": str(stack.root / "auditor"), "TEMPORAL_ADDRESS": stack.address}
    refused = subprocess.run(
        [CLI, "console", "--host", "192.0.2.1", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [refused.stderr.strip()]
    assert "PARTNERSHIP_CONSOLE_TOKEN" in refused.stderr and "Traceback" not in refused.stderr
