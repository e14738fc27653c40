"""The web workspace's skeleton and assessment pages, through Starlette's test client: CSRF on every
form, the access token, the size limits, error pages in the page's language, escaping of user text, the
assessments list, creating an assessment, starting one from an uploaded answers file and its overview."""

from __future__ import annotations

import html
import re
import sys
import types
import warnings
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

with warnings.catch_warnings():  # starlette's test client names an alias anyio deprecates (anyio 4.12)
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

from conftest import EXAMPLES, ROOT, RULES, arbitre_in_process
from web import i18n
from web.app import CSRF_COOKIE, TOKEN_COOKIE, create_app
from web.store import Store

EXAMPLE = EXAMPLES / "acme-retail.yaml"
XSS = "<script>alert('x')</script>"


@pytest.fixture
def store(tmp_path: Path):
    """A fresh workspace file."""
    opened = Store.open(tmp_path / "workspace.db")
    yield opened
    opened.close()


@pytest.fixture
def client(store: Store):
    """A browser on the workspace, without a token."""
    with TestClient(create_app(store, policy_dir=RULES), raise_server_exceptions=False) as browser:
        yield browser


def csrf_of(page: str) -> str:
    """The hidden CSRF field's value in a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def fresh_csrf(client: TestClient) -> str:
    """The CSRF value of the home page's forms (which also sets the browser's CSRF cookie)."""
    return csrf_of(client.get("/").text)


def upload(client: TestClient, content: bytes, filename: str = "acme.yaml", **fields: str):
    """Post an answers file with the upload form."""
    data = {"csrf": fresh_csrf(client), "lang": "en", **fields}
    return client.post("/assessments/upload", data=data, files={"file": (filename, content, "application/yaml")},
                       follow_redirects=False)


class TestStrings:
    def test_every_key_has_both_languages(self) -> None:
        """Every UI string is written in English and in French, and none is empty."""
        for key, texts in i18n.messages().items():
            assert set(texts) == set(i18n.LANGS), key
            assert all(isinstance(text, str) and text.strip() for text in texts.values()), key

    def test_every_key_a_template_uses_exists(self) -> None:
        """Each t("key") written literally in a template of this lane names a key of messages.yaml."""
        keys = set(i18n.messages())
        for template in (ROOT / "web" / "templates").glob("*.html.j2"):
            for key in re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""", template.read_text(encoding="utf-8")):
                assert key in keys, f"{template.name}: {key}"

    @pytest.mark.parametrize(("header", "lang"), [
        pytest.param(None, "en", id="none"),
        pytest.param("fr-FR,fr;q=0.9,en;q=0.8", "fr", id="french-first"),
        pytest.param("de-DE,de;q=0.9,fr;q=0.5,en;q=0.4", "fr", id="french-before-english"),
        pytest.param("en;q=0.2,fr;q=0.9", "fr", id="by-weight"),
        pytest.param("de,it", "en", id="neither"),
        pytest.param("fr;q=0", "en", id="refused"),
        pytest.param("fr;q=abc", "en", id="bad-weight"),
    ])
    def test_browser_language(self, header: str | None, lang: str) -> None:
        """The browser's language is the first of English and French its Accept-Language asks for."""
        assert i18n.accepted(header) == lang


class TestLayout:
    def test_home_page(self, client: TestClient) -> None:
        """The home page is HTML in the browser's language, with our own style sheet and no outside resource."""
        page = client.get("/", headers={"accept-language": "fr"})
        assert page.status_code == 200
        assert '<html lang="fr">' in page.text
        assert "Nouvelle évaluation" in page.text
        assert '<meta name="viewport"' in page.text
        assert 'href="/static/app.css"' in page.text
        assert not re.search(r'(src|href)="(https?:)?//', page.text)

    def test_static_files(self, client: TestClient) -> None:
        """The style sheet and the script are served by the app itself."""
        assert client.get("/static/app.css").status_code == 200
        assert client.get("/static/app.js").status_code == 200

    def test_security_headers(self, client: TestClient) -> None:
        """Pages forbid outside scripts and framing, and content sniffing."""
        headers = client.get("/").headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


class TestCsrf:
    def test_cookie(self, client: TestClient) -> None:
        """The first page sets the browser's CSRF secret in an HttpOnly, SameSite=Lax cookie."""
        cookie = client.get("/").headers["set-cookie"]
        assert cookie.startswith(f"{CSRF_COOKIE}=")
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    def test_kept(self, client: TestClient) -> None:
        """The secret is set once and kept: each page's forms carry the same value."""
        first = fresh_csrf(client)
        again = client.get("/")
        assert "set-cookie" not in again.headers
        assert csrf_of(again.text) == first

    def test_good_form_accepted(self, client: TestClient, store: Store) -> None:
        """A form with the page's CSRF value is accepted."""
        answer = client.post("/assessments", data={"csrf": fresh_csrf(client), "name": "Acme", "lang": "en"},
                             follow_redirects=False)
        assert answer.status_code == 303
        assert [a.name for a in store.assessments()] == ["Acme"]

    @pytest.mark.parametrize("csrf", [None, "", "wrong-value-of-the-right-length-0123456789"], ids=["missing", "empty", "wrong"])
    def test_refused(self, client: TestClient, store: Store, csrf: str | None) -> None:
        """A form without the CSRF field or with a wrong one is refused with the 403 page, and nothing is stored."""
        fresh_csrf(client)
        data = {"name": "Acme", "lang": "en", **({"csrf": csrf} if csrf is not None else {})}
        answer = client.post("/assessments", data=data, headers={"accept-language": "fr"}, follow_redirects=False)
        assert answer.status_code == 403
        assert "Accès refusé" in answer.text and "code de sécurité" in answer.text
        assert store.assessments() == []

    def test_no_cookie(self, client: TestClient, store: Store) -> None:
        """A form posted by a browser that never got the secret (another site's page) is refused."""
        value = fresh_csrf(client)
        client.cookies.clear()
        answer = client.post("/assessments", data={"csrf": value, "name": "Acme", "lang": "en"})
        assert answer.status_code == 403
        assert store.assessments() == []

    def test_other_browsers_value(self, store: Store) -> None:
        """One browser's CSRF value does not work in another browser."""
        app = create_app(store, policy_dir=RULES)
        with TestClient(app) as one, TestClient(app) as two:
            value = fresh_csrf(one)
            fresh_csrf(two)
            assert two.post("/assessments", data={"csrf": value, "name": "Acme", "lang": "en"}).status_code == 403

    def test_a_form_open_across_a_restart_is_taken(self, tmp_path: Path) -> None:
        """The server restarts (a new process opens the same workspace) while a form is open: the form's
        value, signed with the workspace's own key, is still accepted; another workspace's is not."""
        path = tmp_path / "restarted.db"
        with Store.open(path) as before, TestClient(create_app(before, policy_dir=RULES)) as browser:
            value = fresh_csrf(browser)
            cookies = dict(browser.cookies)
        with Store.open(path) as after, TestClient(create_app(after, policy_dir=RULES), cookies=cookies) as browser:
            answer = browser.post("/assessments", data={"csrf": value, "name": "Acme", "lang": "en"},
                                  follow_redirects=False)
            assert answer.status_code == 303
            assert [a.name for a in after.assessments()] == ["Acme"]
        with Store.open(tmp_path / "other.db") as other, \
                TestClient(create_app(other, policy_dir=RULES), cookies=cookies) as browser:
            assert browser.post("/assessments", data={"csrf": value, "name": "Acme", "lang": "en"}).status_code == 403
            assert other.assessments() == []

    def test_upload_checked_too(self, client: TestClient, store: Store) -> None:
        """A multipart form (an upload) is checked as well."""
        fresh_csrf(client)
        answer = client.post("/assessments/upload", data={"lang": "en"},
                             files={"file": ("a.yaml", EXAMPLE.read_bytes(), "application/yaml")})
        assert answer.status_code == 403
        assert store.assessments() == []

    def test_other_body_needs_header(self, client: TestClient) -> None:
        """A body that is not a form carries the value in an X-CSRF-Token header."""
        value = fresh_csrf(client)
        assert client.post("/assessments", content=b"{}", headers={"content-type": "application/json"}).status_code == 403
        answer = client.post("/assessments", content=b"{}",
                             headers={"content-type": "application/json", "x-csrf-token": value})
        assert answer.status_code != 403


    @pytest.mark.parametrize("kind, body", [
        pytest.param("multipart/form-data", b"garbage", id="multipart-without-boundary"),
        pytest.param("multipart/form-data; boundary=xyz", b"garbage", id="multipart-without-parts"),
    ])
    def test_unreadable_form(self, client: TestClient, store: Store, kind: str, body: bytes) -> None:
        """A body that is not the form it claims to be is the 400 page, not an internal error."""
        fresh_csrf(client)
        answer = client.post("/assessments/upload", content=body, headers={"content-type": kind})
        assert answer.status_code == 400
        assert "Bad request" in answer.text
        assert store.assessments() == []


class TestToken:
    TOKEN = "s3cret-token-0123456789"

    @pytest.fixture
    def guarded(self, store: Store):
        with TestClient(create_app(store, policy_dir=RULES, token=self.TOKEN), raise_server_exceptions=False) as browser:
            yield browser

    @pytest.mark.parametrize("path", ["/", "/static/app.css", "/a/nothing", "/?token=wrong"])
    def test_required(self, guarded: TestClient, path: str) -> None:
        """Without the token every address is refused with the 403 page saying how to get in."""
        answer = guarded.get(path)
        assert answer.status_code == 403
        assert "access token" in answer.text

    def test_query_sets_cookie(self, guarded: TestClient) -> None:
        """?token= once sets an HttpOnly cookie and reloads the address without the token; the cookie then suffices."""
        answer = guarded.get(f"/?token={self.TOKEN}&x=1", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/?x=1"
        cookies = answer.headers.get_list("set-cookie")
        assert any(c.startswith(f"{TOKEN_COOKIE}=") and "HttpOnly" in c for c in cookies)
        assert guarded.get("/").status_code == 200

    def test_bearer(self, guarded: TestClient) -> None:
        """An Authorization: Bearer header with the token is accepted; a wrong one is not."""
        assert guarded.get("/", headers={"authorization": f"Bearer {self.TOKEN}"}).status_code == 200
        assert guarded.get("/", headers={"authorization": "Bearer nope"}).status_code == 403

    def test_refusal_tells_nothing(self, guarded: TestClient, store: Store) -> None:
        """Refused for want of the token, a page under an assessment is in the browser's language, the
        same as under one that does not exist: nothing is told about the assessments."""
        found = store.create_assessment("Acme", "fr")
        for path in (f"/a/{found.id}", "/a/nothing"):
            answer = guarded.get(path, headers={"accept-language": "en"})
            assert answer.status_code == 403 and '<html lang="en">' in answer.text

    def test_wrong_cookie(self, guarded: TestClient) -> None:
        """A cookie with another value does not let a request in."""
        guarded.cookies.set(TOKEN_COOKIE, "guess")
        assert guarded.get("/").status_code == 403

    def test_forms_need_token_and_csrf(self, guarded: TestClient, store: Store) -> None:
        """With the token, forms still need their CSRF value."""
        guarded.get(f"/?token={self.TOKEN}")
        assert guarded.post("/assessments", data={"name": "A", "lang": "en"}).status_code == 403
        value = fresh_csrf(guarded)
        assert guarded.post("/assessments", data={"csrf": value, "name": "A", "lang": "en"},
                            follow_redirects=False).status_code == 303


class TestHosts:
    def test_other_host_refused(self, store: Store) -> None:
        """With hosts given (the loopback server), a request naming another host is refused."""
        app = create_app(store, policy_dir=RULES, hosts=["127.0.0.1", "localhost"])
        with TestClient(app, base_url="http://127.0.0.1:8765") as browser:
            assert browser.get("/").status_code == 200
            assert browser.get("/", headers={"host": "localhost:8765"}).status_code == 200
            assert browser.get("/", headers={"host": "attacker.example:8765"}).status_code == 400


class TestLimits:
    def test_body_too_large(self, store: Store) -> None:
        """A form larger than the body limit gets the 413 page, and nothing is stored."""
        with TestClient(create_app(store, policy_dir=RULES, max_body=1000)) as browser:
            value = fresh_csrf(browser)
            answer = browser.post("/assessments", data={"csrf": value, "name": "x" * 2000, "lang": "en"})
            assert answer.status_code == 413
            assert "Too large" in answer.text
            assert store.assessments() == []

    def test_streamed_body_too_large(self, store: Store) -> None:
        """A body sent without a length is cut off at the limit as well."""
        with TestClient(create_app(store, policy_dir=RULES, max_body=1000)) as browser:
            value = fresh_csrf(browser)

            def chunks():
                yield f"csrf={value}&lang=en&name=".encode()
                for _ in range(10):
                    yield b"x" * 500

            answer = browser.post("/assessments", content=chunks(),
                                  headers={"content-type": "application/x-www-form-urlencoded"})
            assert answer.status_code == 413

    def test_upload_limit_is_separate(self, store: Store) -> None:
        """An upload may exceed the body limit, up to the upload limit."""
        with TestClient(create_app(store, policy_dir=RULES, max_body=1000, max_upload=200_000)) as browser:
            value = fresh_csrf(browser)
            fine = browser.post("/assessments/upload", data={"csrf": value, "lang": "en"},
                                files={"file": ("acme.yaml", EXAMPLE.read_bytes(), "application/yaml")},
                                follow_redirects=False)
            assert fine.status_code == 303
            big = browser.post("/assessments/upload", data={"csrf": value, "lang": "en"},
                               files={"file": ("big.yaml", b"#" * 300_000, "application/yaml")})
            assert big.status_code == 413
            assert len(store.assessments()) == 1


class TestErrorPages:
    def test_unknown_address(self, client: TestClient) -> None:
        """An unknown address is the 404 page in the browser's language."""
        answer = client.get("/nowhere", headers={"accept-language": "fr-CA"})
        assert answer.status_code == 404
        assert '<html lang="fr">' in answer.text and "Page introuvable" in answer.text

    def test_unknown_assessment(self, client: TestClient) -> None:
        """An unknown assessment is the 404 page."""
        answer = client.get("/a/doesnotexist")
        assert answer.status_code == 404
        assert "Page not found" in answer.text

    def test_in_the_assessments_language(self, client: TestClient, store: Store) -> None:
        """An error under an assessment is in the assessment's language, whatever the browser's."""
        found = store.create_assessment("Acme", "fr")
        answer = client.get(f"/a/{found.id}/v/9/answers.yaml", headers={"accept-language": "en"})
        assert answer.status_code == 404
        assert '<html lang="fr">' in answer.text

    def test_method_not_allowed(self, client: TestClient) -> None:
        """A GET on a form's address is a page too."""
        answer = client.get("/assessments")
        assert answer.status_code == 405
        assert "<html" in answer.text

    def test_internal_error(self, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
        """A failure inside a page is the 500 page, without the traceback, which goes to standard error."""
        def broken(request):
            raise RuntimeError("secret detail")

        module = types.ModuleType("broken_pages")
        module.ROUTES = [Route("/broken", broken), Route("/plain", lambda r: PlainTextResponse("ok"))]
        sys.modules["broken_pages"] = module
        try:
            app = create_app(store, policy_dir=RULES, modules=["web.assessments", "broken_pages"])
            with TestClient(app, raise_server_exceptions=False) as browser:
                assert browser.get("/plain").text == "ok"
                answer = browser.get("/broken", headers={"accept-language": "fr"})
        finally:
            del sys.modules["broken_pages"]
        assert answer.status_code == 500
        assert "Une erreur s’est produite" in answer.text
        assert "secret detail" not in answer.text and "Traceback" not in answer.text
        err = capsys.readouterr().err
        assert "Traceback" in err and "RuntimeError: secret detail" in err

    def test_missing_page_module_skipped(self, store: Store) -> None:
        """A page module not written yet is skipped; the others are mounted."""
        app = create_app(store, policy_dir=RULES, modules=["web.assessments", "web.not_written_yet"])
        with TestClient(app) as browser:
            assert browser.get("/").status_code == 200


class TestAssessments:
    def test_create(self, client: TestClient, store: Store) -> None:
        """Creating an assessment stores its name and language and opens its questionnaire."""
        answer = client.post("/assessments", data={"csrf": fresh_csrf(client), "name": "  Acme   retail ", "lang": "fr"},
                             follow_redirects=False)
        [created] = store.assessments()
        assert (created.name, created.lang) == ("Acme retail", "fr")
        assert answer.headers["location"] == f"/a/{created.id}/ask"

    @pytest.mark.parametrize(("data", "message"), [
        pytest.param({"name": "", "lang": "en"}, "Give the assessment a name.", id="no-name"),
        pytest.param({"name": "   ", "lang": "en"}, "Give the assessment a name.", id="blank-name"),
        pytest.param({"name": "Acme", "lang": "de"}, "Choose English or French.", id="bad-language"),
        pytest.param({"name": "Acme"}, "Choose English or French.", id="no-language"),
    ])
    def test_create_refused(self, client: TestClient, store: Store, data: dict[str, str], message: str) -> None:
        """A create form without a name or with another language is shown again with the message beside the field."""
        answer = client.post("/assessments", data={"csrf": fresh_csrf(client), **data})
        assert answer.status_code == 400
        assert f'class="field-error"' in answer.text and message in answer.text
        assert store.assessments() == []

    def test_list(self, client: TestClient, store: Store) -> None:
        """The list shows each assessment with its latest version and whether a questionnaire is in progress."""
        one = store.create_assessment("First", "en")
        store.add_version(one.id, EXAMPLE.read_text(encoding="utf-8"))
        store.add_version(one.id, EXAMPLE.read_text(encoding="utf-8"))
        two = store.create_assessment("Second", "fr")
        store.save_draft(two.id, "organisation: {}\n", {})
        items = re.findall(r"<li>(.*?)</li>", client.get("/").text, re.S)
        [first] = [item for item in items if "First" in item]
        [second] = [item for item in items if "Second" in item]
        assert "Version 2" in first and "questionnaire in progress" not in first
        assert "No finished version yet" in second and "questionnaire in progress" in second

    def test_names_escaped(self, client: TestClient, store: Store) -> None:
        """A name, an author and a note holding markup are shown as text, on the list and the overview."""
        found = store.create_assessment(XSS, "en")
        store.add_version(found.id, EXAMPLE.read_text(encoding="utf-8"), author=XSS, note=XSS)
        for path in ("/", f"/a/{found.id}"):
            page = client.get(path).text
            assert XSS not in page
            assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page

    def test_created_name_escaped(self, client: TestClient) -> None:
        """A name typed in the create form is escaped when the form comes back with a problem."""
        answer = client.post("/assessments", data={"csrf": fresh_csrf(client), "name": XSS, "lang": "xx"})
        assert XSS not in answer.text and "&lt;script&gt;" in answer.text


class TestUpload:
    def test_good_file(self, client: TestClient, store: Store) -> None:
        """A valid answers file becomes the first version of a new assessment named after the file."""
        answer = upload(client, EXAMPLE.read_bytes(), "acme-retail.yaml", author="Ana")
        assert answer.status_code == 303
        [created] = store.assessments()
        assert answer.headers["location"] == f"/a/{created.id}"
        assert created.name == "acme-retail"
        [version] = store.versions(created.id)
        assert version.answers == EXAMPLE.read_text(encoding="utf-8")
        assert version.author == "Ana" and "acme-retail.yaml" in version.note

    def test_named(self, client: TestClient, store: Store) -> None:
        """The name field, when given, names the assessment."""
        upload(client, EXAMPLE.read_bytes(), name="Workshop 1", lang="fr")
        [created] = store.assessments()
        assert (created.name, created.lang) == ("Workshop 1", "fr")

    @pytest.mark.parametrize("content", [
        pytest.param(b"organisation: {name: Acme}\nflows:\n  - id: a\n    channel: fax\n", id="invalid-answers"),
        pytest.param(b"flows: [\n", id="not-yaml"),
        pytest.param(b"a: 1\na: 2\n", id="duplicate-key"),
        pytest.param(b"\xff\xfe bad bytes", id="not-utf8"),
        pytest.param(b"", id="empty"),
        pytest.param(b"- a list\n", id="a-list"),
        pytest.param(b"x: !!python/object:os.system ls\n", id="python-tag"),
    ])
    def test_bad_file(self, client: TestClient, store: Store, tmp_path: Path, content: bytes) -> None:
        """A file the command line refuses is refused with the very problems the command line reports
        (file:line: field: message), and nothing is stored."""
        self.refused_as_the_command_line_refuses(client, store, tmp_path, content, "answers.yaml")

    @pytest.mark.parametrize("content", [
        pytest.param(b'{"organisation": {"name": "A", "name": "B"}, "flows": []}', id="duplicate-key"),
        pytest.param(b'{"organisation": {"name": "A"}, "flows": [NaN]}', id="nan"),
        pytest.param(b'{"organisation": {"name": "A"},\n "flows": [}', id="not-json"),
    ])
    def test_bad_json_file(self, client: TestClient, store: Store, tmp_path: Path, content: bytes) -> None:
        """A file named .json is read as JSON, as the command line reads it: its problems are the same."""
        self.refused_as_the_command_line_refuses(client, store, tmp_path, content, "answers.json")

    @staticmethod
    def refused_as_the_command_line_refuses(client: TestClient, store: Store, tmp_path: Path, content: bytes,
                                            name: str) -> None:
        answer = upload(client, content, name)
        assert answer.status_code == 400
        assert store.assessments() == []
        (tmp_path / name).write_bytes(content)
        cli = arbitre_in_process("recommend", name, cwd=tmp_path)
        assert cli.returncode == 2
        problems = [line.strip() for line in cli.stderr.splitlines()[1:] if line.startswith("  ")]
        assert problems, cli.stderr
        shown = re.findall(r"<li>(.*?)</li>", answer.text, re.S)
        assert [html.unescape(item.strip()) for item in shown] == problems

    def test_markup_in_file_escaped(self, client: TestClient, store: Store) -> None:
        """A problem quoting markup from the file (and a file name holding markup) shows it as text."""
        answer = upload(client, f"organisation: {{name: Acme}}\nflows:\n  - id: a\n    channel: \"{XSS}\"\n".encode(),
                        f"{XSS}.yaml")
        assert answer.status_code == 400
        assert "<script>" not in answer.text.split("</head>")[1].replace('<script src="/static/app.js" defer></script>', "")

    def test_too_large_names_the_limit_and_the_command_line(self) -> None:
        """A file over the workspace's upload limit (the limit of a file read whole) is refused with that
        limit and the way to run it anyway: the command line streams a large YAML file."""
        from engine.load import MAX_FILE_BYTES
        from web.assessments import _upload_problems

        _, problems, _ = _upload_problems("big.yaml", b"#" * (MAX_FILE_BYTES + 1))
        assert [str(p) for p in problems] == [
            f"big.yaml: is larger than {MAX_FILE_BYTES // 2**20} MB, the most the workspace takes in one answers "
            "file; split it into smaller files, or run arbitre recommend big.yaml on the command line, which reads "
            "a large file a flow at a time"]

    def test_no_file(self, client: TestClient, store: Store) -> None:
        """The upload form without a file says so beside the field."""
        answer = client.post("/assessments/upload", data={"csrf": fresh_csrf(client), "lang": "en"})
        assert answer.status_code == 400
        assert "Choose an answers file to upload." in answer.text


class TestOverview:
    def test_versions_and_downloads(self, client: TestClient, store: Store) -> None:
        """The overview lists the versions, newest first, with author, note and downloads, and the draft."""
        found = store.create_assessment("Acme", "en")
        store.add_version(found.id, EXAMPLE.read_text(encoding="utf-8"), author="Ana", note="first workshop")
        store.add_version(found.id, EXAMPLE.read_text(encoding="utf-8"), author="Bo", note="after review")
        store.save_draft(found.id, "organisation: {}\n", {})
        page = client.get(f"/a/{found.id}").text
        assert page.index("Version 2") < page.index("Version 1")
        for text in ("Ana", "first workshop", "Bo", "after review", "Continue the questionnaire"):
            assert text in page
        for n in (1, 2):
            for file in ("answers.yaml", "audit.json", "report.html", "brief.md"):
                assert f'href="/a/{found.id}/v/{n}/{file}"' in page

    def test_in_assessments_language(self, client: TestClient, store: Store) -> None:
        """The overview is in the assessment's language."""
        found = store.create_assessment("Acme", "fr")
        page = client.get(f"/a/{found.id}", headers={"accept-language": "en"}).text
        assert '<html lang="fr">' in page and "Commencer le questionnaire" in page

    def test_answers_download(self, client: TestClient, store: Store, tmp_path: Path) -> None:
        """A version's answers file downloads as stored, and the command line reads it."""
        found = store.create_assessment("Acme <Retail>", "en")
        store.add_version(found.id, EXAMPLE.read_text(encoding="utf-8"))
        answer = client.get(f"/a/{found.id}/v/1/answers.yaml")
        assert answer.status_code == 200
        assert answer.headers["content-disposition"] == 'attachment; filename="acme-retail-v1.yaml"'
        (tmp_path / "down.yaml").write_bytes(answer.content)
        assert arbitre_in_process("recommend", tmp_path / "down.yaml").returncode == 0

    @pytest.mark.parametrize("n", ["2", "0", "x", "-1"])
    def test_unknown_version(self, client: TestClient, store: Store, n: str) -> None:
        """A version that does not exist is the 404 page."""
        found = store.create_assessment("Acme", "en")
        store.add_version(found.id, EXAMPLE.read_text(encoding="utf-8"))
        assert client.get(f"/a/{found.id}/v/{n}/answers.yaml").status_code == 404


class TestNeighbourCookies:
    """Cookies are shared by every port of a host: other local programs' cookies come along with ours."""

    @pytest.mark.parametrize("neighbour", ['other={"a":1}', "other=a b", 'other="unclosed', "other=x;;; =y"],
                             ids=["json", "space", "stray-quote", "empty-parts"])
    def test_a_badly_formed_cookie_does_not_block_forms(self, client: TestClient, store: Store,
                                                        neighbour: str) -> None:
        """A cookie the standard library's strict parser refuses, sent before ours, does not hide ours:
        the form is accepted."""
        value = fresh_csrf(client)
        client.cookies.clear()
        answer = client.post("/assessments", data={"csrf": value, "name": "Acme", "lang": "en"},
                             headers={"cookie": f"{neighbour}; {CSRF_COOKIE}={value}"}, follow_redirects=False)
        assert answer.status_code == 303
        assert [a.name for a in store.assessments()] == ["Acme"]

    def test_nor_the_token(self, store: Store) -> None:
        """In token mode, the token's cookie is read past a badly formed neighbour too."""
        token = "s3cret-token-0123456789"
        with TestClient(create_app(store, policy_dir=RULES, token=token)) as browser:
            answer = browser.get("/", headers={"cookie": f'other={{"a":1}}; {TOKEN_COOKIE}={token}'})
            assert answer.status_code == 200


class TestOrigin:
    """A form posted from another server's page is refused, whatever cookie it carries."""

    @pytest.mark.parametrize("headers", [
        {"origin": "http://evil.example"},
        {"origin": "http://testserver:8080"},  # another port of the same host: same-site, not same-origin
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ], ids=["other-site", "other-port", "null", "cross-site", "same-site"])
    def test_refused(self, client: TestClient, store: Store, headers: dict[str, str]) -> None:
        value = fresh_csrf(client)
        answer = client.post("/assessments", data={"csrf": value, "name": "Acme", "lang": "en"}, headers=headers,
                             follow_redirects=False)
        assert answer.status_code == 403
        assert "another site" in answer.text
        assert store.assessments() == []

    @pytest.mark.parametrize("headers", [
        {"origin": "http://testserver"},
        {"origin": "http://testserver:80"},
        {"sec-fetch-site": "same-origin", "origin": "http://testserver"},
        {"sec-fetch-site": "none"},
    ], ids=["same", "default-port", "same-origin", "typed"])
    def test_own_pages_accepted(self, client: TestClient, store: Store, headers: dict[str, str]) -> None:
        value = fresh_csrf(client)
        answer = client.post("/assessments", data={"csrf": value, "name": "Acme", "lang": "en"}, headers=headers,
                             follow_redirects=False)
        assert answer.status_code == 303

    def test_planted_cookie_refused(self, client: TestClient, store: Store) -> None:
        """A CSRF cookie the workspace did not sign (planted by another program or page) is not accepted,
        even when the form carries the same value: the browser is given a signed one instead."""
        planted = "A" * 43
        client.cookies.set(CSRF_COOKIE, planted)
        answer = client.post("/assessments", data={"csrf": planted, "name": "Acme", "lang": "en"},
                             follow_redirects=False)
        assert answer.status_code == 403
        assert store.assessments() == []
        assert planted not in answer.headers["set-cookie"]

    def test_other_servers_signature_refused(self, store: Store) -> None:
        """A value signed by another workspace process (another secret) is not this one's."""
        with TestClient(create_app(store, policy_dir=RULES, csrf_secret=b"one" * 11)) as one:
            value = fresh_csrf(one)
        with TestClient(create_app(store, policy_dir=RULES, csrf_secret=b"two" * 11)) as two:
            two.cookies.set(CSRF_COOKIE, value)
            answer = two.post("/assessments", data={"csrf": value, "name": "Acme", "lang": "en"})
            assert answer.status_code == 403


class TestCutOff:
    """A body that does not all arrive never reaches a page: half a form is not carried out."""

    @staticmethod
    def served(store: Store, **options: Any) -> tuple[Any, str]:
        """The workspace's app over ``store`` and the CSRF value a browser got from its home page."""
        app = create_app(store, policy_dir=RULES, **options)
        with TestClient(app) as browser:
            return app, fresh_csrf(browser)

    @staticmethod
    def scope(cookie: str, length: int | None = None) -> dict[str, Any]:
        """The ASGI scope of a POST /assessments form with ``cookie`` (and a Content-Length when given)."""
        length_header = [] if length is None else [(b"content-length", str(length).encode())]
        return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                "scheme": "http", "path": "/assessments", "raw_path": b"/assessments", "root_path": "",
                "query_string": b"", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
                "headers": [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded"),
                            *length_header, (b"cookie", cookie.encode())]}

    @staticmethod
    def call(app: Any, body_parts: list[bytes], length: int, cookie: str, ends: bool = False) -> list[dict[str, Any]]:
        """``app`` called as the server calls it for a POST /assessments whose body arrives in ``body_parts``,
        then the client disconnects (or, with ``ends``, the last part ends the body)."""
        import anyio

        scope = TestCutOff.scope(cookie, length)
        messages: list[dict[str, Any]] = [{"type": "http.request", "body": part,
                                           "more_body": not (ends and i == len(body_parts) - 1)}
                                          for i, part in enumerate(body_parts)]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        anyio.run(app, scope, receive, send)
        return sent

    def test_disconnect_mid_body(self, store: Store) -> None:
        """The client gone halfway through the form: nothing is created."""
        app, value = self.served(store)
        body = f"csrf={value}&lang=en&name=Truncated-by-network-".encode()
        self.call(app, [body], 5000, f"{CSRF_COOKIE}={value}")
        assert store.assessments() == []

    def test_shorter_than_announced(self, store: Store) -> None:
        """A body that ends short of its Content-Length is refused with the 400 page; nothing is created."""
        app = create_app(store, policy_dir=RULES)
        with TestClient(app) as browser:
            value = fresh_csrf(browser)
            body = f"csrf={value}&lang=en&name=Truncated".encode()
            answer = browser.post("/assessments", content=body, follow_redirects=False,
                                  headers={"content-type": "application/x-www-form-urlencoded",
                                           "content-length": str(len(body) + 100)})
        assert answer.status_code == 400
        assert "did not arrive whole" in answer.text
        assert store.assessments() == []

    def test_a_stalled_body_is_dropped(self, store: Store) -> None:
        """A client that stops sending its form (a slow or hostile one) does not hold the request: after
        the body timeout it is dropped, and nothing is created."""
        import anyio

        app, value = self.served(store, body_timeout=0.05)
        body = f"csrf={value}&lang=en&name=Stalled".encode()
        scope = self.scope(f"{CSRF_COOKIE}={value}")
        first = [{"type": "http.request", "body": body, "more_body": True}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if first:
                return first.pop()
            await anyio.sleep_forever()
            raise AssertionError

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        anyio.run(app, scope, receive, send)
        assert sent[0]["status"] == 400
        assert store.assessments() == []

    def test_whole_body_accepted(self, store: Store) -> None:
        """The same form, all of it sent, is carried out (the test's harness is sound)."""
        app, value = self.served(store)
        body = f"csrf={value}&lang=en&name=Whole".encode()
        sent = self.call(app, [body[:10], body[10:]], len(body), f"{CSRF_COOKIE}={value}", ends=True)
        assert sent[0]["status"] == 303
        assert [a.name for a in store.assessments()] == ["Whole"]


class TestVersionNumbers:
    @pytest.mark.parametrize("n", ["99999999999999999999", str(2**63), "9" * 4301, "%D9%A1", "%201", "1%20", "+1",
                                   "1.0"])
    @pytest.mark.parametrize("tail", ["", "/answers.yaml", "/audit.json", "/flows/x"])
    def test_not_a_version_is_404(self, client: TestClient, store: Store, n: str, tail: str) -> None:
        """A version number that is not plain digits the store can hold is the 404 page, never a 500 nor
        version 1 read another way (Arabic-Indic digit one, a space before it)."""
        found = store.create_assessment("Acme", "en")
        store.add_version(found.id, EXAMPLE.read_text(encoding="utf-8"))
        answer = client.get(f"/a/{found.id}/v/{n}{tail}")
        assert answer.status_code == 404
        assert "Page not found" in answer.text

    def test_largest_is_just_absent(self, client: TestClient, store: Store) -> None:
        found = store.create_assessment("Acme", "en")
        assert client.get(f"/a/{found.id}/v/{2**63 - 1}/answers.yaml").status_code == 404


class TestCaching:
    def test_pages_and_downloads_not_stored(self, client: TestClient, store: Store) -> None:
        """Pages and downloads hold answers: no cache keeps them; the style sheet may be cached."""
        found = store.create_assessment("Acme", "en")
        store.add_version(found.id, EXAMPLE.read_text(encoding="utf-8"))
        for path in ("/", f"/a/{found.id}", f"/a/{found.id}/v/1/answers.yaml", "/nowhere"):
            assert client.get(path).headers["cache-control"] == "no-store", path
        assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")


class TestUploadOnlyWhereExpected:
    def test_multipart_elsewhere_held_to_the_body_limit(self, store: Store) -> None:
        """A multipart body sent to another address than the upload form's gets the small limit."""
        with TestClient(create_app(store, policy_dir=RULES, max_body=1000, max_upload=200_000)) as browser:
            value = fresh_csrf(browser)
            answer = browser.post("/assessments", data={"csrf": value, "lang": "en", "name": "x"},
                                  files={"file": ("big.yaml", b"#" * 50_000, "application/yaml")})
            assert answer.status_code == 413
            assert store.assessments() == []


class TestFrenchTypography:
    def test_downloads_heading(self, client: TestClient, store: Store) -> None:
        """The overview's downloads read « Téléchargements : » with the narrow no-break space French puts
        before a colon, and "Downloads:" in English."""
        for lang, label in (("fr", "Téléchargements\u202f:"), ("en", "Downloads:")):
            found = store.create_assessment("Acme", lang)
            store.add_version(found.id, EXAMPLE.read_text(encoding="utf-8"))
            page = html.unescape(client.get(f"/a/{found.id}").text)
            assert f'<span class="muted">{label}</span>' in page

    def test_every_french_string_typeset(self, client: TestClient) -> None:
        """The pages' own French words get French typography: no plain space before : ; ? !."""
        page = client.get("/", headers={"accept-language": "fr"}).text
        assert "Arbitre\u202f: quels flux" in page
        assert not re.search(r"\w [:;?!](\s|<)", page.split("<body>")[1])

    def test_words_said_by_the_code_typeset_too(self) -> None:
        """A message the pages' Python code words itself (not a template), such as a refused override's, is
        set with French typography as the templates' words are, and a field filled in is left as typed."""
        texts = {key: i18n.t(key, "fr", **dict.fromkeys(names, "a : b"))
                 for key, names in ((key, re.findall(r"{(\w+)}", texts["fr"])) for key, texts in i18n.messages().items())}
        assert not any(re.search(r"\w [;?!]", text.replace("a : b", "")) for text in texts.values())
        assert any("\u202f:" in text for text in texts.values()) and all(
            "a : b" in text for key, text in texts.items() if "{" in i18n.messages()[key]["fr"])
