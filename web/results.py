"""The result pages (``ROUTES``): a version's portfolio, each flow's page, why not an option, tipping
points, overrides, what-if on a scratch copy, two versions compared, and the downloads.

Thin, like ``cli.py``: a handler reads the store, asks ``web.views`` for the page's data and renders it.
A version's recommendation is its audit record in the store; a version stored without one (an upload)
gets it worked out in the background while a page that refreshes itself says so (no script needed).
"""

from __future__ import annotations

import datetime
import functools
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.errors import AnswersError, ArbitreError
from engine.load import parse_yaml
from engine.policy.loading import Policy, load_policy
from explanations.render import labels

from . import views
from .pages import form, language, redirect, render
from .store import Assessment, Store, Version

WORDS = Path(__file__).resolve().parent / "results_words.yaml"
MAX_REASON = 2000
MAX_AUTHOR = 100


@functools.cache
def _words() -> dict[str, dict[str, str]]:
    """The result pages' own words by key and language (the rest are the explanations' labels)."""
    data: dict[str, dict[str, str]] = parse_yaml(WORDS.read_text(encoding="utf-8"), str(WORDS)).data
    return data


def words(lang: str) -> Callable[..., str]:
    """``w("key", field=value)``: a result page's word in ``lang``."""
    def word(key: str, **fields: Any) -> str:
        text = _words()[key].get(lang) or _words()[key]["en"]
        return text.format_map(fields) if fields else text

    return word


class Jobs:
    """Work done in the background, one job at a time, keyed so that a page asking again finds its job."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arbitre-results")
        self._jobs: dict[tuple[Any, ...], Future[Any]] = {}
        self._lock = threading.Lock()

    def start(self, key: tuple[Any, ...], work: Callable[[], Any]) -> Future[Any]:
        """The job under ``key``, started with ``work`` unless it already was."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                job = self._jobs[key] = self._pool.submit(work)
            return job

    def forget(self, key: tuple[Any, ...]) -> None:
        with self._lock:
            self._jobs.pop(key, None)


_app_lock = threading.Lock()
_override_lock = threading.Lock()


def _state(request: Request, name: str, make: Callable[[], Any]) -> Any:
    """What the result pages keep on the app (the policy, the background jobs), made on first use."""
    state = request.app.state
    with _app_lock:
        found = getattr(state, name, None)
        if found is None:
            found = make()
            setattr(state, name, found)
    return found


def _policy(request: Request) -> Policy:
    policy: Policy = _state(request, "results_policy", lambda: load_policy(request.app.state.policy_dir))
    return policy


def _jobs(request: Request) -> Jobs:
    jobs: Jobs = _state(request, "results_jobs", Jobs)
    return jobs


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _lang(request: Request) -> views.Lang:
    return "fr" if language(request) == "fr" else "en"


def _assessment(request: Request) -> Assessment:
    found = _store(request).assessment(request.path_params["aid"])
    if found is None:
        raise HTTPException(404)
    return found


def _version(request: Request) -> tuple[Assessment, Version]:
    found = _assessment(request)
    version = _store(request).version(found.id, request.path_params["n"])
    if version is None:
        raise HTTPException(404)
    return found, version


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    lang = _lang(request)
    return render(request, template, status=status, w=words(lang), L=labels(lang), **context)


def _record(request: Request, assessment: Assessment, version: Version) -> str | Response:
    """The version's audit record, or the page that waits for it while it is worked out in the background."""
    store = _store(request)
    record = store.record(assessment.id, version.number)
    if record is not None:
        return record
    key = ("record", str(store.path), assessment.id, version.number)
    policy = _policy(request)

    def work() -> None:
        made = views.audit_record(version.answers, policy, store.overrides(assessment.id, version.number))
        store.save_record(assessment.id, version.number, made)

    job = _jobs(request).start(key, work)
    if job.done():
        _jobs(request).forget(key)
        problem = job.exception()
        if problem is None:
            return store.record(assessment.id, version.number) or _pending(request, assessment, version)
        if isinstance(problem, ArbitreError):
            return _problem(request, assessment, problem)
        raise problem
    return _pending(request, assessment, version)


def _problem(request: Request, assessment: Assessment, problem: ArbitreError) -> Response:
    """A page saying why a version's answers cannot be recommended on (as the CLI words it), 400."""
    return _page(request, "results_problem.html.j2", status=400, assessment=assessment, problem=problem.report())


def _pending(request: Request, assessment: Assessment, version: Version, what: str = "pending_record") -> Response:
    return _page(request, "results_pending.html.j2", status=202, assessment=assessment, version=version, what=what)


def _context(assessment: Assessment, version: Version) -> dict[str, Any]:
    base = f"/a/{assessment.id}/v/{version.number}"
    return {"assessment": assessment, "version": version, "base": base}


# -- pages of a version ---------------------------------------------------------------------------------------

def portfolio(request: Request) -> Response:
    """The portfolio of a version: summary, map and cost charts, a row per flow, downloads."""
    assessment, version = _version(request)
    record = _record(request, assessment, version)
    if isinstance(record, Response):
        return record
    store = _store(request)
    return _page(request, "results.html.j2", page=views.portfolio(record, _lang(request)),
                 versions=store.versions(assessment.id), overrides=store.overrides(assessment.id, version.number),
                 **_context(assessment, version))


def _flow(request: Request, status: int = 200, error: str = "", values: dict[str, str] | None = None) -> Response:
    assessment, version = _version(request)
    record = _record(request, assessment, version)
    if isinstance(record, Response):
        return record
    flow_id = request.path_params["fid"]
    page = views.flow_page(record, flow_id, _lang(request))
    if page is None:
        raise HTTPException(404)
    history = [o for o in _store(request).overrides(assessment.id, version.number) if o.flow_id == flow_id]
    return _page(request, "flow.html.j2", status=status, flow=page, history=history, error=error,
                 values=values or {"option": "", "reason": "", "author": ""}, options=views.OPTIONS,
                 **_context(assessment, version))


def flow(request: Request) -> Response:
    """A flow's page: decision, why, each option's cost, conditions, links, the override form."""
    return _flow(request)


def why_not(request: Request) -> Response:
    """Why an option was not the flow's decision, from the record alone."""
    assessment, version = _version(request)
    record = _record(request, assessment, version)
    if isinstance(record, Response):
        return record
    page = views.why_not_page(record, request.path_params["fid"], request.path_params["option"], _lang(request))
    if page is None:
        raise HTTPException(404)
    return _page(request, "flow_why_not.html.j2", page=page, options=views.OPTIONS, **_context(assessment, version))


def tipping(request: Request) -> Response:
    """The answers that would change a flow's decision: the record's, else worked out in the background
    while the page refreshes itself."""
    assessment, version = _version(request)
    record = _record(request, assessment, version)
    if isinstance(record, Response):
        return record
    flow_id = request.path_params["fid"]
    page = views.flow_page(record, flow_id, _lang(request))
    if page is None:
        raise HTTPException(404)
    found = None
    if not views.has_tipping(record, flow_id):
        store = _store(request)
        key = ("tipping", str(store.path), assessment.id, version.number, flow_id)
        policy = _policy(request)
        job = _jobs(request).start(key, lambda: views.tipping_entry_for(version.answers, flow_id, policy))
        if not job.done():
            return _pending(request, assessment, version, "pending_tipping")
        found = job.result()
    sentences = views.tipping_sentences_for(record, flow_id, found, _lang(request))
    return _page(request, "flow_tipping.html.j2", flow=page, sentences=sentences, **_context(assessment, version))


def _text(value: Any, limit: int) -> str:
    """A form's text field, control characters dropped, at most ``limit`` characters."""
    text = value if isinstance(value, str) else ""
    return "".join(ch for ch in text if ch.isprintable() or ch in " \t\n").strip()[:limit]


def override(request: Request) -> Response:
    """Record a person's decision for a flow, with the reason (required) and their name; the version's
    record then carries it, as ``--override FLOW=OPTION --reason TEXT`` writes it."""
    assessment, version = _version(request)
    record = _record(request, assessment, version)
    if isinstance(record, Response):
        return record
    flow_id = request.path_params["fid"]
    known = views.flow_ids(record)
    if flow_id not in known:
        raise HTTPException(404)
    data = form(request)
    values = {"option": _text(data.get("option"), 40), "reason": _text(data.get("reason"), MAX_REASON),
              "author": _text(data.get("author"), MAX_AUTHOR)}
    problem = views.override_error(flow_id, values["option"], values["reason"], known)
    if problem is not None:
        return _flow(request, status=400, error=problem, values=values)
    store = _store(request)
    with _override_lock:  # the record is read, changed and written again: one override at a time
        store.add_override(assessment.id, version.number, flow_id, values["option"], values["reason"],
                           values["author"])
        current = store.record(assessment.id, version.number) or record
        store.save_record(assessment.id, version.number,
                          views.with_overrides(current, store.overrides(assessment.id, version.number)))
    return redirect(f"/a/{assessment.id}/v/{version.number}/flows/{flow_id}")


# -- downloads --------------------------------------------------------------------------------------------------

def _download(body: str, media: str, name: str) -> Response:
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})


def _record_now(request: Request, assessment: Assessment, version: Version) -> str:
    """The version's record, worked out here when it is not stored yet (a download waits for it);
    ``ArbitreError`` when its answers cannot be recommended on."""
    store = _store(request)
    record = store.record(assessment.id, version.number)
    if record is None:
        record = views.audit_record(version.answers, _policy(request), store.overrides(assessment.id, version.number))
        store.save_record(assessment.id, version.number, record)
    return record


def audit_json(request: Request) -> Response:
    """The audit record of the version, with its overrides: ``arbitre explain --verify`` accepts it."""
    assessment, version = _version(request)
    try:
        record = _record_now(request, assessment, version)
    except ArbitreError as exc:
        return _problem(request, assessment, exc)
    return _download(record, "application/json", f"{assessment.id}-v{version.number}-audit.json")


def report_html(request: Request) -> Response:
    """The HTML report of the version, as ``arbitre report`` writes it."""
    assessment, version = _version(request)
    try:
        html = views.report_html(_record_now(request, assessment, version), _lang(request))
    except ArbitreError as exc:
        return _problem(request, assessment, exc)
    return _download(html, "text/html; charset=utf-8", f"{assessment.id}-v{version.number}-report.html")


def brief_md(request: Request) -> Response:
    """The provider brief of the version, as ``arbitre brief`` prints it."""
    assessment, version = _version(request)
    overrides = _store(request).overrides(assessment.id, version.number)
    try:
        text = views.brief_markdown(version.answers, _policy(request), overrides, _lang(request),
                                    datetime.date.today())
    except ArbitreError as exc:
        return _problem(request, assessment, exc)
    return _download(text, "text/markdown; charset=utf-8", f"{assessment.id}-v{version.number}-brief.md")


# -- what-if and compare ----------------------------------------------------------------------------------------

def _latest(request: Request, assessment: Assessment) -> Version:
    versions = _store(request).versions(assessment.id)
    if not versions:
        raise HTTPException(404)
    return versions[-1]


def _whatif_page(request: Request, assessment: Assessment, base: Version, scratch: str, status: int = 200,
                 problem: str = "", typed: dict[str, str] | None = None) -> Response:
    lang = _lang(request)
    try:
        groups = views.whatif_questions(scratch, lang)
    except AnswersError:
        scratch = base.answers  # a copy that no longer reads (a newer policy): start again from the version
        groups = views.whatif_questions(scratch, lang)
    moves = None
    if scratch != base.answers and not problem:
        moves = views.whatif(base.answers, scratch, _policy(request), lang)
    return _page(request, "whatif.html.j2", status=status, assessment=assessment, base=base, groups=groups,
                 moves=moves, problem=problem, typed=typed or {}, edited=scratch != base.answers)


def whatif(request: Request) -> Response:
    """The what-if form over the scratch copy of the latest version (``GET``), or the form applied (``POST``):
    the copy saved, and which decisions move against the saved version."""
    assessment = _assessment(request)
    base = _latest(request, assessment)
    store = _store(request)
    scratch = store.scratch(assessment.id) or base.answers
    if request.method == "GET":
        return _whatif_page(request, assessment, base, scratch)
    typed = {key: value for key, value in form(request).items() if key != "csrf" and isinstance(value, str)}
    changed = views.apply_whatif(scratch, typed)
    try:
        views.read_answers(changed)
    except AnswersError as exc:
        return _whatif_page(request, assessment, base, scratch, status=400, problem=exc.report(), typed=typed)
    store.save_scratch(assessment.id, changed)
    return redirect(f"/a/{assessment.id}/whatif")


def whatif_save(request: Request) -> Response:
    """The scratch copy saved as the assessment's next version, with its record; the copy is done with."""
    assessment = _assessment(request)
    store = _store(request)
    scratch = store.scratch(assessment.id)
    if scratch is None:
        return redirect(f"/a/{assessment.id}/whatif")
    try:
        record = views.audit_record(scratch, _policy(request))
    except ArbitreError as exc:
        return _whatif_page(request, assessment, _latest(request, assessment), scratch, status=400,
                            problem=exc.report())
    data = form(request)
    version = store.add_version(assessment.id, scratch, author=_text(data.get("author"), MAX_AUTHOR),
                                note=_text(data.get("note"), 500) or words(assessment.lang)("whatif_note"),
                                audit_json=record)
    store.discard_scratch(assessment.id)
    return redirect(f"/a/{assessment.id}/v/{version.number}")


def whatif_discard(request: Request) -> Response:
    """Forget the scratch copy: the what-if starts again from the latest version."""
    assessment = _assessment(request)
    _store(request).discard_scratch(assessment.id)
    return redirect(f"/a/{assessment.id}/whatif")


def _number(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 10 else None


def compare(request: Request) -> Response:
    """Two versions side by side (``?a=1&b=2``; the last two by default): which decisions moved, the answers
    that changed and the rules that fired in one only."""
    assessment = _assessment(request)
    store = _store(request)
    versions = store.versions(assessment.id)
    if not versions:
        raise HTTPException(404)
    params = request.query_params
    a = _number(params.get("a")) or (versions[-2].number if len(versions) > 1 else versions[-1].number)
    b = _number(params.get("b")) or versions[-1].number
    first, second = store.version(assessment.id, a), store.version(assessment.id, b)
    if first is None or second is None:
        raise HTTPException(404)
    lang = _lang(request)
    try:
        found = views.compare(first.answers, second.answers, _policy(request), lang)
    except ArbitreError as exc:
        return _problem(request, assessment, exc)
    return _page(request, "compare.html.j2", assessment=assessment, versions=versions, first=first, second=second,
                 found=found)


ROUTES = [
    Route("/a/{aid}/v/{n:int}", portfolio, methods=["GET"]),
    Route("/a/{aid}/v/{n:int}/flows/{fid}", flow, methods=["GET"]),
    Route("/a/{aid}/v/{n:int}/flows/{fid}/why-not/{option}", why_not, methods=["GET"]),
    Route("/a/{aid}/v/{n:int}/flows/{fid}/tipping", tipping, methods=["GET"]),
    Route("/a/{aid}/v/{n:int}/flows/{fid}/override", override, methods=["POST"]),
    Route("/a/{aid}/v/{n:int}/audit.json", audit_json, methods=["GET"]),
    Route("/a/{aid}/v/{n:int}/report.html", report_html, methods=["GET"]),
    Route("/a/{aid}/v/{n:int}/brief.md", brief_md, methods=["GET"]),
    Route("/a/{aid}/whatif", whatif, methods=["GET", "POST"]),
    Route("/a/{aid}/whatif/save", whatif_save, methods=["POST"]),
    Route("/a/{aid}/whatif/discard", whatif_discard, methods=["POST"]),
    Route("/a/{aid}/compare", compare, methods=["GET"]),
]
