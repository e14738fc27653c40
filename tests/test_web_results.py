"""The result pages through Starlette's test client: a version's portfolio, its flows, why not, tipping
points (worked out in the background when the record lacks them), overrides, downloads, what-if and compare."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette's test client names an alias anyio deprecates (anyio 4.12)
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

from conftest import EXAMPLES, RULES
from engine.analysis.audit import with_digest
from engine.policy.loading import Policy
from explanations.render import json_text
from web import views
from web import i18n
from web.app import create_app
from web.results import plural
from web.store import Override, Store

ARBITRE = Path(sys.executable).parent / "arbitre"
ACME = (EXAMPLES / "acme-retail.yaml").read_text(encoding="utf-8")
XSS = "<script>alert('x')</script>"
HOSTILE = ACME.replace("name: Order taking by phone", f'name: "{XSS}"', 1)


@pytest.fixture(scope="module")
def records(policy: Policy) -> dict[str, str]:
    """The records of the answers the tests store, made once."""
    return {"acme": views.audit_record(ACME, policy), "hostile": views.audit_record(HOSTILE, policy)}


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "workspace.db")
    yield opened
    opened.close()


@pytest.fixture
def client(store: Store):
    with TestClient(create_app(store, policy_dir=RULES), raise_server_exceptions=False) as browser:
        yield browser


@pytest.fixture
def acme(store: Store, records: dict[str, str]) -> str:
    """An assessment whose first version is the bundled example, stored with its record."""
    found = store.create_assessment("Acme", "en")
    store.add_version(found.id, ACME, author="Claire", audit_json=records["acme"])
    return found.id


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def copy_of(page: str) -> str:
    found = re.search(r'name="copy" value="([^"]+)"', page)
    assert found, "the page has no save form"
    return found.group(1)


def settle(client: TestClient, url: str, rounds: int = 600) -> Any:
    """GET ``url`` until it is no longer the page that waits for background work (202)."""
    for _ in range(rounds):
        page = client.get(url)
        if page.status_code != 202:
            return page
        time.sleep(0.1)
    raise AssertionError(f"{url} still pending")


class TestPortfolio:
    def test_flows_table_map_and_charts(self, client: TestClient, acme: str) -> None:
        """The portfolio lists each flow with its decision and links, and draws the report's map and cost chart."""
        page = client.get(f"/a/{acme}/v/1")
        assert page.status_code == 200
        assert f'href="/a/{acme}/v/1/flows/order-taking"' in page.text
        assert "Order taking by phone" in page.text
        assert page.text.count('<svg class="chart') == 4  # map and costs, wide and narrow
        for file in ("audit.json", "report.html", "brief.md", "answers.yaml"):
            assert f"/a/{acme}/v/1/{file}" in page.text

    def test_the_map_is_the_reports_own_drawing(self, client: TestClient, acme: str) -> None:
        """The portfolio's maps are drawn by the report's macros: the same SVG as the downloaded report."""
        page = client.get(f"/a/{acme}/v/1").text
        report = client.get(f"/a/{acme}/v/1/report.html").text
        section = page[page.index('<section id="map"'):page.index('<section id="costs"')]
        maps = re.findall(r'<svg class="chart .*?</svg>', section, re.DOTALL)
        assert len(maps) == 2 and all(drawn in report for drawn in maps)

    def test_hostile_flow_name_escaped(self, client: TestClient, store: Store, records: dict[str, str]) -> None:
        """A flow named with markup is shown as text on every page, never run."""
        found = store.create_assessment(XSS, "en")
        store.add_version(found.id, HOSTILE, audit_json=records["hostile"])
        for url in (f"/a/{found.id}/v/1", f"/a/{found.id}/v/1/flows/order-taking",
                    f"/a/{found.id}/v/1/flows/order-taking/why-not/hybrid",
                    f"/a/{found.id}/v/1/flows/order-taking/tipping"):
            page = client.get(url)
            assert page.status_code == 200, url
            assert XSS not in page.text, url
            assert html.escape(XSS) in page.text or "&lt;script&gt;" in page.text, url

    @pytest.mark.parametrize("path", [
        pytest.param("/v/1/flows/no-such-flow", id="unknown-flow"),
        pytest.param("/v/1/flows/no-such-flow/tipping", id="unknown-flow-tipping"),
        pytest.param("/v/1/flows/order-taking/why-not/maybe", id="unknown-option"),
        pytest.param("/v/9", id="unknown-version"),
        pytest.param("/v/9/audit.json", id="unknown-version-download"),
        pytest.param("/compare?a=1&b=7", id="unknown-version-compared"),
    ])
    def test_not_found_is_a_page(self, client: TestClient, acme: str, path: str) -> None:
        """What does not exist is the 404 page, in the assessment's language, never a traceback."""
        page = client.get(f"/a/{acme}{path}")
        assert page.status_code == 404
        assert "<html" in page.text and "Traceback" not in page.text

    def test_unknown_assessment(self, client: TestClient) -> None:
        assert client.get("/a/nobody/v/1").status_code == 404

    def test_version_without_record_worked_out_in_background(self, client: TestClient, store: Store) -> None:
        """A version stored without its record (an upload) gets it in the background, behind a page that refreshes."""
        found = store.create_assessment("Uploaded", "fr")
        store.add_version(found.id, ACME)
        first = client.get(f"/a/{found.id}/v/1")
        assert first.status_code == 202
        assert '<meta http-equiv="refresh" content="1">' in first.text
        page = settle(client, f"/a/{found.id}/v/1")
        assert page.status_code == 200 and "Order taking by phone" in page.text
        assert store.record(found.id, 1) is not None


class TestFlow:
    def test_flow_page(self, client: TestClient, acme: str) -> None:
        """A flow's page: decision, why with weights, each option's cost, why-not links, tipping link, override form."""
        page = client.get(f"/a/{acme}/v/1/flows/order-taking")
        assert page.status_code == 200
        text = page.text
        assert "Decision: outsource" in text
        for option in ("outsource", "hybrid", "keep_internal"):
            assert f"/a/{acme}/v/1/flows/order-taking/why-not/{option}" in text
        assert f"/a/{acme}/v/1/flows/order-taking/tipping" in text
        assert "keep in-house" in text and "EUR" in text  # the options' costs
        assert 'name="reason"' in text and csrf_of(text)

    @pytest.mark.parametrize("lang", ["en", "fr"])
    def test_every_flow_and_option_renders(self, client: TestClient, store: Store, records: dict[str, str],
                                           lang: str) -> None:
        """Every flow's page, tipping points and why-not pages of the bundled example render, in both languages."""
        found = store.create_assessment("Acme", lang)
        store.add_version(found.id, ACME, audit_json=records["acme"])
        for flow_id in views.flow_ids(records["acme"]):
            base = f"/a/{found.id}/v/1/flows/{flow_id}"
            for url in (base, f"{base}/tipping", *(f"{base}/why-not/{o}" for o in views.OPTIONS)):
                page = client.get(url)
                assert page.status_code == 200, url
                assert f'<html lang="{lang}">' in page.text

    def test_why_not(self, client: TestClient, acme: str) -> None:
        page = client.get(f"/a/{acme}/v/1/flows/order-taking/why-not/keep_internal")
        assert page.status_code == 200
        assert "Why not keep in-house for Order taking by phone" in page.text
        assert "KNW-01" in page.text and "did not fire" in page.text

    def test_tipping_from_the_record(self, client: TestClient, acme: str, records: dict[str, str]) -> None:
        """The record holds the tipping points: the page shows them at once."""
        page = client.get(f"/a/{acme}/v/1/flows/order-taking/tipping")
        assert page.status_code == 200
        expected = views.tipping_sentences_for(records["acme"], "order-taking", None, "en")
        assert expected and all(html.escape(s, quote=False) in page.text for s in expected)

    def test_tipping_worked_out_in_background(self, client: TestClient, store: Store, records: dict[str, str]) -> None:
        """A record without a flow's tipping points: they are worked out in a background thread, the page
        refreshing itself meanwhile, and come out as the record would hold them."""
        data = json.loads(records["acme"])
        expected = data["flows"][0]["tipping_points"]
        data["flows"][0]["tipping_points"] = None
        found = store.create_assessment("No tipping", "en")
        store.add_version(found.id, ACME, audit_json=json_text(with_digest(data), indent=1) + "\n")
        url = f"/a/{found.id}/v/1/flows/order-taking/tipping"
        first = client.get(url)
        assert first.status_code == 202
        assert '<meta http-equiv="refresh" content="1">' in first.text
        page = settle(client, url)
        assert page.status_code == 200
        sentences = views.tipping_sentences_for(records["acme"], "order-taking", expected, "en")
        assert all(html.escape(s, quote=False) in page.text for s in sentences)

    def test_a_failed_tipping_job_is_a_page_and_is_tried_again(self, client: TestClient, store: Store,
                                                                records: dict[str, str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
        """A background job that raised is shown as a page once and dropped: the next visit works the
        tipping points out again (it used to raise on every visit until the server restarted)."""
        data = json.loads(records["acme"])
        data["flows"][0]["tipping_points"] = None
        found = store.create_assessment("No tipping", "en")
        store.add_version(found.id, ACME, audit_json=json_text(with_digest(data), indent=1) + "\n")
        url = f"/a/{found.id}/v/1/flows/order-taking/tipping"
        working = views.tipping_entry_for

        def broken(*args: Any) -> Any:
            raise RuntimeError("out of memory")

        monkeypatch.setattr(views, "tipping_entry_for", broken)
        failed = settle(client, url)
        assert failed.status_code == 500 and "could not be worked out" in failed.text and "RuntimeError" in failed.text
        monkeypatch.setattr(views, "tipping_entry_for", working)
        assert settle(client, url).status_code == 200

    def test_tipping_of_an_overridden_flow_heads_with_the_engines_decision(self, client: TestClient, acme: str,
                                                                         store: Store) -> None:
        """Overridden to keep in-house, the tipping page does not head 'Decision: keep in-house' above 'the
        decision would be keep in-house if…' (review finding 6): it names the engine's decision."""
        page = client.get(f"/a/{acme}/v/1/flows/order-taking")
        client.post(f"/a/{acme}/v/1/flows/order-taking/override",
                    data={"csrf": csrf_of(page.text), "option": "keep_internal", "reason": "Union"})
        tipping = client.get(f"/a/{acme}/v/1/flows/order-taking/tipping").text
        assert "The engine’s decision: outsource" in tipping
        assert "A person overrode it: keep in-house." in tipping
        assert "Decision: keep in-house" not in tipping

    def test_french_weights_and_scores(self, client: TestClient, store: Store, records: dict[str, str]) -> None:
        """Weights signed and scores written as the explanations write them: French decimal comma, a true
        minus, the same form on the flow page and the why-not page."""
        from explanations.render import score, signed_weight

        found = store.create_assessment("Acme", "fr")
        store.add_version(found.id, ACME, audit_json=records["acme"])
        french = {"accept-language": "fr"}
        flow = client.get(f"/a/{found.id}/v/1/flows/order-taking", headers=french).text
        weights = re.findall(r'<span class="weight"[^>]*>([^<]+)</span>', flow)
        assert weights and all(re.fullmatch(r"[+−]\d+(,\d)?", w) for w in weights)
        entry = json.loads(records["acme"])["flows"][0]
        voted = [vote["weight"] for firing in entry["firings"] for vote in firing["votes"]]
        assert any(signed_weight(weight, "fr") in weights for weight in voted)
        why_not = client.get(f"/a/{found.id}/v/1/flows/order-taking/why-not/keep_internal", headers=french).text
        for option, value in entry["scores"].items():
            assert score(value, "fr") in flow and score(value, "fr") in why_not


class TestOverride:
    def test_without_reason_refused_beside_the_field(self, client: TestClient, acme: str, store: Store) -> None:
        """No reason: 400, said beside the reason in the form's words (not the CLI's option syntax), the
        form kept as typed, nothing stored."""
        page = client.get(f"/a/{acme}/v/1/flows/order-taking")
        refused = client.post(f"/a/{acme}/v/1/flows/order-taking/override",
                              data={"csrf": csrf_of(page.text), "option": "keep_internal", "reason": "  ",
                                    "author": "Claire <b>"})
        assert refused.status_code == 400
        assert "--reason" not in refused.text
        assert re.search(r'<p class="error-text" role="alert" id="reason-error">Give a reason: it is kept beside your '
                         r'decision in the audit record.</p>\s*<textarea id="reason" name="reason" aria-invalid="true"',
                         refused.text)
        assert '<option value="keep_internal" selected>' in refused.text
        assert 'value="Claire &lt;b&gt;"' in refused.text
        assert store.overrides(acme, 1) == []

    def test_override_recorded_and_download_verified(self, client: TestClient, acme: str, store: Store,
                                                     tmp_path: Path) -> None:
        """An override with a reason and a name: listed with its time, in the portfolio, and in the audit
        record downloaded, which `arbitre explain --verify` accepts (exit 0)."""
        page = client.get(f"/a/{acme}/v/1/flows/order-taking")
        done = client.post(f"/a/{acme}/v/1/flows/order-taking/override",
                           data={"csrf": csrf_of(page.text), "option": "keep_internal",
                                 "reason": "The works council said no", "author": "Claire"}, follow_redirects=False)
        assert done.status_code == 303
        assert done.headers["location"] == f"/a/{acme}/v/1/flows/order-taking"
        flow = client.get(done.headers["location"]).text
        assert "The works council said no" in flow and "Claire" in flow
        assert store.overrides(acme, 1)[0].created[:10] in flow
        assert "engine: outsource" in client.get(f"/a/{acme}/v/1").text
        download = client.get(f"/a/{acme}/v/1/audit.json")
        assert download.status_code == 200 and download.headers["content-type"].startswith("application/json")
        record = json.loads(download.text)
        assert record["flows"][0]["override"] == {"decision": "keep_internal", "reason": "The works council said no",
                                                  "author": "Claire", "at": store.overrides(acme, 1)[0].created}
        (tmp_path / "audit.json").write_text(download.text, encoding="utf-8")
        run = subprocess.run([str(ARBITRE), "explain", str(tmp_path / "audit.json"), "--verify"],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr

    def test_french_form_in_french(self, client: TestClient, store: Store, records: dict[str, str]) -> None:
        """On a French assessment, a decision left out is said in French beside the decision."""
        found = store.create_assessment("Acme", "fr")
        store.add_version(found.id, ACME, audit_json=records["acme"])
        page = client.get(f"/a/{found.id}/v/1/flows/order-taking", headers={"accept-language": "fr"})
        refused = client.post(f"/a/{found.id}/v/1/flows/order-taking/override", headers={"accept-language": "fr"},
                              data={"csrf": csrf_of(page.text), "option": "", "reason": "Accord syndical"})
        assert refused.status_code == 400
        assert 'id="option-error">Choisissez une décision dans la liste.</p>' in refused.text
        assert "FLOW_ID=DECISION" not in refused.text

    def test_override_and_record_written_together(self, client: TestClient, acme: str, store: Store,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        """The override and the record carrying it are one transaction (review finding 3): when the record
        cannot be rewritten, no override is left behind either."""
        def broken(record: str, overrides: object) -> str:
            raise RuntimeError("disk full")

        monkeypatch.setattr(views, "with_overrides", broken)
        page = client.get(f"/a/{acme}/v/1/flows/order-taking")
        failed = client.post(f"/a/{acme}/v/1/flows/order-taking/override",
                             data={"csrf": csrf_of(page.text), "option": "hybrid", "reason": "why"})
        assert failed.status_code == 500
        assert store.overrides(acme, 1) == []

    def test_a_restored_override_of_an_unknown_option_does_not_break_the_pages(
            self, client: TestClient, acme: str, store: Store) -> None:
        """An override the pages do not know (stored before the backup checks) shows as written: the
        portfolio and the flow page render (review finding 3: they were 500)."""
        dump = store.dump(acme)
        store.restore([dataclasses.replace(dump, overrides=(Override(acme, 1, "order-taking", "bogus", "", "",
                                                                     dump.assessment.updated),))], replace=True)
        assert client.get(f"/a/{acme}/v/1").status_code == 200
        flow = client.get(f"/a/{acme}/v/1/flows/order-taking")
        assert flow.status_code == 200 and "bogus" in flow.text

    def test_override_of_unknown_flow(self, client: TestClient, acme: str) -> None:
        page = client.get(f"/a/{acme}/v/1/flows/order-taking")
        refused = client.post(f"/a/{acme}/v/1/flows/nowhere/override",
                              data={"csrf": csrf_of(page.text), "option": "outsource", "reason": "x"})
        assert refused.status_code == 404


class TestDownloads:
    def test_report_and_brief(self, client: TestClient, acme: str, records: dict[str, str]) -> None:
        """report.html is the CLI's report of the version; brief.md its provider brief."""
        report = client.get(f"/a/{acme}/v/1/report.html")
        assert report.status_code == 200
        assert report.text == views.report_html(records["acme"], "en")
        assert "attachment" in report.headers["content-disposition"]
        brief = client.get(f"/a/{acme}/v/1/brief.md")
        assert brief.status_code == 200 and brief.headers["content-type"].startswith("text/markdown")
        assert brief.text.startswith("#")


class TestWhatIfAndCompare:
    def test_apply_save_and_compare(self, client: TestClient, acme: str, store: Store) -> None:
        """A changed answer on the scratch copy shows the decision that moves; saved, it is version 2, and
        comparing 1 with 2 shows the same move with the answer and the rules."""
        form = client.get(f"/a/{acme}/whatif")
        assert form.status_code == 200
        assert 'name="flow.0.aht_seconds" value="270"' in form.text
        applied = client.post(f"/a/{acme}/whatif", data={"csrf": csrf_of(form.text), "flow.0.complexity": "high"},
                              follow_redirects=False)
        assert applied.status_code == 303
        assert store.scratch(acme) is not None and store.version(acme, 2) is None
        shown = client.get(f"/a/{acme}/whatif").text
        assert "1 decision moves." in shown and "Order taking by phone" in shown
        saved = client.post(f"/a/{acme}/whatif/save", data={"csrf": csrf_of(shown), "author": "Claire",
                                                            "copy": copy_of(shown)}, follow_redirects=False)
        assert saved.status_code == 303 and saved.headers["location"] == f"/a/{acme}/v/2"
        assert store.scratch(acme) is None and store.record(acme, 2) is not None
        compared = client.get(f"/a/{acme}/compare?a=1&b=2")
        assert compared.status_code == 200
        assert "Decisions that changed" in compared.text and "complexity" in compared.text.lower()

    def test_bad_value_said_beside_its_field(self, client: TestClient, acme: str, store: Store) -> None:
        """A value the questionnaire refuses: 400, said beside the field in its words, the value kept."""
        form = client.get(f"/a/{acme}/whatif")
        refused = client.post(f"/a/{acme}/whatif", data={"csrf": csrf_of(form.text), "flow.0.aht_seconds": "fast"})
        assert refused.status_code == 400
        assert 'id="flow.0.aht_seconds-error">' in refused.text and "answers.yaml" not in refused.text
        assert 'value="fast" aria-invalid="true"' in refused.text
        assert store.scratch(acme) is None

    def test_french_formats_taken_in_a_french_assessment(self, client: TestClient, store: Store,
                                                         records: dict[str, str]) -> None:
        """'20 000' and '33,5' on a French page are what the questionnaire takes (review finding 8)."""
        found = store.create_assessment("Acme", "fr")
        store.add_version(found.id, ACME, audit_json=records["acme"])
        french = {"accept-language": "fr"}
        form = client.get(f"/a/{found.id}/whatif", headers=french)
        assert "Volume mensuel" in form.text
        applied = client.post(f"/a/{found.id}/whatif", headers=french, follow_redirects=False,
                              data={"csrf": csrf_of(form.text), "flow.0.monthly_volume": "20 000",
                                    "flow.0.routine_share_pct": "33,5", "flow.0.id": "renamed"})
        assert applied.status_code == 303
        flow = views.read_answers(store.scratch(found.id) or "").answers.flows[0]
        assert (flow.id, flow.monthly_volume, flow.routine_share_pct) == ("order-taking", 20000, 33.5)

    def test_saved_twice_is_one_version(self, client: TestClient, acme: str, store: Store) -> None:
        """The save form sent twice (a double click) stores one version (review finding 4)."""
        form = client.get(f"/a/{acme}/whatif")
        client.post(f"/a/{acme}/whatif", data={"csrf": csrf_of(form.text), "flow.0.complexity": "high"})
        shown = client.get(f"/a/{acme}/whatif").text
        sent = {"csrf": csrf_of(shown), "copy": copy_of(shown)}
        first = client.post(f"/a/{acme}/whatif/save", data=sent, follow_redirects=False)
        second = client.post(f"/a/{acme}/whatif/save", data=sent, follow_redirects=False)
        assert first.headers["location"] == second.headers["location"] == f"/a/{acme}/v/2"
        assert [v.number for v in store.versions(acme)] == [1, 2]

    def test_saved_at_once_is_one_version(self, store: Store, acme: str, records: dict[str, str]) -> None:
        """Two saves of one copy at the same time: the store keeps one version."""
        import concurrent.futures

        copy = ACME.replace("complexity: low", "complexity: high", 1)
        store.save_scratch(acme, copy)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            saved = list(pool.map(lambda _: store.version_from_scratch(acme, copy, records["acme"]), range(4)))
        assert sum(v is not None for v in saved) == 1 and len(store.versions(acme)) == 2

    def test_a_copy_changed_in_another_window_is_not_saved_unseen(self, client: TestClient, acme: str,
                                                                  store: Store) -> None:
        form = client.get(f"/a/{acme}/whatif")
        client.post(f"/a/{acme}/whatif", data={"csrf": csrf_of(form.text), "flow.0.complexity": "high"})
        shown = client.get(f"/a/{acme}/whatif").text
        client.post(f"/a/{acme}/whatif", data={"csrf": csrf_of(shown), "flow.0.complexity": "medium"})
        late = client.post(f"/a/{acme}/whatif/save", data={"csrf": csrf_of(shown), "copy": copy_of(shown)})
        assert late.status_code == 409 and "another window" in late.text
        assert len(store.versions(acme)) == 1

    def test_overrides_carried_forward_and_said_left_out(self, client: TestClient, acme: str, store: Store) -> None:
        """Review finding 6: the what-if and compare say the overrides are left out; saving offers (ticked)
        to carry them to the new version, which then holds them, in its record too."""
        page = client.get(f"/a/{acme}/v/1/flows/order-taking")
        client.post(f"/a/{acme}/v/1/flows/order-taking/override",
                    data={"csrf": csrf_of(page.text), "option": "keep_internal", "reason": "Union", "author": "Zoé"})
        form = client.get(f"/a/{acme}/whatif")
        client.post(f"/a/{acme}/whatif", data={"csrf": csrf_of(form.text), "flow.1.complexity": "high"})
        shown = client.get(f"/a/{acme}/whatif").text
        assert "the overrides of version 1 (order-taking) are left out" in shown
        assert '<input type="checkbox" name="carry" value="on" checked>' in shown
        client.post(f"/a/{acme}/whatif/save", data={"csrf": csrf_of(shown), "copy": copy_of(shown), "carry": "on"})
        carried = store.overrides(acme, 2)
        assert [(o.flow_id, o.option, o.reason, o.author) for o in carried] == [
            ("order-taking", "keep_internal", "Union", "Zoé")]
        record = json.loads(client.get(f"/a/{acme}/v/2/audit.json").text)
        assert record["flows"][0]["override"]["decision"] == "keep_internal"
        compared = client.get(f"/a/{acme}/compare?a=1&b=2").text
        assert "the overrides of version 1 (order-taking) are left out" in compared

    def test_overrides_not_carried_when_unticked(self, client: TestClient, acme: str, store: Store) -> None:
        page = client.get(f"/a/{acme}/v/1/flows/order-taking")
        client.post(f"/a/{acme}/v/1/flows/order-taking/override",
                    data={"csrf": csrf_of(page.text), "option": "hybrid", "reason": "Union"})
        form = client.get(f"/a/{acme}/whatif")
        client.post(f"/a/{acme}/whatif", data={"csrf": csrf_of(form.text), "flow.1.complexity": "high"})
        shown = client.get(f"/a/{acme}/whatif").text
        client.post(f"/a/{acme}/whatif/save", data={"csrf": csrf_of(shown), "copy": copy_of(shown)})
        assert store.overrides(acme, 2) == []

    @pytest.mark.parametrize("value", ["x", "0", "-1", "7"])
    def test_compare_says_a_value_is_not_a_version(self, client: TestClient, acme: str, store: Store,
                                                   value: str) -> None:
        store.add_version(acme, ACME)
        page = client.get(f"/a/{acme}/compare?a={value}")
        assert page.status_code == 404
        assert f"&#39;{value}&#39; is not a version of this assessment: choose one of 1, 2." in page.text

    def test_compare_says_a_long_run_of_digits_is_not_a_version(self, client: TestClient, acme: str,
                                                                store: Store) -> None:
        """Thousands of digits are no version either: the same page, not a number too long to read."""
        store.add_version(acme, ACME)
        page = client.get(f"/a/{acme}/compare?a={'9' * 4400}")
        assert page.status_code == 404
        assert "is not a version of this assessment: choose one of 1, 2." in page.text

    @pytest.mark.parametrize("path", ["whatif", "compare"])
    def test_no_version_yet(self, client: TestClient, store: Store, path: str) -> None:
        """What-if and compare before any version: say so, and where to go, not 'page not found'."""
        empty = store.create_assessment("Empty", "en")
        page = client.get(f"/a/{empty.id}/{path}")
        assert page.status_code == 404
        assert "no version yet: finish the questionnaire first" in page.text
        assert f'href="/a/{empty.id}/ask"' in page.text

    def test_compare_names_the_rules(self, client: TestClient, acme: str, store: Store) -> None:
        store.add_version(acme, ACME.replace("complexity: low", "complexity: high", 1))
        page = client.get(f"/a/{acme}/compare?a=1&b=2").text
        found = re.search(r"Fired (?:before|now) only: ([A-Z]+-\d+) ([^,<]+)", page)
        assert found and found.group(2).strip()

    def test_discard(self, client: TestClient, acme: str, store: Store) -> None:
        form = client.get(f"/a/{acme}/whatif")
        client.post(f"/a/{acme}/whatif", data={"csrf": csrf_of(form.text), "flow.0.complexity": "high"})
        assert store.scratch(acme) is not None
        done = client.post(f"/a/{acme}/whatif/discard", data={"csrf": csrf_of(form.text)}, follow_redirects=False)
        assert done.status_code == 303 and store.scratch(acme) is None


class TestWords:
    def test_one_file_of_words(self) -> None:
        """The result pages' words are in web/messages.yaml with the rest (no second file), which
        PyYAML's own safe loader reads too; the workspace sets them with their language's typography."""
        import yaml

        web = Path(__file__).resolve().parent.parent / "web"
        assert not (web / "results_words.yaml").exists()
        from engine.typography import typeset

        raw = yaml.safe_load((web / "messages.yaml").read_text(encoding="utf-8"))
        assert {key: {lang: typeset(text, lang) for lang, text in texts.items()} for key, texts in raw.items()} \
            == i18n.messages()  # the same words, set with each language's typography

    def test_every_plural_has_its_forms(self) -> None:
        """Every plural("key", n) a template names has its text for one (key_one) and for more (key)."""
        templates = Path(__file__).resolve().parent.parent / "web" / "templates"
        used = {key for path in templates.glob("*.html.j2")
                for key in re.findall(r'\bplural\("([a-z_0-9]+)"', path.read_text(encoding="utf-8"))}
        assert used and all(key in i18n.messages() and f"{key}_one" in i18n.messages() for key in used)

    @pytest.mark.parametrize(("n", "lang", "said"), [
        (1, "en", "1 decision moves."), (2, "en", "2 decisions move."), (0, "en", "0 decisions move."),
        (1, "fr", "1 décision change."), (0, "fr", "0 décision change."), (3, "fr", "3 décisions changent."),
    ])
    def test_plurals_as_each_language_makes_them(self, n: int, lang: str, said: str) -> None:
        """No 'décision(s)': one and many in English, and French's singular below two."""
        assert plural("moves_count", n, lang) == said
