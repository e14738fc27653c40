"""The questionnaire as pages: one question a page, driven by ``engine.interview``'s conversation.

Each page shows the conversation's current ``Step``; a form posts what was typed (or chosen) and the
conversation takes it as the terminal would, with the terminal's messages. Every accepted answer is
saved at once in the assessment's draft: the answers as the answers file holds them, and the
conversation's state beside them, so that a restart, or another device pointed at the same store,
goes on at the same question. Only answers write: opening a page does not make a draft, and a refused
answer is shown again with its message, never saved. Each form carries the key of the state it was
shown from: an answer posted from a page that another window or device has since moved past is not
taken; the current step is shown with a notice saying so, and what was typed.

Routes: ``GET /a/{aid}/ask`` (the current step), ``POST /a/{aid}/ask`` (an answer), ``POST
/a/{aid}/ask/back``, ``GET /a/{aid}/review``, ``POST /a/{aid}/review`` (change an answer, or finish:
the answers become the assessment's next version, with its audit record, and the browser goes to
``/a/{aid}/v/{n}``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.interview.conversation import Conversation, Step, restore
from engine.interview.questions import Bank, Lang, Question, Refusal, parse, show, to_yaml
from engine.errors import UserError
from engine.load import parse_yaml
from engine.ranges import Estimate
from engine.typography import typeset

from . import context, i18n, pages
from .store import Assessment, Store

# The longest answer a form may give (characters): longer is refused, with a message, and not saved.
MAX_ANSWER = 10_000
# How much of a typed answer a notice quotes.
QUOTED = 200


def state_key(state: dict[str, Any]) -> str:
    """A short digest of a conversation's state: the form shown from it carries it back."""
    text = json.dumps(state, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


class _Questionnaire:
    """One request's view of an assessment's questionnaire: the store, the policy, the conversation."""

    def __init__(self, request: Request) -> None:
        self.store: Store = context.store(request)
        found = context.rules(request)
        self.policy, self.bank = found.policy, found.bank
        self.assessment: Assessment = context.assessment(request)
        assessment = self.assessment
        self.lang: Lang = "fr" if assessment.lang == "fr" else "en"
        self.saved: dict[str, Any] = {}
        self.conversation = self._load()

    @property
    def aid(self) -> str:
        return self.assessment.id

    def _load(self) -> Conversation:
        """The draft's conversation; a new one (over the latest version's answers, if any) when there is none."""
        draft = self.store.draft(self.aid)
        if draft is not None and draft.state:
            try:
                conversation = Conversation.from_dict(self.bank, self.policy, self.lang, draft.state)
            except ValueError:
                pass  # a state this Arbitre cannot read (an older one): the answers are begun again below
            else:
                if conversation.state.mode == "done":  # finished, but not stored as a version: offered again
                    conversation.state.mode = "review"
                self.saved = draft.state
                return conversation
        data = None
        versions = self.store.versions(self.aid)
        source = draft.answers if draft is not None and draft.answers else versions[-1].answers if versions else ""
        if source:
            data, _ = restore(parse_yaml(source, "answers.yaml"), self.bank, self.lang)
        conversation = Conversation.new(self.bank, self.policy, self.lang, data)
        conversation.begin()
        # Not written: the first answer writes the draft (``save``), from the state it was read in.
        self.saved = draft.state if draft is not None else {}
        return conversation

    def _answers(self, conversation: Conversation) -> str:
        return to_yaml(conversation.written(), self.bank, self.lang)

    def typeset(self, text: str) -> str:
        """The questionnaire's text with the typography of its language (French spaces before ``: ; ? !``)."""
        return typeset(text, self.lang)

    @property
    def key(self) -> str:
        return state_key(self.saved)

    def save(self) -> bool:
        """Write the conversation to the draft, unless another request changed the draft since it was read."""
        with self.store.editing_draft(self.aid) as edit:
            if edit.state != self.saved:
                return False
            edit.state, edit.answers = self.conversation.to_dict(), self._answers(self.conversation)
            self.saved = edit.state
        return True

    def finish(self) -> int | None:
        """The answers as the assessment's next version, with its audit record, and the draft done with,
        in one transaction; None (nothing stored) when the draft changed since it was read (finished
        already by another submit, or changed from another window)."""
        from .views import audit_record

        answers = to_yaml(self.conversation.written(), self.bank, self.lang)
        record = audit_record(answers, self.policy)  # the rules run before the transaction, not inside it
        version = self.store.version_from_draft(self.aid, answers, self.saved, record)
        return None if version is None else version.number

    def value_shown(self, step: Step) -> str:
        """The answer already given to the step's question, as it would be typed (what Back or a change
        from the review fills the field with); empty for a question not answered yet."""
        question = step.question
        if step.kind != "question" or question is None or step.value is None:
            return ""
        if question.kind in ("choice", "choices", "yes_no"):
            return ""  # ticked on the page instead
        data = self.conversation.state.data
        values = data["organisation"] if step.flow == 0 else data["flows"][step.flow - 1]
        if question.field not in values:
            return ""  # a default, shown beside the field, not an answer
        ranged = self.conversation.state.range_of(values, question.field)
        seconds = question.kind == "seconds"
        if ranged is not None:  # the likely value, then the range: '11 500 (8 000-15 000)'
            def bound(name: str) -> str:
                return _number(ranged[name], self.lang, seconds=False)
            return f"{bound('likely')} ({bound('low')}-{bound('high')})"
        value = values[question.field]
        if seconds and isinstance(value, (int, float)) and not isinstance(value, bool):
            return _number(value, self.lang, seconds=True)
        return show(question, value, self.lang, self.bank, short=True)


def _number(value: float, lang: Lang, seconds: bool) -> str:
    """A number as it is typed in the questionnaire's language (``12 000``, ``32,5``); with ``seconds``, a
    whole number of seconds from a minute up as minutes:seconds (``4:30``)."""
    if seconds and float(value).is_integer() and value >= 60:
        minutes, rest = divmod(int(value), 60)
        return f"{minutes}:{rest:02d}"
    text = f"{int(value):,}" if float(value).is_integer() else f"{value:,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f").replace(".", ",") if lang == "fr" else text


def _typed(form: Any, question: Question | None, bank: Bank, lang: Lang) -> str:
    """The line a form gives: the text typed, the choice picked, the choices ticked joined (none ticked
    on a form that listed them: none)."""
    if question is not None and question.kind == "choices" and form.get("listed"):
        ticked = [str(value) for value in form.getlist("answer") if str(value).strip()]
        return ", ".join(ticked) if ticked else str(bank.file.words[lang].none[0])
    value = form.get("answer")
    return value if isinstance(value, str) else ""


def _page(request: Request, q: _Questionnaire, step: Step, typed: str = "", status: int = 200,
          notice: str = "") -> Response:
    if step.kind == "review":
        return _review_page(request, q, step, status, notice)
    if step.kind == "done":
        return pages.redirect(f"/a/{q.aid}")
    words = q.bank.file.words[q.lang]
    chosen = typed if typed else step.value
    typed = typed or q.value_shown(step)
    ticked = set(chosen) if isinstance(chosen, (list, tuple)) else {str(chosen)}
    if isinstance(chosen, bool):
        ticked = {str(words.yes[0] if chosen else words.no[0])}
    return pages.render(request, "ask.html.j2", status=status, lang=q.lang, assessment=q.assessment, step=step,
                        key=q.key, ty=q.typeset, typed=typed, ticked=ticked, yes=words.yes[0], no=words.no[0],
                        notice=notice,
                        range_help=q.bank.message("range_help", q.lang),
                        add_flow=q.bank.message("add_flow", q.lang),
                        yes_label=q.bank.message("yes_value", q.lang), no_label=q.bank.message("no_value", q.lang))


def _review_page(request: Request, q: _Questionnaire, step: Step, status: int = 200, notice: str = "") -> Response:
    sections = [(title, [line for line in step.lines if line.flow == number])
                for number, title in enumerate(step.titles)]
    return pages.render(request, "ask_review.html.j2", status=status, lang=q.lang, assessment=q.assessment,
                        step=step, key=q.key, sections=sections, ty=q.typeset, notice=notice,
                        defaults_title=q.bank.message("review_defaults", q.lang))


def _form_question(q: _Questionnaire, form: Any) -> tuple[Question, dict[str, Any]] | None:
    """The question of the page a form was sent from (its ``field`` and ``flow``), and the answers it
    goes in now; None for a form without one ('another flow?') or naming none."""
    field, flow = form.get("field"), form.get("flow")
    if not isinstance(field, str) or not isinstance(flow, str) or not flow.isdigit():
        return None
    data = q.conversation.state.data
    number = int(flow)
    if number > len(data["flows"]):
        return None
    values = data["organisation"] if number == 0 else data["flows"][number - 1]
    questions = q.bank.organisation if number == 0 else q.bank.flows
    question = next((one for one in questions if one.field == field), None)
    return None if question is None else (question, values)


def _taken_already(q: _Questionnaire, question: Question, values: dict[str, Any], typed: str) -> bool:
    """Whether ``typed``, sent for ``question`` from an earlier page, is the answer the questionnaire now
    holds for it: the same form sent twice (a double click), taken by the first."""
    field = question.field
    data = q.conversation.state.data
    if field not in values:
        return False
    if not typed.strip():
        return True  # the question's default, taken by the first submit
    try:
        value = parse(question, typed, q.bank, data["organisation"].get("currency"), values.get("channel"))
    except Refusal:
        return False
    return bool((value.likely if isinstance(value, Estimate) else value) == values[field])


def _moved_on(request: Request, q: _Questionnaire, typed: str | None = None) -> Response:
    """The step the questionnaire is at now, for a form sent from a page another window or device has
    moved past (409): a notice says so, and quotes the answer that was not taken."""
    if typed is not None and typed.strip():
        quoted = " ".join(typed.split())
        quoted = quoted if len(quoted) <= QUOTED else quoted[:QUOTED] + "…"
        notice = i18n.t("ask_moved_on_answer", q.lang, answer=quoted)
    else:
        notice = i18n.t("ask_moved_on", q.lang)
    return _page(request, q, q.conversation.current(), status=409, notice=notice)


def ask(request: Request) -> Response:
    """The current step of the questionnaire."""
    q = _Questionnaire(request)
    step = q.conversation.current()
    if step.kind == "review":
        return pages.redirect(f"/a/{q.aid}/review")
    return _page(request, q, step)


def answer(request: Request) -> Response:
    """An answer to the current step: taken (on to the next step), or refused (the same step, the message
    beside the field, what was typed kept)."""
    form = pages.form(request)
    q = _Questionnaire(request)
    step = q.conversation.current()
    if form.get("key") != q.key or step.kind not in ("question", "add_flow"):  # another window moved past it
        asked = _form_question(q, form)
        if asked is None:
            return _moved_on(request, q)
        typed = _typed(form, asked[0], q.bank, q.lang)
        if _taken_already(q, *asked, typed):
            return pages.redirect(f"/a/{q.aid}/review" if step.kind == "review" else f"/a/{q.aid}/ask")
        return _moved_on(request, q, typed)
    typed = _typed(form, step.question, q.bank, q.lang)
    if len(typed) > MAX_ANSWER:
        most = f"{MAX_ANSWER:,}".replace(",", "\u202f" if q.lang == "fr" else ",")
        q.conversation.state.error = i18n.t("ask_too_long", q.lang, most=most)
        return _page(request, q, q.conversation.current(), typed[:MAX_ANSWER], status=400)
    outcome = q.conversation.answer(typed)
    if outcome.error or not outcome.accepted and not outcome.changed:  # refused, or help: shown, not saved
        return _page(request, q, q.conversation.current(), typed if outcome.error else "",
                     status=400 if outcome.error else 200)
    if not q.save():  # another window answered while this one was read
        return _moved_on(request, q, typed)
    return pages.redirect(f"/a/{q.aid}/review" if q.conversation.current().kind == "review" else f"/a/{q.aid}/ask")


def back(request: Request) -> Response:
    """'back': the previous question (while changing an answer of the review: the review, the answer as it was)."""
    form = pages.form(request)
    q = _Questionnaire(request)
    if form.get("key") != q.key:
        return _moved_on(request, q)
    if q.conversation.current().kind in ("question", "add_flow"):
        q.conversation.back()
        if not q.save():
            return _moved_on(request, q)
    where = "review" if q.conversation.current().kind == "review" else "ask"
    return pages.redirect(f"/a/{q.aid}/{where}")


def review(request: Request) -> Response:
    """Every answer, numbered, each with a button to change it; what still stops the answers from being finished."""
    q = _Questionnaire(request)
    step = q.conversation.current()
    if step.kind != "review":
        return pages.redirect(f"/a/{q.aid}/ask")
    return _review_page(request, q, step)


def review_post(request: Request) -> Response:
    """``change=N``: the question of answer N; ``finish``: the answers become a new version (when nothing
    stops them: else the review again, with what does)."""
    form = pages.form(request)
    q = _Questionnaire(request)
    step = q.conversation.current()
    if form.get("key") != q.key or step.kind != "review":
        if form.get("finish") is not None and q.store.draft(q.aid) is None and q.store.versions(q.aid):
            return pages.redirect(f"/a/{q.aid}")  # finished already (the form sent twice): the versions
        return _moved_on(request, q)
    change = form.get("change")
    if isinstance(change, str) and change:
        outcome = q.conversation.answer(change)
        if outcome.error:  # not a number of the review: said, nothing saved
            return _review_page(request, q, q.conversation.current(), status=400)
        if not q.save():
            return _moved_on(request, q)
        return pages.redirect(f"/a/{q.aid}/ask")
    outcome = q.conversation.answer("")
    if not outcome.accepted:
        return _review_page(request, q, q.conversation.current(), status=400)
    try:
        number = q.finish()
    except UserError as exc:  # the answers file the model accepted, refused as a file: said, kept as a draft
        q.conversation.state.mode, q.conversation.state.error = "review", str(exc)
        return _review_page(request, q, q.conversation.current(), status=400)
    if number is None:  # finished already by another submit, or changed from another window
        return pages.redirect(f"/a/{q.aid}")
    return pages.redirect(f"/a/{q.aid}/v/{number}")


ROUTES = [
    Route("/a/{aid}/ask", ask, methods=["GET"]),
    Route("/a/{aid}/ask", answer, methods=["POST"]),
    Route("/a/{aid}/ask/back", back, methods=["POST"]),
    Route("/a/{aid}/review", review, methods=["GET"]),
    Route("/a/{aid}/review", review_post, methods=["POST"]),
]
