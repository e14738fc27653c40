"""The workspace's web application: ``create_app`` assembles the page modules' routes behind one guard.

Page modules are plugged in by name: each module of ``PAGE_MODULES`` that exists exports ``ROUTES``
(a list of Starlette routes), mounted in that order. A page module reads what it needs from
``request.app.state``: ``store`` (the SQLite store), ``policy_dir``.

The guard (``_Guard``) stands in front of every route, the static files too:

- the host: with ``hosts`` given, a request naming another host is refused (a page on another site
  cannot reach the loopback server through a rebound DNS name);
- the token: with ``token`` set, a request carries it as ``?token=`` (once: it sets an HttpOnly cookie and
  the address is reloaded without it), the cookie, or ``Authorization: Bearer``; compared in constant time;
- the size: a body larger than ``max_body`` is refused with a 413 page (a file upload to
  ``/assessments/upload`` may be as large as ``max_upload``: what the command line reads in one answers
  file); a body cut off (the client gone, or fewer bytes than its ``Content-Length``, or none for
  ``body_timeout`` seconds) never reaches a page: half a form is not carried out;
- the origin: a POST, PUT, PATCH or DELETE sent from a page of another origin (its ``Origin`` header names
  another server, or ``Sec-Fetch-Site`` says ``cross-site`` or ``same-site``) is refused with 403: a page
  served on another port of this machine is same-site, not same-origin;
- CSRF: each browser gets a random value in an HttpOnly, SameSite=Lax cookie, signed with the app's secret
  (HMAC-SHA256; the workspace's own secret, kept in its file, unless ``csrf_secret`` is given: a form left
  open while the server restarted is still taken), so a cookie
  the workspace did not issue (one planted by another program or page) is replaced, never accepted;
  every unsafe request carries the value back in the form's hidden ``csrf`` field (or an ``X-CSRF-Token``
  header), else 403.

A version's address (``/a/{aid}/v/{n}/...``) takes plain ASCII digits only, at most 19 of them (the routes'
``version``, ``web.context``); a number no version has is the 404 page (``Store.version``).

Every response but the static files carries ``Cache-Control: no-store``: pages and downloads hold answers.

The guard parses a form once (``pages.form`` hands it to the handler) and replays the body, so that
``request.form()`` works too. Errors are pages in the page's language: 404, 403, 405, 413, and 500, whose
traceback goes to standard error, never to the browser.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import importlib
import secrets
import sys
import traceback
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlencode, parse_qsl, urlsplit

from starlette.applications import Starlette
from starlette.datastructures import FormData, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request, cookie_parser
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.load import MAX_FILE_BYTES

from . import i18n, pages
from .context import Rules
from .store import Store

STATIC = Path(__file__).resolve().parent / "static"

# The modules whose ROUTES make the workspace, in the order they are matched; one not written yet is skipped.
PAGE_MODULES = ("web.assessments", "web.questionnaire", "web.results")

MAX_BODY = 2 * 2**20
# An upload is an answers file and the form around it: the file may be as large as the command line reads.
MAX_UPLOAD = MAX_FILE_BYTES + 64 * 2**10
# The one address that takes an upload; every other form is held to MAX_BODY.
UPLOAD_PATH = "/assessments/upload"
# A client that sends nothing of its body for this long is cut off (seconds).
BODY_TIMEOUT = 60.0

CSRF_COOKIE = "arbitre_csrf"
TOKEN_COOKIE = "arbitre_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# Our own files only: no script or style from elsewhere, no framing, forms post to us.
SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def page_routes(modules: Iterable[str] = PAGE_MODULES) -> list[BaseRoute]:
    """The ``ROUTES`` of each page module in ``modules`` that exists (one missing is skipped; an error
    inside one that exists is raised)."""
    routes: list[BaseRoute] = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        routes.extend(module.ROUTES)
    return routes


def create_app(store: Store, *, policy_dir: Path, token: str | None = None, max_body: int = MAX_BODY,
               max_upload: int = MAX_UPLOAD, hosts: Iterable[str] | None = None,
               modules: Iterable[str] = PAGE_MODULES, csrf_secret: bytes | None = None,
               body_timeout: float = BODY_TIMEOUT, rules: Rules | None = None) -> Starlette:
    """The workspace over ``store`` with the policy in ``policy_dir`` (``rules``: that policy and its
    questions, when the caller has read them already; else read on the first page that needs them).

    ``token``: required on every request when set. ``hosts``: the host names requests may name (any when
    ``None``). ``max_body`` / ``max_upload``: the largest body of a request / of a file upload, in bytes.
    ``csrf_secret``: the key the CSRF cookies are signed with (the workspace's own, ``store.secret``, when ``None``).
    ``body_timeout``: how long a request's body may pause, in seconds, before the request is dropped.
    """
    routes = [*page_routes(modules), Mount("/static", app=StaticFiles(directory=STATIC), name="static")]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.state.store = store
    app.state.policy_dir = policy_dir
    if rules is not None:
        app.state.rules = rules
    app.add_middleware(_Guard, token=token, max_body=max_body, max_upload=max_upload,
                       hosts=None if hosts is None else frozenset(h.lower() for h in hosts),
                       secret=csrf_secret if csrf_secret is not None else store.secret("csrf"),
                       body_timeout=body_timeout)
    app.add_middleware(_Errors)
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    """An HTTP error raised by a route or the router (404, 405...) as its page."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    response = pages.error_page(request, status)
    if isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)
    return response


class _TooLarge(Exception):
    """The request's body is over its limit."""


class _CutOff(Exception):
    """The request's body did not all arrive: the client left, sent less than it announced, or stalled."""


def _cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies, read leniently (as browsers send them): a cookie another program set on
    this host in a form the standard library's strict parser refuses (JSON, spaces, a stray quote) is
    read as it comes and does not hide the cookies after it."""
    headers = [value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"cookie"]
    return cookie_parser("; ".join(headers)) if headers else {}


def _signature(secret: bytes, nonce: str) -> str:
    digest = hmac.new(secret, nonce.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def new_csrf(secret: bytes) -> str:
    """A new CSRF value: a random part and its signature with ``secret``."""
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_signature(secret, nonce)}"


def issued(value: str | None, secret: bytes) -> bool:
    """Whether ``value`` is a CSRF value signed with ``secret`` (one this app issued)."""
    if not value or len(value) > 200 or value.count(".") != 1:
        return False
    nonce, signature = value.split(".")
    if not nonce.isascii() or not signature.isascii():
        return False
    return hmac.compare_digest(signature.encode("ascii"), _signature(secret, nonce).encode("ascii"))


def _authority(value: str, default_port: int) -> tuple[str, int] | None:
    """``host:port`` as (lower-case host, port), the port ``default_port`` when it is not written."""
    try:
        parts = urlsplit(f"//{value.strip()}")
        return (parts.hostname or "", parts.port if parts.port is not None else default_port)
    except ValueError:
        return None


def _same_origin(request: Request) -> bool:
    """Whether an unsafe request comes from a page of this server: its ``Origin`` (when the browser sends
    one) names the host the request was sent to, and ``Sec-Fetch-Site`` (when sent) does not say the
    page was on another site or another origin of this site (another port of this machine)."""
    site = request.headers.get("sec-fetch-site", "").strip().lower()
    if site in ("cross-site", "same-site"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False  # "null" (a sandboxed page, a file), or something else
    default_port = 443 if parts.scheme == "https" else 80
    return _authority(request.headers.get("host", ""), default_port) == \
        (parts.hostname, port if port is not None else default_port)


def _route_path(scope: Scope) -> str:
    """The path the routes see (without the app's ``root_path``)."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
    return path[len(root):] if root and path.startswith(root) else path


def _same(given: str | None, expected: str) -> bool:
    """Whether ``given`` is ``expected``, compared in constant time."""
    return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def _host_name(host: str) -> str:
    """The name in a ``Host`` header, without its port: ``127.0.0.1``, ``localhost``, ``[::1]``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cookie(name: str, value: str) -> str:
    return f"{name}={value}; Path=/; HttpOnly; SameSite=Lax"


class _Guard:
    """Host, token, size and CSRF checks in front of every route (see the module's documentation)."""

    def __init__(self, app: ASGIApp, token: str | None, max_body: int, max_upload: int,
                 hosts: frozenset[str] | None, secret: bytes, body_timeout: float) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body
        self.max_upload = max_upload
        self.hosts = hosts
        self.secret = secret
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookies = _cookies(scope)
        known = cookies.get(CSRF_COOKIE, "")
        fresh = not issued(known, self.secret)
        csrf = new_csrf(self.secret) if fresh else known
        scope.setdefault("state", {})["csrf"] = csrf
        extra: list[tuple[bytes, bytes]] = []
        if fresh:
            extra.append((b"set-cookie", _cookie(CSRF_COOKIE, csrf).encode()))
        path = _route_path(scope)
        send = _with_headers(send, extra, cache=not path.startswith("/static/"))

        if self.hosts is not None and _host_name(request.headers.get("host", "")) not in self.hosts:
            await self._refuse(scope, send, 400, "detail_host", let_in=False)
            return
        if self.token is not None:
            query = request.query_params.get("token")
            bearer = request.headers.get("authorization", "")
            if _same(query, self.token):
                extra.append((b"set-cookie", _cookie(TOKEN_COOKIE, self.token).encode()))
                if scope["method"] in ("GET", "HEAD"):
                    rest = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                                         keep_blank_values=True) if k != "token"]
                    target = scope.get("root_path", "") + scope["path"] + (f"?{urlencode(rest)}" if rest else "")
                    await RedirectResponse(target, status_code=303)(scope, receive, send)
                    return
            elif not (_same(cookies.get(TOKEN_COOKIE), self.token)
                      or (bearer[:7].lower() == "bearer " and _same(bearer[7:].strip(), self.token))):
                await self._refuse(scope, send, 403, "detail_token", let_in=False)
                return

        if scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        if not _same_origin(request):
            await self._refuse(scope, send, 403, "detail_origin")
            return
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        limit = self.max_upload if kind == "multipart/form-data" and path == UPLOAD_PATH else self.max_body
        try:
            body = await _read_body(request, receive, limit, self.body_timeout)
        except _TooLarge:
            await self._refuse(scope, send, 413, "")
            return
        except _CutOff:  # half a form is not carried out; the client, if still there, is told
            await self._refuse(scope, send, 400, "detail_cut_off")
            return
        replay = _replay(body)
        form = FormData()
        if kind in FORM_TYPES:
            try:
                form = await Request(scope, replay()).form(max_part_size=limit)
            except (HTTPException, ValueError):  # a body that is not the form it says it is
                await self._refuse(scope, send, 400, "")
                return
        given = form.get("csrf") if kind in FORM_TYPES else request.headers.get("x-csrf-token")
        if fresh or not _same(given if isinstance(given, str) else None, csrf):
            await form.close()
            await self._refuse(scope, send, 403, "detail_csrf")
            return
        scope["state"]["form"] = form
        try:
            await self.app(scope, replay(), send)
        finally:
            await form.close()

    async def _refuse(self, scope: Scope, send: Send, status: int, detail_key: str, let_in: bool = True) -> None:
        """The error page for a refused request; for one not let in (no token, another host), in the
        browser's language: the page does not tell whether an assessment exists."""
        request = Request(scope)
        lang = pages.language(request) if let_in else i18n.accepted(request.headers.get("accept-language"))
        request.state.lang = lang
        response = pages.error_page(request, status, i18n.t(detail_key, lang) if detail_key else "")
        await response(scope, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


async def _read_body(request: Request, receive: Receive, limit: int, timeout: float) -> bytes:
    """The request's whole body, refused (``_TooLarge``) as soon as it is known to exceed ``limit`` bytes;
    ``_CutOff`` when it does not all arrive: the client disconnects first, the body ends short of its
    ``Content-Length``, or nothing comes for ``timeout`` seconds."""
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        try:
            message = await asyncio.wait_for(receive(), timeout)
        except asyncio.TimeoutError:
            raise _CutOff from None
        if message["type"] == "http.disconnect":
            raise _CutOff
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        more = message.get("more_body", False)
    if declared.isdigit() and size != int(declared):
        raise _CutOff
    return b"".join(chunks)


def _replay(body: bytes) -> Any:
    """A factory of ``receive`` callables that each give ``body`` once, then a disconnect."""
    def make() -> Receive:
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return receive
    return make


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]], cache: bool = True) -> Send:
    """``send`` adding the guard's cookies (``extra``, read when the response starts) and the security headers;
    with ``cache``, ``Cache-Control: no-store`` too (a page or a download holding answers)."""
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                if name not in headers:
                    headers[name] = value
            if cache and "cache-control" not in headers:
                headers["cache-control"] = "no-store"
            for name_bytes, value_bytes in extra:
                headers.append(name_bytes.decode(), value_bytes.decode())
        await send(message)
    return sending


class _Errors:
    """Every failure as a page: an HTTP error as its page, any other exception as the 500 page, its
    traceback written to standard error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:  # too late for a page: the server closes the connection
                raise
            request = Request(scope)
            if isinstance(exc, HTTPException):
                response: Response = pages.error_page(request, exc.status_code)
                if exc.headers:
                    response.headers.update(exc.headers)
            else:
                sys.stderr.write(f"error: {request.method} {request.url.path}\n")
                traceback.print_exception(exc, file=sys.stderr)
                sys.stderr.flush()
                try:
                    response = pages.error_page(request, 500)
                except Exception:  # noqa: BLE001 - the page itself failed: a plain one
                    response = Response("500 Internal Server Error", status_code=500, media_type="text/plain")
            await response(scope, receive, _with_headers(send, []))
