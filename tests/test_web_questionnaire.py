"""The questionnaire's pages through Starlette's test client: the real bank, policy and store.

The pages drive the same conversation as ``arbitre ask``: a whole questionnaire answered through the forms
gives the answers file the terminal gives for the same typed lines; a refused value shows the terminal's
message beside its field; back works; a new app over the same database file goes on at the same question.
"""

from __future__ import annotations

import html
import re
import warnings
from pathlib import Path
from typing import Any, Iterator

import pytest

with warnings.catch_warnings():  # starlette's test client names an alias anyio deprecates (anyio 4.12)
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

from conftest import RULES
from engine.interview.questions import Bank, to_yaml
from engine.load import parse_yaml
from engine.policy.loading import Policy
from engine.typography import typeset
from test_interview import ORDERS, ORGANISATION, Scripted, interview
from test_interview import bank  # noqa: F401 - the question bank fixture, shared
from web.app import create_app
from web.store import Store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# What a French user types for each question, by field ("org." before an organisation's field).
FRENCH = {**ORGANISATION, **ORDERS, "org.loaded_hourly_cost": "32,50", "channel": "téléphone",
          "activity": "prise de commande", "monthly_volume": "12 000", "aht_seconds": "4 min 30",
          "vendor_quote": "2,10 par contact"}
RETURNS = {"name": "Retours", "channel": "e-mail", "activity": "réclamations", "monthly_volume": "8 000 à 15 000",
           "aht_seconds": "6:00", "vendor_quote": "aucun"}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "workspace.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    opened = Store.open(db)
    yield opened
    opened.close()


def browser(store: Store) -> TestClient:
    return TestClient(create_app(store, policy_dir=RULES), raise_server_exceptions=True)


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with browser(store) as opened:
        yield opened


class Page:
    """A questionnaire page as the tests read it: the step, the question's field, the form's hidden fields."""

    def __init__(self, response: Any) -> None:
        self.response, self.text = response, response.text
        step = re.search(r'data-step="([a-z_]+)"', self.text)
        self.step = step.group(1) if step else "review" if 'action="/a/' in self.text and "/review" in self.text else ""
        field = re.search(r'data-field="([a-z_]+)"', self.text)
        self.field = field.group(1) if field else ""
        self.key = re.search(r'name="key" value="([^"]+)"', self.text).group(1)  # type: ignore[union-attr]
        self.csrf = re.search(r'name="csrf" value="([^"]+)"', self.text).group(1)  # type: ignore[union-attr]
        # the question the page asks, as its form sends it along
        self.asked = dict(re.findall(r'<input type="hidden" name="(field|flow)" value="([^"]*)">', self.text))

    def form(self, **fields: str) -> dict[str, str]:
        return {"csrf": self.csrf, "key": self.key, **self.asked, **fields}


def current(client: TestClient, aid: str) -> Page:
    response = client.get(f"/a/{aid}/ask")
    assert response.status_code == 200, response.text
    return Page(response)


def post(client: TestClient, url: str, page: Page, **fields: str) -> Any:
    return client.post(url, data=page.form(**fields), follow_redirects=False)


def answer(client: TestClient, aid: str, text: str) -> Any:
    """``text`` typed at the current question (or given at 'another flow?'), from the page now shown."""
    page = current(client, aid)
    return post(client, f"/a/{aid}/ask", page, answer=text)


def script_answer(script: dict[str, Any], organisation: bool, field: str) -> str:
    """The script's answer to ``field``, used up one at a time as ``Scripted`` does; Enter when it has none."""
    answers = script.get(f"org.{field}" if organisation else field)
    if not answers:
        return ""
    return str(answers.pop(0) if len(answers) > 1 else answers[0])


def run_pages(client: TestClient, aid: str, bank: Bank, flows: list[dict[str, Any]], lang: str,
              more: tuple[str, str], finish: bool = True) -> Any:
    """A whole questionnaire through the forms: each flow's script, then 'no more flows', then finish
    (without ``finish``: the review page)."""
    organisation_fields = {q.field for q in bank.organisation}
    scripts = [{k: list(v) if isinstance(v, list) else [v] for k, v in flow.items()} for flow in flows]
    flow = 0
    in_organisation = True
    for _ in range(400):
        page = current(client, aid)
        if page.step == "add_flow":
            in_organisation = False
            flow += 1
            response = post(client, f"/a/{aid}/ask", page, answer=more[0] if flow < len(flows) else more[1])
        elif page.step == "question":
            if page.field not in organisation_fields:
                in_organisation = False
            text = script_answer(scripts[flow], in_organisation and page.field in organisation_fields, page.field)
            response = post(client, f"/a/{aid}/ask", page, answer=text)
            assert response.status_code == 303, f"{page.field} {text!r}: {html.unescape(response.text)[-600:]}"
        else:
            break
        assert response.status_code == 303
        if response.headers["location"].endswith("/review"):
            break
    review = client.get(f"/a/{aid}/review")
    assert review.status_code == 200
    if not finish:
        return review
    return post(client, f"/a/{aid}/review", Page(review), finish="1")


def terminal_answers(bank: Bank, policy: Policy, flows: list[dict[str, Any]], lang: str, more: tuple[str, str]) -> str:
    """The answers file ``arbitre ask`` writes for the same typed lines (the flows one after the other)."""
    typed = dict(flows[0])
    console = Scripted(typed, after=[*[more[0]] * (len(flows) - 1), more[1], ""])
    run = interview(bank, policy, console, lang=lang)
    later = list(flows[1:])
    original = console.ask

    def ask(prompt: str) -> str:
        if prompt.startswith(typeset(bank.message("add_flow", lang), lang)) and later:  # type: ignore[arg-type]
            console.script = {k: list(v) if isinstance(v, list) else [v] for k, v in later.pop(0).items()}
        return original(prompt)

    console.ask = ask  # type: ignore[method-assign]
    return to_yaml(run.run(), bank, lang)  # type: ignore[arg-type]


def test_a_whole_questionnaire_in_french_through_the_forms(client: TestClient, store: Store, bank: Bank,
                                                           policy: Policy) -> None:
    """Two flows answered page by page in French become version 1, the answers file the terminal writes
    for the same typed lines, with its audit record; the draft is done with."""
    aid = store.create_assessment("Acme", "fr").id
    flows = [FRENCH, RETURNS]
    finished = run_pages(client, aid, bank, flows, "fr", ("oui", "non"))
    assert finished.status_code == 303 and finished.headers["location"] == f"/a/{aid}/v/1"
    version = store.version(aid, 1)
    assert version is not None
    assert version.answers == terminal_answers(bank, policy, flows, "fr", ("oui", "non"))
    data = parse_yaml(version.answers, "answers.yaml").data
    assert [f["id"] for f in data["flows"]] == ["order-taking", "retours"]
    assert data["flows"][1]["monthly_volume"] == {"low": 8000, "likely": 11500, "high": 15000}
    assert store.record(aid, 1) is not None and store.draft(aid) is None


def test_a_page_shows_its_question_progress_help_and_default_in_the_language(client: TestClient,
                                                                            store: Store) -> None:
    aid = store.create_assessment("Acme", "fr").id
    answer(client, aid, "Acme")
    page = current(client, aid)
    assert page.field == "country"
    text = html.unescape(page.text)
    assert "Votre organisation · question 2 sur" in text and "Votre organisation</h1>" in text
    assert typeset("Dans quel pays", "fr") in text
    assert 'lang="fr"' in page.text and "Aide sur cette question" in text and "<details" in text


def test_a_refused_value_shows_the_terminals_message_beside_the_field(client: TestClient, store: Store,
                                                                     bank: Bank) -> None:
    aid = store.create_assessment("Acme", "en").id
    for field in ("name", "country", "currency"):
        answer(client, aid, ORGANISATION[f"org.{field}"])
    page = current(client, aid)
    assert page.field == "loaded_hourly_cost"
    refused = post(client, f"/a/{aid}/ask", page, answer="lots")
    assert refused.status_code == 400
    field = re.search(r'<p class="field-error" id="answer-error" role="alert">([^<]*)</p>', refused.text)
    assert field is not None and html.unescape(field.group(1)) == "lots is not a number."
    assert 'aria-describedby="answer-error' in refused.text and 'aria-invalid="true"' in refused.text
    assert 'value="lots"' in refused.text  # what was typed, kept
    draft = store.draft(aid)
    assert draft is not None and "lots" not in str(draft.state)  # a refused answer is not saved
    again = current(client, aid)
    assert again.field == "loaded_hourly_cost" and "lots is not a number." not in again.text
    # the refused page's form goes on from where the draft stands
    assert post(client, f"/a/{aid}/ask", Page(refused), answer="32").status_code == 303
    assert current(client, aid).field == "annual_turnover_pct"


def test_an_answer_too_long_is_refused_with_the_limit_and_not_saved(client: TestClient, store: Store) -> None:
    aid = store.create_assessment("Acme", "fr").id
    answer(client, aid, "Acme")
    before = store.draft(aid)
    page = current(client, aid)
    refused = post(client, f"/a/{aid}/ask", page, answer="x" * 1_500_000)
    assert refused.status_code == 400
    assert "Une réponse compte au plus 10\u202f000 caractères" in html.unescape(refused.text)
    assert store.draft(aid) == before  # nothing of it written
    assert len(refused.text) < 100_000  # not echoed whole either


def test_opening_the_questionnaire_writes_nothing(client: TestClient, store: Store) -> None:
    """Opening (GET or HEAD) the questionnaire's link makes no draft: the assessment is not 'in progress'
    until a first answer is given."""
    aid = store.create_assessment("Acme", "en").id
    assert client.head(f"/a/{aid}/ask").status_code == 200
    current(client, aid)
    current(client, aid)
    assert store.draft(aid) is None
    assert "questionnaire in progress" not in client.get("/").text
    answer(client, aid, "Acme")
    draft = store.draft(aid)
    assert draft is not None and "Acme" in draft.answers


def test_an_answer_from_a_second_window_is_not_taken_and_says_so(client: TestClient, store: Store) -> None:
    """Two windows on the same question: the second answer is not taken, and the page says so, quoting it."""
    aid = store.create_assessment("Acme", "en").id
    tab_a, tab_b = current(client, aid), current(client, aid)
    assert post(client, f"/a/{aid}/ask", tab_a, answer="Alpha Org").status_code == 303
    late = post(client, f"/a/{aid}/ask", tab_b, answer="Beta Org")
    assert late.status_code == 409
    notice = re.search(r'<p class="notice" role="status" id="notice">([^<]*)</p>', late.text)
    assert notice is not None
    assert html.unescape(notice.group(1)).startswith(
        "This question was answered from another window or device; your answer “Beta Org” was not taken.")
    assert Page(late).field == "country"  # where the questionnaire stands now, ready to answer
    draft = store.draft(aid)
    assert draft is not None and "Alpha Org" in draft.answers and "Beta Org" not in draft.answers
    assert post(client, f"/a/{aid}/ask", Page(late), answer="FR").status_code == 303


def test_back_returns_to_the_previous_question(client: TestClient, store: Store) -> None:
    aid = store.create_assessment("Acme", "en").id
    first = current(client, aid)
    assert "formaction=\"/a/" not in first.text  # nothing before the first question
    answer(client, aid, "Acme")
    page = current(client, aid)
    assert page.field == "country" and f'formaction="/a/{aid}/ask/back"' in page.text
    response = post(client, f"/a/{aid}/ask/back", page)
    assert response.status_code == 303 and response.headers["location"] == f"/a/{aid}/ask"
    back = current(client, aid)
    assert back.field == "name" and "An empty answer takes: Acme" in html.unescape(back.text)
    assert post(client, f"/a/{aid}/ask", back, answer="Acme Retail").status_code == 303
    assert current(client, aid).field == "country"
    draft = store.draft(aid)
    assert draft is not None and "Acme Retail" in draft.answers  # saved as typed, at once


def test_a_new_app_over_the_same_file_goes_on_at_the_same_question(db: Path, store: Store) -> None:
    """The draft holds the conversation: a restarted server, or another device, shows the same step."""
    aid = store.create_assessment("Acme", "en").id
    with browser(store) as first:
        for field in ("name", "country", "currency"):
            answer(first, aid, ORGANISATION[f"org.{field}"])
        post(first, f"/a/{aid}/ask", current(first, aid), answer="lots")
        stale = current(first, aid)
    store.close()
    reopened = Store.open(db)
    try:
        with browser(reopened) as second:
            page = current(second, aid)
            assert page.field == "loaded_hourly_cost" and "lots is not a number." not in page.text
            assert post(second, f"/a/{aid}/ask", page, answer="32").status_code == 303
            # the first device's page, shown before that answer, does not answer the next question
            response = second.post(f"/a/{aid}/ask", data={**stale.form(answer="99"), "csrf": page.csrf},
                                   follow_redirects=False)
            assert response.status_code == 409 and "your answer “99” was not taken" in html.unescape(response.text)
            assert current(second, aid).field == "annual_turnover_pct"
            draft = reopened.draft(aid)
            assert draft is not None and "99" not in draft.answers and "loaded_hourly_cost: 32" in draft.answers
    finally:
        reopened.close()


def test_the_review_changes_an_answer_and_says_what_stops_finishing(client: TestClient, store: Store,
                                                                    bank: Bank) -> None:
    """Changing an answer opens its question, back at it leaves the answer as it was; a flow whose
    channel is no longer chat loses its concurrency."""
    answers = to_yaml({"organisation": {"name": "Acme", "country": "FR", "currency": "EUR"},
                       "flows": [{"channel": "chat", "name": "Orders", "id": "orders", "monthly_volume": 9000,
                                  "aht_seconds": 200, "concurrency": 2}]}, bank, "en")
    aid = store.create_assessment("Acme", "en").id
    store.add_version(aid, answers)
    for _ in range(60):  # through the questions left, as arbitre ask --resume goes through them
        page = current(client, aid)
        if page.step == "add_flow":
            post(client, f"/a/{aid}/ask", page, answer="no")
            break
        post(client, f"/a/{aid}/ask", page, answer="")
    review = client.get(f"/a/{aid}/review")
    text = html.unescape(review.text)
    assert "Review your answers" in text and "Flow 1: Orders" in text
    number = re.search(r'id="answer-(\d+)">\d+\. Channel: chat', text)
    assert number is not None
    changing = post(client, f"/a/{aid}/review", Page(review), change=number.group(1))
    assert changing.headers["location"] == f"/a/{aid}/ask"
    page = current(client, aid)
    assert page.field == "channel" and 'value="chat" checked' in page.text
    post(client, f"/a/{aid}/ask/back", page)  # leaves it as it was
    assert "Channel: chat" in html.unescape(client.get(f"/a/{aid}/review").text)
    post(client, f"/a/{aid}/review", Page(client.get(f"/a/{aid}/review")), change=number.group(1))
    assert post(client, f"/a/{aid}/ask", current(client, aid), answer="phone").headers["location"] == \
        f"/a/{aid}/review"
    review = client.get(f"/a/{aid}/review")
    assert "Channel: phone" in html.unescape(review.text)
    draft = store.draft(aid)
    assert draft is not None and "concurrency" not in draft.answers
    done = post(client, f"/a/{aid}/review", Page(review), finish="1")
    assert done.status_code == 303 and done.headers["location"] == f"/a/{aid}/v/2"


def test_an_unknown_assessment_is_a_404_page(client: TestClient) -> None:
    assert client.get("/a/nope/ask").status_code == 404


def test_a_draft_whose_state_cannot_be_read_goes_on_from_its_answers(client: TestClient, store: Store) -> None:
    """A state kept by another Arbitre (or damaged) is not half-read: the draft's answers are resumed."""
    aid = store.create_assessment("Acme", "en").id
    store.save_draft(aid, "organisation:\n  name: Acme Retail\n", {"version": 99})
    page = current(client, aid)
    assert page.field == "country"
    assert post(client, f"/a/{aid}/ask", page, answer="FR").status_code == 303
    draft = store.draft(aid)
    assert draft is not None and draft.state["version"] == 1 and "Acme Retail" in draft.answers


def test_a_hostile_name_is_shown_as_text(client: TestClient, store: Store, bank: Bank) -> None:
    hostile = "<script>alert('x')</script>"
    answers = to_yaml({"organisation": {"name": "Acme", "country": "FR", "currency": "EUR"},
                       "flows": [{"channel": "phone", "name": hostile, "id": "orders", "monthly_volume": 9000,
                                  "aht_seconds": 200}]}, bank, "en")
    aid = store.create_assessment("Acme", "en").id
    store.add_version(aid, answers)
    for _ in range(60):
        page = current(client, aid)
        assert hostile not in page.text
        if page.step == "add_flow":
            post(client, f"/a/{aid}/ask", page, answer="no")
            break
        post(client, f"/a/{aid}/ask", page, answer="")
    review = client.get(f"/a/{aid}/review").text
    assert hostile not in review and "&lt;script&gt;" in review


def test_finishing_twice_stores_one_version(client: TestClient, store: Store, bank: Bank) -> None:
    """The finish button sent twice (a double click, a resent form): one version, and the second
    submit shows the versions."""
    aid = store.create_assessment("Acme", "fr").id
    review = Page(run_pages(client, aid, bank, [FRENCH], "fr", ("oui", "non"), finish=False))
    first = post(client, f"/a/{aid}/review", review, finish="1")
    again = post(client, f"/a/{aid}/review", review, finish="1")
    assert first.headers["location"] == f"/a/{aid}/v/1"
    assert again.status_code == 303 and again.headers["location"] == f"/a/{aid}"
    assert [v.number for v in store.versions(aid)] == [1] and store.draft(aid) is None


def test_the_review_has_no_button_without_a_meaning(client: TestClient, store: Store, bank: Bank) -> None:
    aid = store.create_assessment("Acme", "fr").id
    review = run_pages(client, aid, bank, [FRENCH], "fr", ("oui", "non"), finish=False)
    assert "Renuméroter" not in review.text and 'name="review"' not in review.text


def test_changing_an_answer_shows_it_in_the_field_and_sending_it_back_changes_nothing(
        client: TestClient, store: Store, bank: Bank) -> None:
    """Each answer typed in a field, opened again from the review (as Back opens it), is in its field as it
    would be typed, in the questionnaire's language: sent back as it is, the answers are the same."""
    aid = store.create_assessment("Acme", "fr").id
    review = Page(run_pages(client, aid, bank, [FRENCH, RETURNS], "fr", ("oui", "non"), finish=False))
    before = store.draft(aid).answers  # type: ignore[union-attr]
    given = re.findall(r'<ul class="plain review">(.*?)</ul>', review.text, re.S)  # not the defaults' lists
    numbers = [n for block in given for n in re.findall(r'name="change" value="(\d+)"', block)]
    prefilled = 0
    for number in numbers:
        review = Page(client.get(f"/a/{aid}/review"))
        assert post(client, f"/a/{aid}/review", review, change=number).status_code == 303
        page = current(client, aid)
        field = re.search(r'<input type="text" id="answer" name="answer" value="([^"]*)"', page.text)
        if field is None:  # choices: what the browser sends, the ticked ones (and the list's marker)
            ticked = re.findall(r'name="answer" value="([^"]*)" checked', page.text)
            listed = {"listed": "1"} if 'name="listed"' in page.text else {}
            response = client.post(f"/a/{aid}/ask", follow_redirects=False,
                                   data={**page.form(**listed), "answer": [html.unescape(v) for v in ticked]})
        else:
            prefilled += bool(field.group(1))
            response = post(client, f"/a/{aid}/ask", page, answer=html.unescape(field.group(1)))
        assert response.status_code == 303, (number, re.findall(r"field-error[^>]*>([^<]*)<|value=\"([^\"]*)\"", html.unescape(response.text)))
        assert store.draft(aid).answers == before, number  # type: ignore[union-attr]
    assert prefilled >= 8  # names, numbers, a range, a duration, a price


def test_back_fills_the_field_with_the_answer_given(client: TestClient, store: Store) -> None:
    aid = store.create_assessment("Acme", "en").id
    answer(client, aid, "Acme Org")
    back = post(client, f"/a/{aid}/ask/back", current(client, aid))
    assert back.status_code == 303
    page = current(client, aid)
    assert page.field == "name" and 'name="answer" value="Acme Org"' in page.text


def test_the_same_answer_sent_twice_is_taken_once_without_a_word(client: TestClient, store: Store) -> None:
    """A double click on Next sends the page's form twice: the second finds its answer taken and goes on,
    with no notice that it was not."""
    aid = store.create_assessment("Acme", "fr").id
    answer(client, aid, "Acme")
    answer(client, aid, "FR")
    answer(client, aid, "EUR")
    page = current(client, aid)
    assert page.field == "loaded_hourly_cost"
    assert post(client, f"/a/{aid}/ask", page, answer="32,50").status_code == 303
    again = post(client, f"/a/{aid}/ask", page, answer="32,50")
    assert again.status_code == 303 and again.headers["location"] == f"/a/{aid}/ask"
    other = post(client, f"/a/{aid}/ask", page, answer="40")
    assert other.status_code == 409 and typeset("« 40 » n’a pas été prise", "fr") in html.unescape(other.text)


class TestTwentyUsersAtOnce:
    """Twenty people answering through the pages at the same moment, each in their own browser (own
    cookies), over one app and one workspace file."""

    ORGANISATION_ANSWERS = [("name", None), ("country", "FR"), ("currency", "EUR"), ("loaded_hourly_cost", None),
                            ("annual_turnover_pct", None)]

    def _answer_organisation(self, app: Any, store: Store, user: int) -> str:
        aid = store.create_assessment(f"Workshop {user}", "en").id
        with TestClient(app) as client:
            for field, typed in self.ORGANISATION_ANSWERS:
                page = current(client, aid)
                assert page.field == field, (user, page.field, field)
                text = typed if typed is not None else {"name": f"Company {user}",
                                                       "loaded_hourly_cost": str(20 + user),
                                                       "annual_turnover_pct": str(10 + user)}[field]
                response = post(client, f"/a/{aid}/ask", page, answer=text)
                assert response.status_code == 303, html.unescape(response.text)[-400:]
        return aid

    def test_no_answer_lost_on_their_own_assessments(self, store: Store) -> None:
        """Each of twenty users answers five questions of their own assessment, all at once: every draft
        holds its own five answers, none of another user's."""
        from concurrent.futures import ThreadPoolExecutor

        app = create_app(store, policy_dir=RULES)
        with ThreadPoolExecutor(max_workers=20) as pool:
            aids = list(pool.map(lambda user: self._answer_organisation(app, store, user), range(20)))
        for user, aid in enumerate(aids):
            draft = store.draft(aid)
            assert draft is not None
            organisation = parse_yaml(draft.answers, "answers.yaml").data["organisation"]
            assert organisation["name"] == f"Company {user}"
            assert organisation["country"] == "FR" and organisation["currency"] == "EUR"
            assert organisation["loaded_hourly_cost"] == 20 + user
            assert organisation["annual_turnover_pct"] == 10 + user
        assert store.integrity() == []

    def test_one_question_answered_by_twenty_at_once(self, store: Store) -> None:
        """Twenty users send an answer to the same question of one assessment from the same page: one is
        taken, each other one is told that its answer was not taken, and the draft holds exactly one."""
        from concurrent.futures import ThreadPoolExecutor

        app = create_app(store, policy_dir=RULES)
        aid = store.create_assessment("Shared", "en").id
        clients = [TestClient(app) for _ in range(20)]
        pages = [current(client, aid) for client in clients]
        assert {page.field for page in pages} == {"name"}

        def send(user: int) -> Any:
            return post(clients[user], f"/a/{aid}/ask", pages[user], answer=f"Company {user}")

        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(send, range(20)))
        taken = [user for user, response in enumerate(responses) if response.status_code == 303]
        assert len(taken) == 1, [r.status_code for r in responses]
        refused = [response for response in responses if response.status_code != 303]
        assert all(response.status_code == 409 and "was not taken" in html.unescape(response.text)
                   for response in refused)
        draft = store.draft(aid)
        assert draft is not None
        assert parse_yaml(draft.answers, "answers.yaml").data["organisation"]["name"] == f"Company {taken[0]}"
        for client in clients:
            client.close()
