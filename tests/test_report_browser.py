"""The HTML report in a real browser: headless Chromium (Debian's package) driven by Playwright.

The reports of the examples are written once per module by the command in this process, and a
report with markup in its names by the installed command; each is opened from the file system as a
user would open it from a USB stick, and checked: no console error and no request to the network, the map and the
cost chart visible with one mark per flow, a flow name full of markup shown as text. A screenshot is
kept as a test artefact in ``tests/artefacts/``.

Chromium is found the same way on every machine (see ``find_chromium``); the tests are skipped, with
the reason in pytest's summary, when it or Playwright is missing (``.ci/run`` installs Debian's
``chromium``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import arbitre_in_process

ROOT = Path(__file__).resolve().parent.parent
ARBITRE = Path(sys.executable).parent / "arbitre"
ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
DEBIAN_CHROMIUM = "/usr/bin/chromium"


def find_chromium() -> str | None:
    """Chromium's path: the ``ARBITRE_CHROMIUM`` environment variable when it is set, else ``chromium`` or
    ``chromium-browser`` on PATH, else Debian's ``/usr/bin/chromium`` (which a short PATH, as under cron
    or some CI runners, would miss)."""
    given = os.environ.get("ARBITRE_CHROMIUM")
    if given:
        if not (os.path.isfile(given) and os.access(given, os.X_OK)):
            pytest.fail(f"ARBITRE_CHROMIUM={given} is not an executable file", pytrace=False)
        return given
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.access(DEBIAN_CHROMIUM, os.X_OK):
        found = DEBIAN_CHROMIUM
    return found


sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright is not installed (pip install -e '.[test]' installs it)")
CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason=f"Chromium not found: no ARBITRE_CHROMIUM, no chromium or chromium-browser on "
                             f"PATH ({os.environ.get('PATH', '')}), no {DEBIAN_CHROMIUM}; apt-get install "
                             "chromium, or set ARBITRE_CHROMIUM to its path")

HOSTILE = "<script>alert(1)</script>"
# An A4 page less its 12 mm margins, in CSS pixels (96 to the inch): where print lays the report out.
A4_TEXT = (round(186 / 25.4 * 96), round(273 / 25.4 * 96))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield launched
        launched.close()


def write_report(tmp_path: Path, answers: Path, *args: str) -> Path:
    out = tmp_path / "report.html"
    run = subprocess.run([str(ARBITRE), "report", str(answers), "--out", str(out), *args],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return out


def open_page(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (errors.append(f"a dialog opened: {dialog.message}"), dialog.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


@pytest.fixture(scope="module")
def recommended() -> dict[str, dict[str, Any]]:
    """``recommend --format json`` of every example, by its name."""
    runs = {answers.stem: arbitre_in_process("recommend", answers, "--format", "json")
            for answers in sorted((ROOT / "examples").glob("*.yaml"))}
    assert all(run.returncode == 0 for run in runs.values()), [run.stderr for run in runs.values()]
    return {example: json.loads(run.stdout) for example, run in runs.items()}


@pytest.mark.parametrize("example, lang", [("acme-retail", "en"), ("health-insurer", "fr")])
def test_the_report_loads_clean_with_one_mark_per_flow(browser: Any, every_report: dict[tuple[str, str], Path],
                                                        recommended: dict[str, dict[str, Any]], example: str,
                                                        lang: str) -> None:
    flows = len(recommended[example]["flows"])
    page, errors, requests = open_page(browser, every_report[example, lang])
    assert errors == []
    assert [url for url in requests if not url.startswith("file:")] == []  # nothing from the network
    for chart in ("#map", "#costs"):
        marks = page.locator(f"{chart} svg.wide g.mark")
        assert marks.count() == flows
        for index in range(marks.count()):
            box = marks.nth(index).bounding_box()
            assert box is not None and box["width"] > 0 and box["height"] > 0
            assert marks.nth(index).is_visible()
    assert page.locator("#cards article.card").count() == flows
    # the marks sit inside the plot: none outside the map's drawing
    svg = page.locator("#map figure svg.wide").bounding_box()
    for index in range(flows):
        box = page.locator("#map svg.wide g.mark").nth(index).bounding_box()
        assert svg["x"] <= box["x"] and box["x"] + box["width"] <= svg["x"] + svg["width"] + 1
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"report-{example}-{lang}.png"), full_page=True)
    page.close()


def test_a_flow_named_with_markup_shows_as_text(browser: Any, tmp_path: Path) -> None:
    answers = tmp_path / "hostile.yaml"
    answers.write_text(
        "organisation: {name: \"Acme <b>bold</b>\"}\n"
        "flows:\n"
        f"  - {{id: hostile, name: \"{HOSTILE}\", channel: phone, monthly_volume: 9000, aht_seconds: 240}}\n",
        encoding="utf-8")
    path = write_report(tmp_path, answers)
    html = path.read_text(encoding="utf-8")
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page, errors, _ = open_page(browser, path)
    assert errors == []  # no alert dialog, no script error
    assert page.locator("script").count() == 0
    assert HOSTILE in page.locator("#cards article.card h3").first.inner_text()
    assert "Acme <b>bold</b>" in page.locator("h1").inner_text()
    page.close()


@pytest.mark.parametrize("example, lang", [("acme-retail", "en"), ("health-insurer", "fr"),
                                           ("us-retail-holiday-overflow", "en"), ("telecom-operator", "fr")])
def test_the_cost_chart_shows_every_option_without_overlaps(browser: Any, every_report: dict[tuple[str, str], Path],
                                                            recommended: dict[str, dict[str, Any]], example: str,
                                                            lang: str) -> None:
    """As drawn by the browser: one bar per option of each flow, every bar and every text inside the
    chart, and no two texts of the chart (flow names, option names, amounts and savings) overlap."""
    page, errors, _ = open_page(browser, every_report[example, lang])
    assert errors == []
    for flow in recommended[example]["flows"]:
        bars = page.locator(f'#costs svg.wide g.mark[data-flow="{flow["id"]}"] rect.bar')
        assert bars.count() == len(flow["costs"]["options"]), flow["id"]
    chart = page.locator("#costs > svg.wide").bounding_box()
    texts = page.locator("#costs > svg.wide text")
    bars = page.locator("#costs > svg.wide rect.bar")
    boxes = [texts.nth(i).bounding_box() for i in range(texts.count())]
    boxes += [bars.nth(i).bounding_box() for i in range(bars.count())]
    for box in boxes:
        assert box is not None
        assert chart["x"] - 1 <= box["x"] and box["x"] + box["width"] <= chart["x"] + chart["width"] + 1, box
        assert chart["y"] - 1 <= box["y"] and box["y"] + box["height"] <= chart["y"] + chart["height"] + 1, box
    drawn = boxes[:texts.count()]
    for i, a in enumerate(drawn):
        for b in drawn[i + 1:]:
            assert not (a["x"] < b["x"] + b["width"] - 0.5 and b["x"] < a["x"] + a["width"] - 0.5
                        and a["y"] < b["y"] + b["height"] - 0.5 and b["y"] < a["y"] + a["height"] - 0.5), (a, b)
    page.close()


# Every chart text as drawn: its box on the screen and its size in screen pixels (the font size times
# the chart's scale, which follows the width the chart is drawn at).
CHART_TEXTS = """() => [...document.querySelectorAll('#map svg text, #costs > svg text')].flatMap(t => {
  const box = t.getBoundingClientRect();
  if (!box.width) return [];  // in the chart drawn at the other widths
  const m = t.getScreenCTM();
  return [{text: t.textContent, x: box.x, y: box.y, w: box.width, h: box.height,
           px: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)}];
})"""
LAYOUT = ("(w) => ({scroll: document.documentElement.scrollWidth, inner: innerWidth, "
          "columns: getComputedStyle(document.querySelector('.cards')).gridTemplateColumns.split(' ').length})")


def overlapping(texts: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The pairs of texts whose boxes intersect (by more than half a pixel: glyph boxes may touch)."""
    found = []
    ordered = sorted(texts, key=lambda t: t["y"])
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b["y"] >= a["y"] + a["h"] - 0.5:
                break
            if a["x"] < b["x"] + b["w"] - 0.5 and b["x"] < a["x"] + a["w"] - 0.5:
                found.append((a["text"], b["text"]))
    return found


@pytest.fixture(scope="module")
def every_report(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every example's report in both languages, written once in-process by the command."""
    from click.testing import CliRunner

    import cli

    folder = tmp_path_factory.mktemp("reports")
    out = {}
    for answers in sorted((ROOT / "examples").glob("*.yaml")):
        for lang in ("en", "fr"):
            target = folder / f"{answers.stem}-{lang}.html"
            run = CliRunner().invoke(cli.main, ["report", str(answers), "--lang", lang, "--out", str(target)])
            assert run.exit_code == 0, run.output
            out[answers.stem, lang] = target
    return out


@pytest.mark.parametrize("width", [390, 1280])
def test_every_report_fits_the_screen_with_readable_charts(browser: Any, every_report: dict[tuple[str, str], Path],
                                                           width: int) -> None:
    """At a phone's 390 px and a desktop's 1280 px, every example in both languages: no horizontal
    scrolling, cards in one column on the phone, every chart text at least 11 px and no two chart
    texts overlapping. Screenshots kept in tests/artefacts/."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    ARTEFACTS.mkdir(exist_ok=True)
    for (example, lang), path in every_report.items():
        page.goto(path.as_uri())
        layout = page.evaluate(LAYOUT)
        assert layout["scroll"] <= layout["inner"], (example, lang, layout)
        assert (layout["columns"] == 1) == (width < 600), (example, lang, layout)
        texts = page.evaluate(CHART_TEXTS)
        assert texts, (example, lang)
        small = [(t["text"], round(t["px"], 1)) for t in texts if t["px"] < 11]
        assert small == [], (example, lang)
        assert overlapping(texts) == [], (example, lang)
        page.screenshot(path=str(ARTEFACTS / f"report-{example}-{lang}-{width}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_acme_report_prints_on_at_most_three_a4_pages(browser: Any, every_report: dict[tuple[str, str], Path],
                                                          lang: str) -> None:
    """Printed (Chromium's PDF), the acme report fits on three A4 pages or fewer in either language (it
    took six with the screen's sizes), and laid out for paper its summary and map fit the first page."""
    page, errors, _ = open_page(browser, every_report["acme-retail", lang])
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and errors == []
    pages = pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page")
    assert 1 <= pages <= 3, pages
    page.set_viewport_size({"width": A4_TEXT[0], "height": A4_TEXT[1]})
    page.emulate_media(media="print")
    assert page.evaluate("document.querySelector('#map').getBoundingClientRect().bottom") <= A4_TEXT[1]
    page.close()


def test_a_thousand_flows_make_a_readable_report_under_a_megabyte(browser: Any, tmp_path: Path) -> None:
    """A generated 1,000-flow portfolio: the page weighs under 1 MB, its cost chart and cards show the
    flows that cost the most in-house and say so, and its map's texts overlap nowhere."""
    from benchmarks.report_scale import portfolio_document
    from explanations.render import Document
    from explanations.report import render_report

    # 40 recommended flows, each copied 25 times at other volumes: 1,000 flows in well under a second
    doc, thresholds = portfolio_document(40, "en")
    flows = [{**entry, "id": f"{entry['id']}-{copy}", "name": f"{entry['name']} {copy}",
              "monthly_volume": entry["monthly_volume"] * (1 + copy / 7)}
             for copy in range(25) for entry in doc.flows]
    page_text = render_report(Document(doc.organisation, doc.policy, doc.cost_model, flows), thresholds, "en",
                              "generated.yaml")
    path = tmp_path / "thousand.html"
    path.write_text(page_text, encoding="utf-8")
    assert len(page_text.encode("utf-8")) < 1_000_000
    assert page_text.count('<article class="card') < 100
    assert "of 1000; arbitre recommend gives every flow" in page_text
    page, errors, _ = open_page(browser, path)
    assert errors == []
    texts = page.evaluate(CHART_TEXTS)
    assert overlapping(texts) == [] and min(t["px"] for t in texts) >= 11
    page.close()


BARS = ("() => [...document.querySelectorAll('#robustness .sure')].map((row) => {"
        " const bar = row.querySelector('.shares').getBoundingClientRect();"
        " const parts = [...row.querySelectorAll('.share')].map((s) => ({option: s.dataset.option,"
        " width: s.getBoundingClientRect().width, colour: getComputedStyle(s).backgroundColor}));"
        " return {flow: row.dataset.flow, width: bar.width, right: bar.right, parts}; })")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_ranged_answers_show_a_bar_per_flow_on_a_phone_and_in_print(browser: Any, tmp_path: Path, lang: str) -> None:
    """A report of answers with ranges has a bar per flow whose parts, in the decision colours, share
    its whole width; at 390 px it fits the screen, and laid out for paper every bar keeps its colours
    within the page."""
    from explanations.report import COLOURS

    ARTEFACTS.mkdir(exist_ok=True)
    path = tmp_path / "ranged.yaml"
    text = (ROOT / "examples" / "acme-retail.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("aht_seconds: 660", "aht_seconds: {low: 500, likely: 660, high: 750}"),
                    encoding="utf-8")
    page, errors, _ = open_page(browser, write_report(tmp_path, path, "--samples", "60", "--lang", lang))
    page.set_viewport_size({"width": 390, "height": 900})
    bars = page.evaluate(BARS)
    assert len(bars) == 6 and errors == []
    rgb = {name: "rgb({}, {}, {})".format(*(int(c[i:i + 2], 16) for i in (1, 3, 5))) for name, c in COLOURS.items()}
    for bar in bars:
        assert abs(sum(part["width"] for part in bar["parts"]) - bar["width"]) < 1, bar
        assert all(part["colour"] == rgb[part["option"]] for part in bar["parts"]), bar
        assert 0 < bar["right"] <= 390
    assert [len(bar["parts"]) for bar in bars if bar["flow"] == "complaints-email"] == [2]
    layout = page.evaluate(LAYOUT)
    assert layout["scroll"] <= layout["inner"], layout
    page.screenshot(path=str(ARTEFACTS / f"report-ranged-{lang}-390.png"), full_page=True)
    assert page.pdf(format="A4", print_background=True).startswith(b"%PDF")
    page.set_viewport_size({"width": A4_TEXT[0], "height": A4_TEXT[1]})
    page.emulate_media(media="print")
    printed = page.evaluate(BARS)
    assert all(bar["width"] > 0 and bar["right"] <= A4_TEXT[0] for bar in printed), printed
    assert [part["colour"] for bar in printed for part in bar["parts"]] == \
        [part["colour"] for bar in bars for part in bar["parts"]]
    page.close()
