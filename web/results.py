"""The result pages (``ROUTES``): a version's portfolio, each flow's page, why not an option, tipping
points, overrides, what-if on a scratch copy, two versions compared, and the downloads.

Thin, like ``cli.py``: a handler reads the store, asks ``web.views`` for the page's data and renders it.
A version's recommendation is its audit record in the store; a version stored without one (an upload)
gets it worked out in the background while a page that refreshes itself says so (no script needed).
"""

from __future__ import annotations

import datetime
import hashlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.errors import AnswersError, ArbitreError, UserError
from engine.policy.loading import Policy
from engine.problems import line as problem_line
from engine.problems import text as problem_text
from engine.typography import singular
from explanations.render import labels, score, signed_weight

from . import views
from .context import assessment as _assessment
from .context import rules
from .context import store as _store
from .i18n import t
from .pages import MAX_AUTHOR, form, form_text, language, redirect, render
from .store import Assessment, Override, Version

MAX_REASON = 2000


def plural(key: str, n: int, lang: str, **fields: Any) -> str:
    """``key`` said of ``n`` things: its ``key_one`` text for one (and for none in French), else its own."""
    return t(f"{key}_one" if singular(n, lang) else key, lang, n=n, **fields)


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


def _jobs(request: Request) -> Jobs:
    """The app's background jobs, made on first use."""
    state = request.app.state
    with _app_lock:
        found: Jobs | None = getattr(state, "results_jobs", None)
        if found is None:
            found = state.results_jobs = Jobs()
    return found


def _policy(request: Request) -> Policy:
    return rules(request).policy


def _lang(request: Request) -> views.Lang:
    return "fr" if language(request) == "fr" else "en"


def _version(request: Request) -> tuple[Assessment, Version]:
    found = _assessment(request)
    version = _store(request).version(found.id, request.path_params["n"])
    if version is None:
        raise HTTPException(404)
    return found, version


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    lang = _lang(request)

    def said(key: str, n: int, **fields: Any) -> str:
        return plural(key, n, lang, **fields)

    return render(request, template, status=status, L=labels(lang), plural=said,
                  weight=lambda value: signed_weight(value, lang), score=lambda value: score(value, lang),
                  **context)


def _record_job(request: Request, assessment: Assessment, version: Version) -> tuple[tuple[Any, ...], Future[Any]]:
    """The background job that works out and stores the version's record (one per version, whoever asks)."""
    store = _store(request)
    key = ("record", str(store.path), assessment.id, version.number)
    policy = _policy(request)

    def work() -> None:
        made = views.audit_record(version.answers, policy, store.overrides(assessment.id, version.number))
        store.save_record(assessment.id, version.number, made)

    return key, _jobs(request).start(key, work)


def _record(request: Request, assessment: Assessment, version: Version) -> str | Response:
    """The version's audit record, or the page that waits for it while it is worked out in the background."""
    store = _store(request)
    record = store.record(assessment.id, version.number)
    if record is not None:
        return record
    key, job = _record_job(request, assessment, version)
    if job.done():
        _jobs(request).forget(key)
        problem = job.exception()
        if problem is None:
            return store.record(assessment.id, version.number) or _pending(request, assessment, version)
        return _failed(request, assessment, problem, "record")
    return _pending(request, assessment, version)


def _failed(request: Request, assessment: Assessment, problem: BaseException, what: str = "tipping") -> Response:
    """A background job that ended in an error, as a page (the job is dropped: opening the page again
    tries again): why the answers cannot be recommended on (400), else what went wrong (500)."""
    if isinstance(problem, ArbitreError):
        return _problem(request, assessment, problem)
    lang = _lang(request)
    return _page(request, "results_problem.html.j2", status=500, assessment=assessment,
                 title=t(f"{what}_failed_title", lang), problem=t(f"{what}_failed", lang, error=type(problem).__name__))


def _problem(request: Request, assessment: Assessment, problem: ArbitreError) -> Response:
    """A page saying why a version's answers cannot be recommended on (as the CLI words it), 400."""
    return _page(request, "results_problem.html.j2", status=400, assessment=assessment,
                 problem=problem.report(_lang(request)))


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
    page = views.portfolio(record, _lang(request))
    maps_drawn, costs_drawn = page.drawn(_lang(request))
    return _page(request, "results.html.j2", page=page, maps_drawn=maps_drawn, costs_drawn=costs_drawn,
                 versions=store.versions(assessment.id), overrides=store.overrides(assessment.id, version.number),
                 **_context(assessment, version))


def _flow_page(request: Request, record: str, flow_id: str) -> views.FlowPage:
    """The page data of the flow the URL names; 404 when the version has no such flow."""
    page = views.flow_page(record, flow_id, _lang(request))
    if page is None:
        raise HTTPException(404)
    return page


def _flow(request: Request, status: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Response:
    assessment, version = _version(request)
    record = _record(request, assessment, version)
    if isinstance(record, Response):
        return record
    flow_id = request.path_params["fid"]
    page = _flow_page(request, record, flow_id)
    history = [o for o in _store(request).overrides(assessment.id, version.number) if o.flow_id == flow_id]
    return _page(request, "flow.html.j2", status=status, flow=page, history=history, errors=errors or {},
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
    page = _flow_page(request, record, flow_id)
    found = None
    if not views.has_tipping(record, flow_id):
        store = _store(request)
        key = ("tipping", str(store.path), assessment.id, version.number, flow_id)
        policy = _policy(request)
        jobs = _jobs(request)
        job = jobs.start(key, lambda: views.tipping_entry_for(version.answers, flow_id, policy))
        if not job.done():
            return _pending(request, assessment, version, "pending_tipping")
        jobs.forget(key)  # done with: a later visit works it out again rather than keep every result
        problem = job.exception()
        if problem is not None:
            return _failed(request, assessment, problem)
        found = job.result()
    sentences = views.tipping_sentences_for(record, flow_id, found, _lang(request))
    return _page(request, "flow_tipping.html.j2", flow=page, sentences=sentences, **_context(assessment, version))


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
    values = {"option": form_text(data.get("option"), 40),
              "reason": form_text(data.get("reason"), MAX_REASON),
              "author": form_text(data.get("author"), MAX_AUTHOR)}
    errors = views.override_errors(flow_id, values["option"], values["reason"], known, _lang(request))
    if errors:
        return _flow(request, status=400, errors=errors, values=values)
    try:  # the override and the record that carries it, written in one transaction
        _store(request).override_with_record(assessment.id, version.number, flow_id, values["option"],
                                             values["reason"], values["author"], views.with_overrides)
    except UserError as exc:  # an earlier override of the version the checks refuse (none is stored)
        return _flow(request, status=400, errors={"option": exc.message}, values=values)
    return redirect(f"/a/{assessment.id}/v/{version.number}/flows/{flow_id}")


# -- downloads --------------------------------------------------------------------------------------------------

def _download(body: str, media: str, name: str) -> Response:
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})


def _record_now(request: Request, assessment: Assessment, version: Version) -> str:
    """The version's record, waited for when it is not stored yet (the same job the pages start);
    ``ArbitreError`` when its answers cannot be recommended on."""
    store = _store(request)
    record = store.record(assessment.id, version.number)
    if record is None:
        key, job = _record_job(request, assessment, version)
        try:
            job.result()
        finally:
            _jobs(request).forget(key)
        record = store.record(assessment.id, version.number)
        assert record is not None  # the job stored it
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

class NoVersion(Exception):
    """An assessment with no version yet: what-if and compare have nothing to start from."""


def _latest(request: Request, assessment: Assessment) -> Version:
    versions = _store(request).versions(assessment.id)
    if not versions:
        raise NoVersion
    return versions[-1]


def _no_version(request: Request, assessment: Assessment) -> Response:
    """The page saying an assessment has no version yet: finish the questionnaire first (404)."""
    return _page(request, "results_no_version.html.j2", status=404, assessment=assessment)


def copy_digest(scratch: str) -> str:
    """A short digest of the what-if copy: the save form carries the one it was shown with."""
    return hashlib.sha256(scratch.encode("utf-8")).hexdigest()[:20]


def _overridden(overrides: list[Override]) -> str:
    """The flows overridden (the latest override of each), for a sentence: 'order-taking, support-chat'."""
    return ", ".join(dict.fromkeys(o.flow_id for o in overrides))


def _whatif_page(request: Request, assessment: Assessment, base: Version, scratch: str, status: int = 200,
                 problem: str = "", errors: dict[str, str] | None = None, typed: dict[str, str] | None = None,
                 notice: str = "") -> Response:
    lang = _lang(request)
    bank = rules(request).bank
    try:
        groups = views.whatif_questions(scratch, bank, lang)
    except AnswersError:
        scratch = base.answers  # a copy that no longer reads (a newer policy): start again from the version
        groups = views.whatif_questions(scratch, bank, lang)
    moves = None
    if scratch != base.answers and not problem and not errors:
        moves = views.whatif(base.answers, scratch, _policy(request), lang)
    overrides = _store(request).overrides(assessment.id, base.number)
    return _page(request, "whatif.html.j2", status=status, assessment=assessment, base=base, groups=groups,
                 moves=moves, problem=problem, errors=errors or {}, typed=typed or {}, notice=notice,
                 edited=scratch != base.answers, copy=copy_digest(scratch), overridden=_overridden(overrides))


def whatif(request: Request) -> Response:
    """The what-if form over the scratch copy of the latest version (``GET``), or the form applied (``POST``):
    the copy saved, and which decisions move against the saved version. Each field is read as the
    questionnaire reads an answer, in the assessment's language; a refusal is said beside its field."""
    assessment = _assessment(request)
    try:
        base = _latest(request, assessment)
    except NoVersion:
        return _no_version(request, assessment)
    store = _store(request)
    scratch = store.scratch(assessment.id) or base.answers
    if request.method == "GET":
        return _whatif_page(request, assessment, base, scratch)
    lang = _lang(request)
    typed = {key: value for key, value in form(request).items() if key != "csrf" and isinstance(value, str)}
    applied = views.apply_whatif(scratch, typed, rules(request).bank, lang)
    if applied.errors:
        return _whatif_page(request, assessment, base, scratch, status=400, errors=applied.errors, typed=typed)
    try:
        views.read_answers(applied.answers)
    except AnswersError as exc:  # answers that do not hold together (a concurrency on a phone flow...)
        errors: dict[str, str] = {}
        rest = []
        for found in exc.problems:
            name = views.field_of(found)
            if name is not None and name in typed:
                errors.setdefault(name, problem_text(found, lang))
            else:
                rest.append(problem_line(found, lang))
        return _whatif_page(request, assessment, base, scratch, status=400, errors=errors,
                            problem="\n".join(rest) if rest or not errors else "", typed=typed)
    if applied.answers != scratch:
        store.save_scratch(assessment.id, applied.answers)
    return redirect(f"/a/{assessment.id}/whatif")


def whatif_save(request: Request) -> Response:
    """The scratch copy saved as the assessment's next version, with its record, and the copy done with:
    in one transaction, so that a form sent twice saves one version. With ``carry`` ticked (the form's
    default), the overrides in force on the latest version go with the flows the new one still has."""
    assessment = _assessment(request)
    store = _store(request)
    try:
        base = _latest(request, assessment)
    except NoVersion:
        return _no_version(request, assessment)
    scratch = store.scratch(assessment.id)
    if scratch is None:  # saved (or discarded) already: the form was sent twice
        return redirect(f"/a/{assessment.id}/v/{base.number}")
    data = form(request)
    lang = _lang(request)
    if data.get("copy") != copy_digest(scratch):  # changed in another window since this form was shown
        return _whatif_page(request, assessment, base, scratch, status=409, notice=t("whatif_copy_changed", lang))
    try:
        record = views.audit_record(scratch, _policy(request))
    except ArbitreError as exc:
        return _whatif_page(request, assessment, base, scratch, status=400, problem=exc.report(lang))
    version = store.version_from_scratch(
        assessment.id, scratch, record, author=form_text(data.get("author"), MAX_AUTHOR),
        note=form_text(data.get("note"), 500) or t("whatif_note", assessment.lang),
        carry=views.carried if data.get("carry") == "on" else None)
    if version is None:  # another submit saved it meanwhile
        return redirect(f"/a/{assessment.id}/v/{_latest(request, assessment).number}")
    return redirect(f"/a/{assessment.id}/v/{version.number}")


def whatif_discard(request: Request) -> Response:
    """Forget the scratch copy: the what-if starts again from the latest version."""
    assessment = _assessment(request)
    _store(request).discard_scratch(assessment.id)
    return redirect(f"/a/{assessment.id}/whatif")


def compare(request: Request) -> Response:
    """Two versions side by side (``?a=1&b=2``; the last two by default): which decisions moved, the answers
    that changed and the rules that fired in one only. The engine's decisions: overrides are said to be
    left out."""
    assessment = _assessment(request)
    store = _store(request)
    versions = store.versions(assessment.id)
    if not versions:
        return _no_version(request, assessment)
    lang = _lang(request)
    by_number = {str(v.number): v for v in versions}  # a choice compared as written: no int() of a long run
    chosen = {"a": versions[-2] if len(versions) > 1 else versions[-1], "b": versions[-1]}
    for side in ("a", "b"):
        value = request.query_params.get(side)
        if value is None or value == "":
            continue
        if value not in by_number:
            problem = t("not_a_version", lang, value=repr(value)[:40], numbers=", ".join(by_number))
            return _page(request, "results_problem.html.j2", status=404, assessment=assessment,
                         title=t("compare_title", lang), problem=problem)
        chosen[side] = by_number[value]
    first, second = chosen["a"], chosen["b"]
    try:
        found = views.compare(first.answers, second.answers, _policy(request), lang)
    except ArbitreError as exc:
        return _problem(request, assessment, exc)
    left_out = [(v.number, _overridden(store.overrides(assessment.id, v.number)))
                for v in dict.fromkeys((first, second))]
    return _page(request, "compare.html.j2", assessment=assessment, versions=versions, first=first, second=second,
                 found=found, left_out=[(n, flows) for n, flows in left_out if flows])


ROUTES = [
    Route("/a/{aid}/v/{n:version}", portfolio, methods=["GET"]),
    Route("/a/{aid}/v/{n:version}/flows/{fid}", flow, methods=["GET"]),
    Route("/a/{aid}/v/{n:version}/flows/{fid}/why-not/{option}", why_not, methods=["GET"]),
    Route("/a/{aid}/v/{n:version}/flows/{fid}/tipping", tipping, methods=["GET"]),
    Route("/a/{aid}/v/{n:version}/flows/{fid}/override", override, methods=["POST"]),
    Route("/a/{aid}/v/{n:version}/audit.json", audit_json, methods=["GET"]),
    Route("/a/{aid}/v/{n:version}/report.html", report_html, methods=["GET"]),
    Route("/a/{aid}/v/{n:version}/brief.md", brief_md, methods=["GET"]),
    Route("/a/{aid}/whatif", whatif, methods=["GET", "POST"]),
    Route("/a/{aid}/whatif/save", whatif_save, methods=["POST"]),
    Route("/a/{aid}/whatif/discard", whatif_discard, methods=["POST"]),
    Route("/a/{aid}/compare", compare, methods=["GET"]),
]
