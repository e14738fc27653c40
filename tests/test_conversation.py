"""The questionnaire's conversation model through its step API alone: no console, the real bank and policy.

The terminal interview and the web pages drive the same ``Conversation``: what a console types, line by
line, given to ``answer`` gives the same answers; its state goes through JSON after any answer and the
conversation goes on where it stood.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.interview.conversation import Conversation, State
from engine.interview.questions import Bank, to_yaml
from engine.policy.loading import Policy
from test_interview import COMPLETE, ORDERS, ORGANISATION, Scripted, interview
from test_interview import bank  # noqa: F401 - the question bank fixture, shared

PROFILE = "900; 900; 1000; 1000; 1000; 1100; 1500; 1500; 1000; 1000; 1000; 1100"


class Recording(Scripted):
    """A scripted console that keeps every line it typed, in order."""

    def __init__(self, script: dict[str, Any], after: list[str] | None = None) -> None:
        super().__init__(script, after)
        self.typed: list[str] = []

    def ask(self, prompt: str) -> str:
        line = super().ask(prompt)
        self.typed.append(line)
        return line


def through_json(conversation: Conversation, bank: Bank, policy: Policy) -> Conversation:
    """The conversation as another process sees it: its state written as JSON and read back."""
    saved = json.loads(json.dumps(conversation.to_dict(), sort_keys=True))  # as the store keeps it
    return Conversation.from_dict(bank, policy, conversation.lang, saved)


def drive(bank: Bank, policy: Policy, lines: list[str], lang: str = "en", data: dict[str, Any] | None = None,
          all_questions: bool = False, reload: bool = True) -> Conversation:
    """The lines given to the step API one by one, the state through JSON before each when ``reload``."""
    conversation = Conversation.new(bank, policy, lang, data, all_questions)  # type: ignore[arg-type]
    conversation.begin()
    for line in lines:
        if reload:
            conversation = through_json(conversation, bank, policy)
        assert conversation.current().kind != "done", f"the questionnaire ended before {line!r}"
        conversation.answer(line)
    assert conversation.current().kind == "done"
    return conversation


CASES = [
    pytest.param({**ORGANISATION, **ORDERS}, ["no", ""], "en", None, False, id="one-flow"),
    pytest.param({**ORGANISATION, **ORDERS, "channel": "téléphone", "activity": "prise de commande",
                  "monthly_volume": "8 000 à 15 000", "aht_seconds": ["?", "retour", "4 min 30"]},
                 ["non", ""], "fr", None, False, id="french-range-help-back"),
    pytest.param({**ORGANISATION, **ORDERS, "channel": ["chat", "phone"], "concurrency": "1.5",
                  "monthly_profile": [PROFILE, "none"], "name": ["Orders by chat", "Orders by phone"]},
                 ["yes", "no", ""], "en", None, True, id="two-flows-every-question"),
    pytest.param({**ORGANISATION, **ORDERS, "monthly_volume": ["lots", "-5", "12000"], "org.name": ["back", "Acme"]},
                 ["maybe", "back", "no", "r", "99", "1", "x", ""], "en", None, False, id="refusals-back-review"),
    pytest.param({**ORDERS, "org.country": ["back", "FR"], "monthly_volume": "8000-9000"}, ["no", ""], "en",
                 {"organisation": {"name": "Acme"}, "flows": [{"name": "Orders", "id": "orders", "channel": "phone"}]},
                 False, id="resumed-draft"),
]


@pytest.mark.parametrize("script, after, lang, data, all_questions", CASES)
def test_the_step_api_gives_the_answers_file_the_terminal_gives(bank: Bank, policy: Policy, script: dict[str, Any],
                                                                after: list[str], lang: str,
                                                                data: dict[str, Any] | None,
                                                                all_questions: bool) -> None:
    """The lines typed at the terminal, given to ``answer`` with the state through JSON between
    any two of them, end the questionnaire with the same answers file."""
    console = Recording(script, after=after)
    terminal = interview(bank, policy, console, lang=lang, data=data, all_questions=all_questions).run()
    steps = drive(bank, policy, console.typed, lang, data, all_questions)
    assert to_yaml(steps.written(), bank, lang) == to_yaml(terminal, bank, lang)  # type: ignore[arg-type]
    assert steps.written() == terminal


def test_a_step_says_what_to_show(bank: Bank, policy: Policy) -> None:
    """A question's step carries its heading, progress, text, help, choices, default and whether a
    range may be typed; a refused answer leaves the same step with the terminal's message."""
    conversation = Conversation.new(bank, policy, "en", {"organisation": COMPLETE["organisation"]})
    conversation.begin()
    step = conversation.current()
    assert (step.kind, step.heading, step.flow) == ("question", "Your organisation", 0)
    assert step.question is not None and step.question.field == "loaded_hourly_cost"
    assert step.text == step.question.text("prompt", "en") and step.help == step.question.text("help", "en")
    assert step.progress == f"Your organisation · question 4 of {len(bank.organisation)}"
    assert step.ranges and step.can_go_back and step.error == ""
    outcome = conversation.answer("lots")
    assert not outcome.accepted and outcome.error == "lots is not a number."
    assert conversation.current().error == "lots is not a number." and conversation.current().question == step.question
    assert through_json(conversation, bank, policy).current().error == "lots is not a number."
    assert conversation.answer("32").accepted and conversation.current().error == ""


def test_a_choice_question_lists_its_choices_in_the_language(bank: Bank, policy: Policy) -> None:
    conversation = Conversation.new(bank, policy, "fr")
    conversation.begin()
    for question in bank.organisation:
        assert conversation.current().question == question
        outcome = conversation.answer(ORGANISATION[f"org.{question.field}"])
    step = conversation.current()
    assert "== Flux 1 ==" in outcome.said and step.heading == "Flux 1" and step.flow == 1
    assert step.question is not None and step.question.field == "channel"
    assert ("phone", "téléphone") in step.choices and not step.ranges
    assert step.progress == "Flux 1 · question 1"
    assert not step.can_go_back or step.question != bank.organisation[0]


def test_back_from_the_first_question_stays_with_a_message(bank: Bank, policy: Policy) -> None:
    conversation = Conversation.new(bank, policy, "en")
    conversation.begin()
    assert not conversation.current().can_go_back
    outcome = conversation.back()
    assert not outcome.accepted and "  " + bank.message("nothing_before", "en") in outcome.said
    assert conversation.current().question == bank.organisation[0]


def test_back_returns_to_the_previous_question_with_its_answer_as_default(bank: Bank, policy: Policy) -> None:
    conversation = Conversation.new(bank, policy, "en")
    conversation.begin()
    conversation.answer("Acme")
    assert conversation.current().question == bank.organisation[1]
    assert conversation.back().accepted
    step = conversation.current()
    assert step.question == bank.organisation[0] and step.default == "Acme"


def test_the_review_step_lists_every_answer_and_what_stops_it(bank: Bank, policy: Policy) -> None:
    """The review lists the answers numbered, with the problems that keep it from finishing; a
    number opens that answer's question, Enter finishes once nothing is left."""
    data = {"organisation": COMPLETE["organisation"], "flows": [{**COMPLETE["flows"][0], "concurrency": 3}]}
    conversation = Conversation.new(bank, policy, "en", data)
    conversation.open_review()
    step = conversation.current()
    assert step.kind == "review" and step.titles == ("Your organisation", "Flow 1: Orders")
    line = next(line for line in step.lines if line.field == "concurrency")
    assert line.given and line.flow == 1 and line.text == f"{line.number}. Chats at once: 3 conversations at once"
    assert len(step.problems) == 1 and step.problems[0].startswith(f"{line.number}. Chats at once (Flow 1: Orders)")
    assert not conversation.answer("").accepted and conversation.current().kind == "review"
    assert conversation.answer(str(line.number)).accepted
    changing = conversation.current()
    assert changing.kind == "question" and changing.question is not None and changing.question.field == "concurrency"
    assert changing.can_go_back  # 'back' leaves the answer as it was
    conversation = through_json(conversation, bank, policy)
    outcome = conversation.answer("1")
    assert outcome.changed and outcome.said[0].startswith(f"  {line.number}. Chats at once: ")  # the line as it is now
    assert "concurrency" not in conversation.data["flows"][0]  # for chats only: a phone flow has none
    assert conversation.current().problems == ()
    assert conversation.answer("").accepted and conversation.current().kind == "done"


@pytest.mark.parametrize("saved, reason", [
    pytest.param({}, "answers", id="empty"),
    pytest.param({"version": 2}, "not a questionnaire's state", id="other-version"),
    pytest.param("state", "not a questionnaire's state", id="not-a-mapping"),
    pytest.param({"mode": "ask", "index": 99}, "no question 99 in section -1", id="question-gone-from-the-bank"),
    pytest.param({"mode": "review", "entries": [[0, "colour"]]}, "no question colour", id="review-of-an-unknown-field"),
    pytest.param({"mode": "change", "change": 3, "entries": [[0, "name"]]}, "no answer 3", id="change-past-the-list"),
])
def test_a_state_that_is_not_one_is_refused(bank: Bank, policy: Policy, saved: Any, reason: str) -> None:
    """A state that is not one, or whose positions the bank no longer has, is refused, never half-read."""
    if isinstance(saved, dict) and "mode" in saved:
        conversation = Conversation.new(bank, policy, "en")
        conversation.begin()
        saved = {**conversation.to_dict(), **saved}
    with pytest.raises(ValueError, match=reason):
        State.from_dict(saved, bank)
