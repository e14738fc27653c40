"""What every page module uses to answer a request: ``render`` a template, ``redirect`` after a form,
read the submitted ``form``, and the ``language`` a page is shown in.

Page modules (``web.assessments``, ``web.questionnaire``, ``web.results``) each export ``ROUTES``, a
list of Starlette routes that ``web.app`` mounts; their handlers are plain functions (run in a thread, since
the store's calls block) that end in ``render`` or ``redirect``, or raise ``HTTPException(404)`` for a page
that does not exist.

Templates live in ``web/templates`` and extend ``base.html.j2``. They run in Jinja2's sandbox with
autoescaping and ``StrictUndefined``: user text is escaped wherever it is shown. Every template gets
``lang`` (the page's language), ``t`` (the UI strings in that language, with its typography: French
narrow no-break spaces before ``: ; ? !``; ``t("key", field=value)``),
``csrf`` (the value of the hidden ``csrf`` field every form must carry; ``csrf_field()`` writes the field)
and ``request``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse


from . import i18n

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The longest name a person signs a version or an override with (characters).
MAX_AUTHOR = 100
_ASSESSMENT_PATH = re.compile(r"^/a/([^/]+)")


def _when(value: str) -> str:
    """An ISO time as a page shows it: ``2026-12-01 14:05`` (UTC, to the minute; a no-break space, so
    that the time does not wrap apart from its date)."""
    return value.replace("T", "\u00a0")[:16] if len(value) >= 16 else value


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = _when
    return env


ENV = _environment()


def csrf_token(request: Request) -> str:
    """The browser's CSRF secret, set by the app's guard on every request (empty outside the app)."""
    return str(getattr(request.state, "csrf", ""))


def language(request: Request) -> i18n.Lang:
    """The language of the page answering ``request``: the one a handler set (``request.state.lang``),
    else the assessment's in the path (``/a/{aid}/...``), else the browser's (``Accept-Language``)."""
    chosen = getattr(request.state, "lang", None)
    if chosen in i18n.LANGS:
        return i18n.language(chosen)
    match = _ASSESSMENT_PATH.match(request.url.path)
    store = getattr(request.app.state, "store", None) if "app" in request.scope else None
    if match and store is not None:
        try:
            found = store.assessment(match.group(1))
        except Exception:  # noqa: BLE001 - an error page must render even when the store fails
            found = None
        if found is not None:
            return i18n.language(found.lang)
    return i18n.accepted(request.headers.get("accept-language"))


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered as an HTML page with ``status``; ``lang`` in ``context`` overrides the page's language."""
    lang = i18n.language(context.pop("lang", None), language(request))
    csrf = csrf_token(request)

    def translate(key: str, **fields: Any) -> str:
        return i18n.t(key, lang, **fields)

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrf" value="{}">').format(escape(csrf))

    html = ENV.get_template(template).render(request=request, lang=lang, t=translate, csrf=csrf,
                                             csrf_field=csrf_field, **context)
    return HTMLResponse(html, status_code=status)


def redirect(url: str) -> RedirectResponse:
    """A ``303 See Other`` to ``url``: after a form is posted, the browser GETs the next page."""
    return RedirectResponse(url, status_code=303)


def form(request: Request) -> FormData:
    """The submitted form, parsed once by the app's guard within the size limit (its CSRF field
    checked); an empty form for a request without one. Synchronous, so that handlers can be plain
    functions, which Starlette runs in its thread pool (the store's calls then never block the server).
    An uploaded file is an ``UploadFile``: read ``.file`` (a spooled temporary file) synchronously."""
    parsed = getattr(request.state, "form", None)
    if isinstance(parsed, FormData):
        return parsed
    return FormData()


def error_page(request: Request, status: int, detail: str = "") -> HTMLResponse:
    """The page for an HTTP error ``status`` (404, 403, 413, 500...), in the page's language, never a traceback."""
    known = status if status in (400, 403, 404, 405, 413, 500) else (500 if status >= 500 else 400)
    return render(request, "error.html.j2", status=status, code=status, title_key=f"error_{known}_title",
                  text_key=f"error_{known}_text", detail=detail)


def form_text(value: Any, limit: int, *, one_line: bool = False) -> str:
    """A form's text field, control characters dropped (and, ``one_line``, its spaces collapsed), at most
    ``limit`` characters."""
    text = value if isinstance(value, str) else ""
    text = "".join(ch for ch in text if ch.isprintable() or ch in " \t\n")
    return (re.sub(r"\s+", " ", text) if one_line else text).strip()[:limit]
