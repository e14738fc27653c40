"""The assessment-level pages: the list of assessments (``/``), creating one, starting one from an
uploaded answers file, an assessment's overview (``/a/{aid}``) and the answers file of each version.

An uploaded file is read as the command line reads an answers file (the same safe YAML loader, the same
validation, the same size limit) and refused with the same ``file:line: field: message`` problems; nothing
is stored unless it is valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.answers import MAX_FLOWS, validate_estimates
from engine.errors import AnswersError, Problem
from engine.load import MAX_FILE_BYTES, DocumentError, parse_bytes
from engine.problems import line as problem_line
from engine.problems import phrase, problem, say, text

from . import i18n
from .context import assessment as _assessment
from .context import store as _store
from .pages import MAX_AUTHOR, form, form_text, redirect, render
from .store import Assessment, Draft, Store, Version

MAX_NAME = 200
MAX_NOTE = 500


@dataclass(frozen=True)
class Row:
    """An assessment as the list shows it."""

    assessment: Assessment
    latest: Version | None
    draft: Draft | None


def _rows(store: Store) -> list[Row]:
    rows = []
    for found in store.assessments():
        versions = store.versions(found.id)
        rows.append(Row(found, versions[-1] if versions else None, store.draft(found.id)))
    return rows


def _home(request: Request, status: int = 200, **context: Any) -> Response:
    defaults: dict[str, Any] = {"errors": {}, "values": {}, "problems": [], "problems_title": ""}
    return render(request, "home.html.j2", status=status, rows=_rows(_store(request)), langs=i18n.LANGS,
                  **{**defaults, **context})


def home(request: Request) -> Response:
    """The list of assessments, with the forms to create one or start from an answers file."""
    return _home(request)


def create(request: Request) -> Response:
    """Create an assessment from its name and language, then open its questionnaire."""
    data = form(request)
    page_lang = i18n.accepted(request.headers.get("accept-language"))
    name = form_text(data.get("name"), MAX_NAME, one_line=True)
    lang = data.get("lang")
    errors = {}
    if not name:
        errors["name"] = i18n.t("name_required", page_lang)
    if lang not in i18n.LANGS:
        errors["lang"] = i18n.t("lang_invalid", page_lang)
    if errors:
        return _home(request, 400, errors=errors, values={"name": name, "lang": lang})
    created = _store(request).create_assessment(name, str(lang))
    return redirect(f"/a/{created.id}/ask")


def _upload_problems(name: str, raw: bytes, lang: str = "en") -> tuple[str, list[Problem], str]:
    """Whether ``raw`` (a file named ``name``) is an answers file the command line accepts: the heading (in
    ``lang``, as ``arbitre --lang`` words it) and problems it would report (none when valid), and the text."""
    what = "what.answers_file"
    unreadable = say(phrase("answers.unreadable", source=name), lang)
    if len(raw) > MAX_FILE_BYTES:
        return unreadable, [problem(name, None, "", "upload.too_large", most=str(MAX_FILE_BYTES // 2**20),
                                    name=name)], ""
    try:  # read as the command line reads a file of that name
        doc = parse_bytes(raw, name, json=name.lower().endswith(".json"), what=what, max_items=MAX_FLOWS)
    except DocumentError as exc:
        return unreadable, [exc.problem], ""
    answers = raw.decode("utf-8-sig")
    try:
        validate_estimates(doc)
    except AnswersError as exc:
        return text(exc, lang), list(exc.problems), answers
    return "", [], answers


def _file_name(upload: UploadFile) -> str:
    """The uploaded file's own name (no folder), as messages show it."""
    base = re.split(r"[\\/]", upload.filename or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable())[:MAX_NAME]
    return base or "answers.yaml"


def upload(request: Request) -> Response:
    """Start an assessment from an uploaded answers file: stored as its first version when valid; its
    problems listed as the command line words them when not (nothing stored)."""
    data = form(request)
    page_lang = i18n.accepted(request.headers.get("accept-language"))
    file = data.get("file")
    lang = data.get("lang")
    label = form_text(data.get("name"), MAX_NAME, one_line=True)
    author = form_text(data.get("author"), MAX_AUTHOR, one_line=True)
    values = {"upload_name": label, "upload_lang": lang, "author": author}
    errors = {}
    if not isinstance(file, UploadFile) or not file.filename:
        errors["file"] = i18n.t("file_required", page_lang)
    if lang not in i18n.LANGS:
        errors["upload_lang"] = i18n.t("lang_invalid", page_lang)
    if errors or not isinstance(file, UploadFile):
        return _home(request, 400, errors=errors, values=values)
    name = _file_name(file)
    raw = file.file.read(MAX_FILE_BYTES + 1)
    title, problems, text = _upload_problems(name, raw, page_lang)
    if problems:
        # each problem as the command line words it in the page's language
        return _home(request, 400, values=values, problems=[problem_line(p, page_lang) for p in problems],
                     problems_title=title)
    store = _store(request)
    label = label or re.sub(r"\.(ya?ml|json)$", "", name, flags=re.IGNORECASE) or name
    created = store.create_assessment(label, str(lang), answers=text, author=author,
                                      note=i18n.t("uploaded_note", str(lang), file=name))
    return redirect(f"/a/{created.id}")


def overview(request: Request) -> Response:
    """An assessment: its versions (author, note, time, downloads), its draft, where to go next."""
    found = _assessment(request)
    store = _store(request)
    versions = list(reversed(store.versions(found.id)))
    return render(request, "overview.html.j2", assessment=found, versions=versions, draft=store.draft(found.id))


def answers_file(request: Request) -> Response:
    """The answers file of one version, as the command line reads it (a download)."""
    found = _assessment(request)
    number: int = request.path_params["n"]  # plain ASCII digits (the route's int); any size: the store answers
    version = _store(request).version(found.id, number)
    if version is None:
        raise HTTPException(404)
    filename = f"{_slug(found.name)}-v{number}.yaml"
    return Response(version.answers, media_type="application/yaml; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def _slug(name: str) -> str:
    """A file-name-safe form of an assessment's name (ASCII letters, digits and dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "assessment"


ROUTES = [
    Route("/", home, methods=["GET"]),
    Route("/assessments", create, methods=["POST"]),
    Route("/assessments/upload", upload, methods=["POST"]),
    Route("/a/{aid}", overview, methods=["GET"]),
    Route("/a/{aid}/v/{n:version}/answers.yaml", answers_file, methods=["GET"]),
]
