"""The web workspace's speed for a 20-flow assessment: page responses and the time to a recommendation.

A generated 20-flow portfolio (``benchmarks/generate.py``) is loaded into a workspace file as an
assessment's version 1 with its audit record, and as the draft of a second assessment whose questionnaire
is under way. The main pages are asked for in turn, several rounds: the home page, the overview, the
portfolio, every flow's page, a why-not page per flow, the questionnaire's current step (tipping points
aside: they are worked out in the background). Their 95th percentile is printed against the 100 ms
target twice: in process through Starlette's test client, and over real HTTP against ``arbitre serve``
(urllib, one request after the other).

Then the questionnaire is walked to its review with Enter on every question (each answer's POST timed),
and the time from the last answer's POST (finishing the review) to the recommendation page being served
is measured, in process and over HTTP. Prints its figures with their targets; asserts nothing.
Run with ``make bench`` or directly.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this file's folder comes first on the path, where it would be the ``web`` package itself.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from benchmarks.generate import generate_answers  # noqa: E402
from engine.policy.loading import load_policy  # noqa: E402
from web.app import create_app  # noqa: E402
from web.store import Store  # noqa: E402
from web.views import audit_record  # noqa: E402

with warnings.catch_warnings():  # starlette's test client names an alias anyio deprecates
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

RULES = ROOT / "rules"
RESULTS = HERE / "results" / "web.json"
FLOWS = 20
ROUNDS = 5
TARGET_P95_MS = 100.0
OPTIONS = ("outsource", "hybrid", "keep_internal")


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def load(store: Store) -> tuple[str, str, list[str]]:
    """The 20-flow assessment with its version and record, a second one with the same answers as a draft;
    their ids and the pages to time."""
    answers = yaml.safe_dump(generate_answers(FLOWS, seed=7), allow_unicode=True, sort_keys=False)
    start = time.perf_counter()
    record = audit_record(answers, load_policy(RULES))
    print(f"audit record of {FLOWS} flows (tipping points included): {time.perf_counter() - start:.2f} s")
    done = store.create_assessment(f"{FLOWS} flows", "en")
    store.add_version(done.id, answers, author="bench", audit_json=record)
    asking = store.create_assessment(f"{FLOWS} flows, under way", "en")
    store.save_draft(asking.id, answers, {})
    pages = ["/", f"/a/{done.id}", f"/a/{done.id}/v/1"]
    for flow in json.loads(record)["flows"]:
        pages.append(f"/a/{done.id}/v/1/flows/{flow['id']}")
        other = next(option for option in OPTIONS if option != flow["decision"])
        pages.append(f"/a/{done.id}/v/1/flows/{flow['id']}/why-not/{other}")
    pages.append(f"/a/{asking.id}/ask")
    return done.id, asking.id, pages


def kind(path: str) -> str:
    """The page a path shows, for the per-page figures."""
    for pattern, name in ((r"/why-not/", "why-not"), (r"/flows/", "flow"), (r"/v/\d+$", "portfolio"),
                          (r"/ask$", "questionnaire step"), (r"^/a/[^/]+$", "overview"), (r"^/$", "home")):
        if re.search(pattern, path):
            return name
    return path


def time_pages(get: Callable[[str], int], pages: list[str]) -> dict[str, list[float]]:
    """Each page asked for ``ROUNDS`` times (after one round to warm up), in milliseconds by page kind."""
    for path in pages:
        assert get(path) == 200, path
    times: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for path in pages:
            start = time.perf_counter()
            status = get(path)
            times.setdefault(kind(path), []).append((time.perf_counter() - start) * 1000)
            assert status == 200, path
    return times


def report(title: str, times: dict[str, list[float]]) -> dict[str, Any]:
    every = [t for values in times.values() for t in values]
    p95 = percentile(every, 0.95)
    print(f"{title}: p95 {p95:.1f} ms over {len(every)} responses (target: under {TARGET_P95_MS:g} ms), "
          f"median {statistics.median(every):.1f} ms, max {max(every):.1f} ms")
    for name, values in times.items():
        print(f"  {name:<20} p95 {percentile(values, 0.95):7.1f} ms  median {statistics.median(values):6.1f} ms"
              f"  ({len(values)})")
    return {"p95_ms": round(p95, 2), "median_ms": round(statistics.median(every), 2), "responses": len(every),
            "by_page": {name: round(percentile(values, 0.95), 2) for name, values in times.items()}}


def hidden(text: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', text)
    assert found is not None, name
    return found.group(1)


def walk_to_review(client: TestClient, aid: str) -> list[float]:
    """Enter on every question until the review; each answer's POST in milliseconds."""
    csrf = hidden(client.get("/").text, "csrf")
    posts: list[float] = []
    for _ in range(2000):
        page = client.get(f"/a/{aid}/ask", follow_redirects=False)
        if page.status_code != 200:
            break
        start = time.perf_counter()
        answered = client.post(f"/a/{aid}/ask", data={"csrf": csrf, "key": hidden(page.text, "key"), "answer": ""},
                               follow_redirects=False)
        posts.append((time.perf_counter() - start) * 1000)
        assert answered.status_code == 303, answered.text[-400:]
        if answered.headers["location"].endswith("/review"):
            break
    return posts


def finish_in_process(client: TestClient, aid: str) -> float:
    """Seconds from the review's finishing POST to the recommendation page served."""
    review = client.get(f"/a/{aid}/review")
    form = {"csrf": hidden(review.text, "csrf"), "key": hidden(review.text, "key"), "finish": "1"}
    start = time.perf_counter()
    page = client.post(f"/a/{aid}/review", data=form, follow_redirects=True)
    seconds = time.perf_counter() - start
    assert page.status_code == 200 and re.search(r"/v/\d+$", str(page.url)), page.url
    return seconds


def serve(db: Path) -> tuple[subprocess.Popen[str], str]:
    """``arbitre serve`` on ``db`` in its own process, answering; the process and its address."""
    server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", "0", "--db", str(db)], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    found = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline())
    assert found is not None, "arbitre serve printed no address"
    base = found.group(0)
    for _ in range(600):
        try:
            with urllib.request.urlopen(base + "/", timeout=5):
                return server, base
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("arbitre serve does not answer")


def finish_over_http(base: str, aid: str) -> float:
    """Seconds from the review's finishing POST to the recommendation page read, over HTTP."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(f"{base}/a/{aid}/review") as response:
        text = response.read().decode("utf-8")
    body = urllib.parse.urlencode({"csrf": hidden(text, "csrf"), "key": hidden(text, "key"), "finish": "1"}).encode()
    start = time.perf_counter()
    with opener.open(f"{base}/a/{aid}/review", data=body) as response:  # the 303 followed to the page
        response.read()
        seconds = time.perf_counter() - start
        assert response.status == 200 and re.search(r"/v/\d+$", response.url), response.url
    return seconds


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="arbitre-web-bench-"))
    db = folder / "workspace.db"
    store = Store.open(db)
    done, asking, pages = load(store)
    print(f"{len(pages)} pages: home, overview, portfolio, {FLOWS} flow pages, {FLOWS} why-not pages, "
          f"a questionnaire step; {ROUNDS} rounds")
    results: dict[str, Any] = {"flows": FLOWS, "target_p95_ms": TARGET_P95_MS}
    with TestClient(create_app(store, policy_dir=RULES)) as client:
        results["in_process"] = report("in process (TestClient)",
                                       time_pages(lambda path: client.get(path).status_code, pages))
        posts = walk_to_review(client, asking)
        print(f"questionnaire answers (POST, Enter on each of {len(posts)} questions of {FLOWS} flows): "
              f"p95 {percentile(posts, 0.95):.0f} ms, median {statistics.median(posts):.0f} ms")
        draft = store.draft(asking)
        assert draft is not None
        again = store.create_assessment(f"{FLOWS} flows, over HTTP", "en")
        store.save_draft(again.id, draft.answers, draft.state)  # the same questionnaire, at its review
        first = finish_in_process(client, asking)
        print(f"last answer's POST to the recommendation page, in process: {first:.2f} s")
    store.close()
    results["answer_posts"] = {"p95_ms": round(percentile(posts, 0.95), 1), "count": len(posts)}
    results["to_recommendation_in_process_s"] = round(first, 3)

    server, base = serve(db)
    try:
        def get(path: str) -> int:
            with urllib.request.urlopen(base + path, timeout=60) as response:
                response.read()
                return int(response.status)
        results["over_http"] = report("over HTTP (arbitre serve, urllib)", time_pages(get, pages))
        over_http = finish_over_http(base, again.id)
        print(f"last answer's POST to the recommendation page, over HTTP: {over_http:.2f} s")
        results["to_recommendation_over_http_s"] = round(over_http, 3)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
