"""The web workspace end to end: the real ``arbitre serve`` driven by headless Chromium through Playwright.

A French director, in a browser set to French, creates an assessment in French, answers a two-flow
questionnaire page by page as a person would (typing in the boxes, ticking the choices by their French
labels, the buttons by their words), sees the recommendation, opens a flow, overrides its decision with a
reason and a name, and downloads the audit record, which ``arbitre explain --verify`` (the real command,
in its own process) accepts. The same journey runs at 390 px wide with JavaScript off, nothing wider than
the screen. A server stopped mid-questionnaire and started again on the same workspace file
goes on at the same question with every answer kept.

The server is the command itself, started as a subprocess on a free port (``--port 0``: it prints the
address it took). Chromium is found as ``test_report_browser`` finds it; the tests are skipped, with the
reason, when it or Playwright is missing. A screenshot of the recommendation is kept in ``tests/artefacts/`` (``workspace-fr.png`` is the README's
``docs/img/workspace.png``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from test_report_browser import ARTEFACTS, CHROMIUM, sync_api
from web import i18n
from web.store import Store

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not found (see test_report_browser)")

ROOT = Path(__file__).resolve().parent.parent
LAUNCH_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NARROW = 390
# What a look at a page sees: whether it is whole, its width, the questionnaire's step, field and message.
LOOK = """() => {
  const form = document.querySelector("form[data-step]");
  const error = document.querySelector(".field-error");
  return {body: document.body !== null, width: document.documentElement.scrollWidth,
          step: form ? form.dataset.step : "", field: form ? (form.dataset.field || "") : "",
          error: error ? error.textContent.trim() : null};
}"""

UI = {key: i18n.t(key, "fr") for key in ("create_button", "lang_fr", "ask_next", "ask_add_flow",
                                          "ask_no_more_flows", "ask_finish")}


def W(key: str) -> str:  # noqa: N802 - a result page's words in French (web/messages.yaml)
    return i18n.t(key, "fr")


# What the director gives, by field: a text typed, or ("choose", label) for a choice ticked by its label.
# Every other question is left as the page offers it (its default), as Enter does in the terminal.
Given = str | tuple[str, str]
ORGANISATION: dict[str, Given] = {"name": "Mutuelle Lumière", "country": "FR", "currency": "EUR", "loaded_hourly_cost": "32,50",
                "temp_staff_available": ("choose", "non")}
FLOWS: list[dict[str, Given]] = [
    {"channel": ("choose", "téléphone"), "activity": ("choose", "prise de commande"), "name": "Commandes",
     "monthly_volume": "12 000", "aht_seconds": "4 min 30", "vendor_quote": "2,10 par contact"},
    {"channel": ("choose", "e-mail"), "activity": ("choose", "réclamations"), "name": "Réclamations",
     "monthly_volume": "3 000", "aht_seconds": "6:00", "vendor_quote": "aucun"},
]
REASON = "Le comité de direction garde les commandes en interne jusqu'à la fin du plan social."
AUTHOR = "Claire Dubois, directrice de la relation client"


# -- the server ----------------------------------------------------------------------------------------------------

@dataclass
class Server:
    """``arbitre serve`` on ``db``, in its own process."""

    db: Path
    port: int = 0
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        """Start the command and wait until it answers; on the same port as before when it had one."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(self.port), "--db", str(self.db)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "Arbitre workspace: http://127.0.0.1:PORT/"
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found is None:
            self.stop()
            pytest.fail(f"arbitre serve did not print its address: {line!r}", pytrace=False)
        self.port = int(found.group(1))
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.base + "/", timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    pytest.fail("arbitre serve does not answer", pytrace=False)
                time.sleep(0.05)

    def stop(self) -> None:
        """Ask the server to stop (SIGTERM, as a service manager does) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.output.append(self.process.stdout.read())
            self.process.stdout.close()
        self.process = None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the journeys that do not restart it (each makes its own assessment)."""
    running = Server(tmp_path_factory.mktemp("workspace") / "workspace.db").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_FLAGS)
        yield launched
        launched.close()


# -- the director --------------------------------------------------------------------------------------------------

class Director:
    """A person at the browser: clicks, types, and notices what goes wrong on every page they see."""

    def __init__(self, browser: Any, *, width: int = 1100, script: bool = True) -> None:
        self.context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900},
                                           java_script_enabled=script, accept_downloads=True)
        self.page = self.context.new_page()
        self.width = width
        self.problems: list[str] = []
        self.shown: dict[str, Any] = {}
        self.seen: list[str] = []
        self.page.on("console", lambda message: self.problems.append(f"{message.text} {message.location['url']}")
                     if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("response", lambda response: self.problems.append(f"{response.status} {response.url}")
                     if response.status >= 400 else None)

    def close(self) -> None:
        self.context.close()

    def check_page(self) -> None:
        """What every page must be: whole, no wider than a narrow screen; what the questionnaire shows on
        it noted (one look at the page, not one per question asked of it)."""
        self.seen.append(self.page.url)
        self.shown = self.page.evaluate(LOOK)
        assert self.shown["body"], self.page.url
        if self.width <= NARROW:
            assert self.shown["width"] <= self.width, \
                f"{self.page.url} is {self.shown['width']} px wide on a {self.width} px screen"

    def goto(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        self.check_page()

    def press(self, button: Any) -> None:
        """Press a button or a link that loads a page, and wait for it."""
        with self.page.expect_navigation():
            button.click()
        self.check_page()

    def button(self, name: str) -> Any:
        """The button whose words are ``name`` (found by its text: quicker than by role, on every page)."""
        return self.page.locator(f"button:text-is({json.dumps(name, ensure_ascii=False)})")

    def create(self, base: str, name: str) -> str:
        """A new assessment in French, from the home page; its id."""
        self.goto(base + "/")
        form = self.page.locator("form[action='/assessments']")
        form.get_by_label(i18n.t("name_label", "fr"), exact=True).fill(name)
        form.get_by_label(UI["lang_fr"], exact=True).check()
        self.press(form.get_by_role("button", name=UI["create_button"], exact=True))
        found = re.search(r"/a/([^/]+)/ask$", self.page.url)
        assert found is not None, self.page.url
        return found.group(1)

    def step(self) -> tuple[str, str]:
        """The questionnaire's current step and the field it asks about ('review' and '' on the review page)."""
        return self.shown["step"] or "review", self.shown["field"]

    def answer(self, given: Given | None) -> None:
        """Give an answer on the current question's page (``None``: leave it as offered) and go on."""
        if isinstance(given, tuple):
            self.page.locator("form[data-step] .choices").get_by_label(given[1], exact=True).check()
        elif given is not None:
            self.page.fill("#answer", given)
        self.press(self.button(UI["ask_next"]))
        assert self.shown["error"] is None, f"{given!r} refused: {self.shown['error']}"

    def questionnaire(self, flows: list[dict[str, Given]], *, stop_at: str | None = None,
                      flow: int = -1) -> tuple[int, str]:
        """Answer from the current step until the review (or until the first question of ``stop_at``'s
        field in a flow); the flow reached and the field where it stopped."""
        for _ in range(200):
            kind, asked = self.step()
            if kind == "review":
                return flow, ""
            if kind == "add_flow":
                more = flow + 1 < len(flows)
                self.press(self.button(UI["ask_add_flow"] if more else UI["ask_no_more_flows"]))
                continue
            assert kind == "question", kind
            if asked == "channel":  # every flow begins with its channel
                flow += 1
            if stop_at == asked and flow >= 0:
                return flow, asked
            self.answer((ORGANISATION if flow < 0 else flows[flow]).get(asked))
        raise AssertionError("the questionnaire does not end")

    def finish(self) -> None:
        """On the review page: finish, and see the recommendation."""
        assert "/review" in self.page.url, self.page.url
        self.press(self.button(UI["ask_finish"]))
        assert re.search(r"/a/[^/]+/v/1$", self.page.url), self.page.url

    def download(self, name: str, into: Path) -> Path:
        """The file the link ``name`` on the page gives, saved in ``into``."""
        with self.page.expect_download() as pending:
            self.page.get_by_role("link", name=name, exact=True).click()
        saved = into / str(pending.value.suggested_filename)
        pending.value.save_as(saved)
        return saved


def verify(record: Path) -> subprocess.CompletedProcess[str]:
    """``arbitre explain RECORD --verify``, the real command in its own process."""
    return subprocess.run([sys.executable, "-m", "cli", "explain", str(record), "--verify"], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)


def journey(director: Director, server: Server, tmp_path: Path, screenshot: str) -> None:
    """The whole journey of a French director, checked at each step."""
    page = director.page
    aid = director.create(server.base, "Centre de contacts 2027")
    assert page.locator("html").get_attribute("lang") == "fr"
    director.questionnaire(FLOWS)
    director.finish()

    # the recommendation: both flows, each with a decision in French
    for flow in FLOWS:
        assert page.get_by_role("link", name=str(flow["name"]), exact=True).count() >= 1
    ARTEFACTS.mkdir(exist_ok=True)
    whole = page.evaluate("document.documentElement.scrollHeight")  # the table, the map and the costs at most
    page.screenshot(path=str(ARTEFACTS / screenshot), full_page=True,
                    clip=None if director.width <= NARROW else {"x": 0, "y": 0, "width": director.width,
                                                                "height": min(whole, 1330)})

    # a flow's page, its decision overridden with a reason and a name
    director.press(page.get_by_role("link", name="Commandes", exact=True).first)
    assert page.url.endswith(f"/a/{aid}/v/1/flows/commandes")
    decided = page.locator("p.decision").get_attribute("class") or ""
    engine_decision = decided.split()[-1]
    options = [value for value in page.locator("#option option").evaluate_all("(o) => o.map((x) => x.value)")
               if value and value != engine_decision]
    assert options, "no other decision to choose"
    chosen = options[0]
    page.select_option("#option", chosen)
    page.fill("#reason", REASON)
    page.fill("#author", AUTHOR)
    director.press(director.button(W("override_button")))
    assert page.url.endswith(f"/a/{aid}/v/1/flows/commandes")
    assert page.locator(".error-text").count() == 0
    assert REASON in page.inner_text("main") and AUTHOR in page.inner_text("main")

    # the audit record, downloaded from the recommendation, verified by the command line
    director.goto(f"{server.base}/a/{aid}/v/1")
    saved = director.download("audit.json", tmp_path)
    record = json.loads(saved.read_text(encoding="utf-8"))
    overridden = {flow["id"]: flow["override"] for flow in record["flows"] if flow.get("override")}
    assert list(overridden) == ["commandes"]
    assert overridden["commandes"]["decision"] == chosen and REASON in overridden["commandes"]["reason"]
    checked = verify(saved)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert director.problems == []


def test_a_french_director_goes_from_a_new_assessment_to_a_verified_audit_record(
        browser: Any, server: Server, tmp_path: Path) -> None:
    """Create, answer two flows, read the recommendation, override a flow, download the record: it verifies."""
    director = Director(browser)
    try:
        journey(director, server, tmp_path, "workspace-fr.png")
    finally:
        director.close()


def test_the_same_journey_on_a_390px_phone_with_javascript_off(browser: Any, server: Server, tmp_path: Path) -> None:
    """At 390 px wide and with no script, the forms, redirects and downloads all work and no page of the
    journey is wider than the screen."""
    director = Director(browser, width=NARROW, script=False)
    try:
        journey(director, server, tmp_path, "workspace-fr-390-nojs.png")
        assert len(director.seen) > 50  # every questionnaire page was measured
    finally:
        director.close()


def test_a_restart_mid_questionnaire_goes_on_at_the_same_question_with_every_answer(
        browser: Any, tmp_path: Path) -> None:
    """The server stopped after some answers and started again on the same file: the same question, nothing lost."""
    server = Server(tmp_path / "workspace.db").start()
    director = Director(browser)
    try:
        aid = director.create(server.base, "Atelier du mardi")
        flow, asked = director.questionnaire(FLOWS, stop_at="aht_seconds")
        assert (flow, asked) == (0, "aht_seconds")
        progress = director.page.locator("#progress").inner_text()
        director.page.fill("#answer", "4 min 30")  # typed, not sent: the restart comes first

        server.stop()
        server.start()  # the same port, the same file
        director.goto(f"{server.base}/a/{aid}/ask")
        assert director.step() == ("question", "aht_seconds")
        assert director.page.locator("#progress").inner_text() == progress
        director.answer(FLOWS[0]["aht_seconds"])
        assert director.step()[1] != "aht_seconds"

        with Store.open(server.db) as store:  # what the workspace keeps: every answer, the one after the restart too
            draft = store.draft(aid)
        assert draft is not None
        answers = yaml.safe_load(draft.answers)
        organisation, flows = answers["organisation"], answers["flows"]
        assert (organisation["name"], organisation["country"], organisation["currency"]) == \
            ("Mutuelle Lumière", "FR", "EUR")
        assert organisation["loaded_hourly_cost"] == 32.5 and organisation["temp_staff_available"] is False
        assert [(f["name"], f["channel"], f["activity"]) for f in flows] == [("Commandes", "phone", "order_taking")]
        assert (flows[0]["monthly_volume"], flows[0]["aht_seconds"]) == (12000, 270)
        assert director.problems == []
    finally:
        director.close()
        server.stop()
