"""The guided questionnaire as a conversation: one model that the terminal and the web both drive.

``Conversation`` holds a ``State`` (the answers, the position, the history for 'back', the review's
numbering: JSON-able through ``to_dict``/``from_dict``, so a conversation can stop after any answer
and go on in another process); ``current()`` says what to show (a ``Step``) and ``answer(text)``
takes what was typed (an ``Outcome``). ``Interview`` is the terminal's driver: it shows each step
on a ``Console``, asks for a line and gives it to the conversation.

The interview asks the organisation's questions, then each flow's, then offers a
review where any answer can be changed. Every accepted answer goes into a plain
answers mapping (what an answers file holds) and the draft is saved at once, so
an interrupt loses nothing; a question answered with Enter on a default of
none is in the draft as ``null``, so starting from a draft continues at the
first unanswered question (an answers file keeps no such trace: an
organisation's question without a default, before its last answer, was
answered none and is not asked again). A flow's
optional questions are asked only when their answer could change its decision
(``questions.could_matter``), unless every question is wanted. A numeric
answer may be given as a range: its likely value is the answer the interview
goes on with, and the range is what the draft and the answers file keep.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Protocol

from pydantic import ValidationError

from ..errors import Problem, excerpt
from ..load import Document, PathKey, dotted
from ..models import INHERITS, Answers
from ..policy.loading import Policy
from ..typography import typeset
from ..ranges import Estimate, take_ranges
from .questions import (RANGE_KINDS, Bank, Lang, Question, Refusal, Section, applies, check, check_range,
                        could_matter, is_range, memo_for, model_default, parse, refusal_of, show, show_range)


class Console(Protocol):
    """Where the interview talks: ``ask`` returns a typed line (raising ``EOFError`` at the end of
    input, ``KeyboardInterrupt`` on Ctrl-C); ``say`` shows text."""

    def ask(self, prompt: str) -> str: ...

    def say(self, text: str = "") -> None: ...


class _Typeset:
    """A console that says French text with its typography (a narrow no-break space before
    ``: ; ? !`` and ``%``, where no line breaks), whatever wrote the text."""

    def __init__(self, console: Console, lang: Lang) -> None:
        self.console, self.lang = console, lang

    def ask(self, prompt: str) -> str:
        return self.console.ask(typeset(prompt, self.lang))

    def say(self, text: str = "") -> None:
        self.console.say(typeset(text, self.lang))


@dataclass(frozen=True)
class Entry:
    """One answer of the review: the question, the answers it belongs to, and its flow's number
    (0 for the organisation)."""

    section: Section
    question: Question
    values: dict[str, Any]
    number: int


@dataclass
class FlowTally:
    """What the skip logic did for one flow."""

    asked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def slugify(text: str) -> str:
    """An id made from a name: ``Order taking`` -> ``order-taking``."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:64].rstrip("-")


def restore(doc: Document, bank: Bank, lang: Lang = "en") -> tuple[dict[str, Any], list[Problem]]:
    """The answers of a draft (or of an answers file) that the model accepts, field by field,
    and a problem in ``lang`` for each value left out, saying what becomes of it: a refused value
    is asked again, a field no question asks for is not written back, a repeated flow id is made
    again from the flow's name. A numeric answer given as a range (any form an answers file takes)
    is kept as ``{low, likely, high}`` when each of its values is accepted."""
    data: dict[str, Any] = {"organisation": {}, "flows": []}
    problems: list[Problem] = []
    raw = doc.data if isinstance(doc.data, dict) else {}
    _, ranges, wrong = take_ranges(Document(doc.source, raw, doc.lines))
    miswritten = {problem.path for problem in wrong}

    def dropped(where: tuple[Any, ...], reason: str, then: str) -> None:
        message = bank.message("dropped", lang, message=reason.rstrip("."), then=bank.message(then, lang))
        problems.append(Problem(doc.source, doc.line_of(where), dotted(where), message))

    def take(section: Section, values: Any, questions: tuple[Question, ...], path: tuple[Any, ...]) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        known = {q.field: q for q in questions}
        for name, value in (values.items() if isinstance(values, dict) else []):
            where = (*path, name)
            question = known.get(str(name))
            if question is None:
                dropped(where, bank.message("unknown_field", lang), "left_out")
                continue
            if any(path == dotted(where) or path.startswith(f"{dotted(where)}.") for path in miswritten):
                key = "bad_range" if question.kind in RANGE_KINDS else "range_not_here"
                dropped(where, bank.message(key, lang, value=excerpt(value)), "asked_again")
                continue
            try:
                estimate = ranges.get(where)
                kept[question.field] = (check(question, section, value) if estimate is None
                                        else check_range(question, section, estimate))
            except Refusal as refusal:
                args = {"value": value, "unit": question.text("unit", lang), **refusal.args_}
                dropped(where, bank.message(refusal.key, lang, **args), "asked_again")
        return kept

    data["organisation"] = take("organisation", raw.get("organisation"), bank.organisation, ("organisation",))
    flows = raw.get("flows")
    for index, flow in enumerate(flows if isinstance(flows, list) else []):
        kept = take("flows", flow, bank.flows, ("flows", index))
        if kept.get("id") is not None and kept["id"] in {f.get("id") for f in data["flows"]}:
            dropped(("flows", index, "id"), bank.message("duplicate_id", lang, value=kept["id"]), "id_remade")
            del kept["id"]
        data["flows"].append(kept)
    return data, problems


def count_answers(data: dict[str, Any]) -> int:
    return len(data.get("organisation", {})) + sum(len(f) for f in data.get("flows", []))


# -- the conversation model, shared by the terminal and the web ---------------------------------

# A position in the questionnaire: (-1, i) is the organisation's i-th question, (k, i) the i-th
# question of flow k. Positions are ordered the way the questions are asked.
Position = tuple[int, int]

Mode = Literal["new", "ask", "again", "add_flow", "review", "change", "done"]
"""What the conversation waits for: ``ask`` a question of the walk through the sections (or a
skipped one looked at again at the end of a flow), ``again`` the last answer once more ('back' at
'another flow?'), ``add_flow`` whether to add a flow, ``review`` a number to change or Enter,
``change`` a new answer to a question of the review; ``new`` before it begins, ``done`` after."""

MODES: tuple[str, ...] = ("new", "ask", "again", "add_flow", "review", "change", "done")


def _position(value: Any) -> Position:
    sec, index = value
    return int(sec), int(index)


@dataclass
class State:
    """Where one questionnaire stands: the answers and everything needed to go on, nothing else.
    ``to_dict`` gives it as JSON-able data (what a store keeps beside a draft), ``from_dict`` takes
    it back, so a conversation can stop after any answer and go on in another process."""

    data: dict[str, Any]  # the answers, each given as a range by its likely value
    ranges: dict[PathKey, dict[str, Any]] = field(default_factory=dict)  # the ranges, by path
    all_questions: bool = False
    mode: Mode = "new"
    sec: int = -1
    index: int = 0
    farthest: Position = (-1, 0)  # where 'back' was typed: answered questions before it are asked again
    second_look: bool = False  # the question is a skipped one a later answer made relevant
    history: list[Position] = field(default_factory=list)  # the positions answered, in order, for 'back'
    resumed_at: Position = (-2, 0)  # the draft's last answer: before every position when new
    tallies: dict[int, FlowTally] = field(default_factory=dict)  # by flow index
    outlook: dict[int, frozenset[str]] = field(default_factory=dict)  # optional questions expected, by flow
    progress: str = ""  # where the question asked stands, worked out when the walk reached it
    error: str = ""  # why the last answer was refused, in the questionnaire's language
    entries: list[tuple[int, str]] = field(default_factory=list)  # the review's numbering: (flow number, field)
    change: int = 0  # the review's number whose answer is being changed

    def written(self) -> dict[str, Any]:
        """The answers as the answers file holds them: each range in place of its likely value."""
        out = copy.deepcopy(self.data)
        for values, saved in [(self.data["organisation"], out["organisation"]), *zip(self.data["flows"], out["flows"])]:
            for name in values:
                found = self.range_of(values, name)
                if found is not None:
                    saved[name] = dict(found)
        return out

    def path(self, values: dict[str, Any], name: str) -> PathKey:
        """Where the answer ``name`` of ``values`` (the organisation's or a flow's) stands in the file."""
        if values is self.data["organisation"]:
            return ("organisation", name)
        return ("flows", next(i for i, flow in enumerate(self.data["flows"]) if flow is values), name)

    def range_of(self, values: dict[str, Any], name: str) -> dict[str, Any] | None:
        """The range the answer ``name`` of ``values`` was given as, while its likely value is the answer."""
        if name not in values:
            return None
        found = self.ranges.get(self.path(values, name))
        return found if found is not None and found["likely"] == values[name] else None

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON-able data; the answers as the answers file holds them."""
        return {"version": 1, "answers": self.written(), "all_questions": self.all_questions, "mode": self.mode,
                "sec": self.sec, "index": self.index, "farthest": list(self.farthest),
                "second_look": self.second_look, "history": [list(p) for p in self.history],
                "resumed_at": list(self.resumed_at),
                "tallies": {str(sec): {"asked": list(t.asked), "skipped": list(t.skipped)}
                            for sec, t in self.tallies.items()},
                "outlook": {str(sec): sorted(fields) for sec, fields in self.outlook.items()},
                "progress": self.progress, "error": self.error,
                "entries": [list(e) for e in self.entries], "change": self.change}

    @classmethod
    def start(cls, bank: Bank, data: dict[str, Any] | None = None, all_questions: bool = False) -> State:
        """A new questionnaire over ``data`` (a draft's answers, ranges as an answers file holds them)."""
        answers: dict[str, Any] = copy.deepcopy(data) if data else {"organisation": {}, "flows": []}
        answers.setdefault("organisation", {})
        answers.setdefault("flows", [])
        state = cls(answers, all_questions=all_questions)
        state.ranges = _take_ranges(answers, bank)
        return state

    @classmethod
    def from_dict(cls, saved: dict[str, Any], bank: Bank) -> State:
        """The state ``to_dict`` gave; ``ValueError`` when ``saved`` is not one."""
        try:
            answers = saved["answers"]
            if (saved.get("version") != 1 or saved["mode"] not in MODES or not isinstance(answers, dict)
                    or not isinstance(answers.get("organisation"), dict) or not isinstance(answers.get("flows"), list)
                    or not all(isinstance(flow, dict) for flow in answers["flows"])):
                raise ValueError("not a questionnaire's state")
            state = cls.start(bank, answers, bool(saved["all_questions"]))
            state.mode = saved["mode"]
            state.sec, state.index = int(saved["sec"]), int(saved["index"])
            state.farthest = _position(saved["farthest"])
            state.second_look = bool(saved["second_look"])
            state.history = [_position(p) for p in saved["history"]]
            state.resumed_at = _position(saved["resumed_at"])
            state.tallies = {int(sec): FlowTally([str(f) for f in t["asked"]], [str(f) for f in t["skipped"]])
                             for sec, t in saved["tallies"].items()}
            state.outlook = {int(sec): frozenset(str(f) for f in fields) for sec, fields in saved["outlook"].items()}
            state.progress, state.error = str(saved["progress"]), str(saved["error"])
            state.entries = [(int(number), str(name)) for number, name in saved["entries"]]
            state.change = int(saved["change"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a questionnaire's state: {exc}") from exc
        state.check(bank)
        return state

    def check(self, bank: Bank) -> None:
        """``ValueError`` unless every position and number of the state is one of ``bank``'s answers
        (a state kept while the question bank changed may not be)."""
        def fields(number: int) -> list[str]:
            if not 0 <= number <= len(self.data["flows"]):
                raise ValueError(f"not a questionnaire's state: no flow {number}")
            return [q.field for q in (bank.organisation if number == 0 else bank.flows)]

        if self.mode in ("ask", "again") and not 0 <= self.index < len(fields(self.sec + 1)):
            raise ValueError(f"not a questionnaire's state: no question {self.index} in section {self.sec}")
        for number, name in self.entries:
            if name not in fields(number):
                raise ValueError(f"not a questionnaire's state: no question {name} in section {number}")
        if self.mode == "change" and not 1 <= self.change <= len(self.entries):
            raise ValueError(f"not a questionnaire's state: no answer {self.change} in the review")


def _take_ranges(data: dict[str, Any], bank: Bank) -> dict[PathKey, dict[str, Any]]:
    """The ranges of the answers in ``data``, each replaced there by its likely value."""
    ranges: dict[PathKey, dict[str, Any]] = {}
    sections: list[tuple[PathKey, dict[str, Any], tuple[Question, ...]]] = [
        (("organisation",), data["organisation"], bank.organisation),
        *((("flows", i), flow, bank.flows) for i, flow in enumerate(data["flows"]))]
    for where, values, questions in sections:
        for question in questions:
            if is_range(question, values.get(question.field)):
                given = values[question.field]  # in the file's order, whatever order it was kept in
                ranges[(*where, question.field)] = {bound: given[bound] for bound in ("low", "likely", "high")}
                values[question.field] = given["likely"]
    return ranges


@dataclass(frozen=True)
class ReviewLine:
    """One answer of the review, as shown: its number, the flow it belongs to (0 for the
    organisation), its label, its value and where the value comes from; ``given`` when answered,
    else left at its default."""

    number: int
    flow: int
    field: str
    label: str
    shown: str
    mark: str
    given: bool
    text: str  # the whole line: '3. Monthly volume: 12,000 contacts a month'

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Step:
    """What the conversation shows now: a question (with its heading, progress, text, help, unit,
    choices, the default an empty answer takes and the last refusal), 'another flow?', the review
    (its lines and what still stops it), or the end. ``prompt`` is the line a console asks with."""

    kind: Literal["question", "add_flow", "review", "done"]
    heading: str = ""
    flow: int = 0  # 0 for the organisation, else the flow's number
    question: Question | None = None
    section: Section | None = None
    text: str = ""
    help: str = ""
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    default: str = ""  # the value an empty answer takes, as shown, with where it comes from
    value: Any = None  # the value an empty answer takes (a choice's value, a number), None for none
    progress: str = ""
    error: str = ""
    ranges: bool = False  # whether a range may be typed
    can_go_back: bool = False
    prompt: str = ""
    lines: tuple[ReviewLine, ...] = ()
    problems: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()  # the review's section titles, by flow number (0 for the organisation)


@dataclass(frozen=True)
class Outcome:
    """What an answer did: ``accepted`` when the conversation moved on (else the same step is asked
    again, with ``error`` when the answer was refused); ``changed`` when the answers changed (save
    them); ``said`` the lines a console shows before the next step (headings, counts, help)."""

    accepted: bool
    said: tuple[str, ...] = ()
    changed: bool = False
    error: str = ""


class Conversation:
    """The questionnaire's logic over a ``State``: ``current()`` says what to show, ``answer(text)``
    takes what was typed. The terminal and the web drive the same conversation; neither holds
    any of its logic."""

    def __init__(self, bank: Bank, policy: Policy, lang: Lang, state: State) -> None:
        self.bank, self.policy, self.lang, self.state = bank, policy, lang, state
        self.skip_memo = memo_for(policy)  # the flows the skip logic evaluated, for its next questions
        self._said: list[str] = []
        self._changed = False

    @classmethod
    def new(cls, bank: Bank, policy: Policy, lang: Lang, data: dict[str, Any] | None = None,
            all_questions: bool = False) -> Conversation:
        return cls(bank, policy, lang, State.start(bank, data, all_questions))

    @classmethod
    def from_dict(cls, bank: Bank, policy: Policy, lang: Lang, saved: dict[str, Any]) -> Conversation:
        return cls(bank, policy, lang, State.from_dict(saved, bank))

    def to_dict(self) -> dict[str, Any]:
        return self.state.to_dict()

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    def written(self) -> dict[str, Any]:
        return self.state.written()

    def draft(self) -> dict[str, Any]:
        """The answers as the draft holds them: the answers file's, and ``None`` for each question
        answered with Enter on a default of none, so that the draft resumed goes on after it."""
        out = self.written()
        for sec, index in self.state.history:
            question, values = self._questions(sec)[index], self._values(sec)
            if question.field not in values and (sec < 0 or applies(question, values)):
                (out["organisation"] if sec < 0 else out["flows"][sec])[question.field] = None
        return out

    def _currency(self) -> str | None:
        """The organisation's currency once answered, that amounts of money are shown with."""
        currency = self.state.data["organisation"].get("currency")
        return currency if isinstance(currency, str) else None

    def msg(self, key: str, **args: Any) -> str:
        return self.bank.message(key, self.lang, **args)

    def word(self, meaning: str) -> str:
        """The first word of ``meaning`` in the questionnaire's language: 'back', 'retour'."""
        return str(getattr(self.bank.file.words[self.lang], meaning)[0])

    # -- what an answer did ----------------------------------------------------------------------

    def _say(self, text: str = "") -> None:
        self._said.append(text)

    def _outcome(self, accepted: bool, error: str = "") -> Outcome:
        said, changed = tuple(self._said), self._changed
        self._said, self._changed = [], False
        self.state.error = error
        return Outcome(accepted, said, changed, error)

    # -- starting --------------------------------------------------------------------------------

    def begin(self) -> Outcome:
        """The questionnaire from its start: the organisation's questions, then each flow's; a
        draft's answers are passed."""
        state = self.state
        self._say(self.msg("intro"))
        if not state.data["flows"]:
            state.data["flows"].append({})
        state.history = self._answered()
        for values in [state.data["organisation"], *state.data["flows"]]:  # a draft's trace, now in the history
            for name in [name for name, value in values.items() if value is None]:
                del values[name]
        state.resumed_at = max(state.history, default=(-2, 0))
        for sec, index in state.history:  # a draft's answers were asked in the run that wrote it
            if sec >= 0:
                state.tallies.setdefault(sec, FlowTally()).asked.append(self.bank.flows[index].field)
        self._walk_from(-1)
        return self._outcome(True)

    def open_review(self) -> Outcome:
        """The review alone, over answers already complete."""
        self._enter_review()
        return self._outcome(True)

    # -- what to show ----------------------------------------------------------------------------

    def current(self) -> Step:
        """What to show now."""
        state = self.state
        if state.mode in ("ask", "again", "change"):
            sec, question, section, values = self._asked()
            default, shown_value, note = self._default_for(question, section, values)
            shown: str | None = None  # what Enter takes, in brackets after the prompt; nothing when required
            kept = state.range_of(values, question.field)  # Enter keeps a range given before
            if kept is not None:
                shown = show_range(question, kept, self.lang, self.bank)
            elif shown_value is not None or question.ask != "required":
                # the long labels are listed
                shown = show(question, shown_value, self.lang, self.bank, short=True, currency=self._currency())
                shown = f"{shown}{' — ' + note if note else ''}"
            can_go_back = (state.mode == "change" or state.mode == "ask" and not state.second_look
                           and any(p < (state.sec, state.index) for p in state.history))
            return Step("question", self._title(sec), sec + 1, question, section,
                        question.text("prompt", self.lang), question.text("help", self.lang),
                        question.text("unit", self.lang), tuple((c.value, c.label(self.lang)) for c in question.choices),
                        shown or "", kept if kept is not None else shown_value,
                        state.progress if state.mode == "ask" else "", state.error,
                        question.kind in RANGE_KINDS, can_go_back, "> " if shown is None else f"> [{shown}] ")
        if state.mode == "add_flow":
            shown = self.msg("no_value")
            return Step("add_flow", text=self.msg("add_flow"), default=shown, error=state.error,
                        can_go_back=bool(state.history), prompt=f"{self.msg('add_flow')} [{shown}] ")
        if state.mode == "review":
            entries = self._entries()
            return Step("review", self.msg("review_title"), text=self.msg("review_prompt"), error=state.error,
                        prompt=f"{self.msg('review_prompt')} ",
                        lines=tuple(self._line(n, e) for n, e in enumerate(entries, 1)),
                        problems=tuple(self.problems(entries)),
                        titles=tuple(self._review_title(n) for n in range(len(state.data["flows"]) + 1)))
        if state.mode == "done":
            return Step("done")
        raise ValueError(f"the questionnaire has not begun: {state.mode}")

    def _asked(self) -> tuple[int, Question, Section, dict[str, Any]]:
        """The question being asked: its section's number, itself, its section and the answers it goes in."""
        state = self.state
        if state.mode == "change":
            entry = self._entries()[state.change - 1]
            return entry.number - 1, entry.question, entry.section, entry.values
        question = self._questions(state.sec)[state.index]
        return state.sec, question, "organisation" if state.sec < 0 else "flows", self._values(state.sec)

    def _title(self, sec: int) -> str:
        return self.msg("section_organisation") if sec < 0 else self.msg("section_flow", number=sec + 1)

    # -- taking an answer ------------------------------------------------------------------------

    def answer(self, text: str) -> Outcome:
        """Take what was typed at the current step: an answer, '?', 'back', Enter (the default),
        yes or no, a review number."""
        mode = self.state.mode
        if mode in ("ask", "again", "change"):
            return self._answer_question(text)
        if mode == "add_flow":
            return self._answer_add_flow(text)
        if mode == "review":
            return self._answer_review(text)
        raise ValueError(f"the questionnaire is not waiting for an answer: {mode}")

    def back(self) -> Outcome:
        """'back': the previous question (at the review, leave the answer being changed as it was)."""
        return self.answer(self.word("back"))

    def _answer_question(self, text: str) -> Outcome:
        state = self.state
        sec, question, section, values = self._asked()
        word = " ".join(text.strip().lower().split())
        if word == "?":
            self._say(question.text("help", self.lang))
            if question.kind in RANGE_KINDS:
                self._say(self.msg("range_help"))
            return self._outcome(False)
        if word in self.bank.words["back"]:
            if not self.current().can_go_back:
                self._say(f"  {self.msg('nothing_before')}")
                return self._outcome(False)
            if state.mode == "change":
                return self._changed_in_review()
            earlier = [p for p in state.history if p < (state.sec, state.index)]
            state.farthest = max(state.farthest, (state.sec, state.index))
            state.history.remove(max(earlier))
            back_sec, state.index = max(earlier)
            if back_sec != state.sec:
                state.sec = back_sec
                self._heading(state.sec)
            self._walk()
            return self._outcome(True)
        try:
            self._take(question, section, values, text)
        except Refusal as refusal:
            return self._outcome(False, self.bank.refusal_text(question, refusal, text.strip(), self.lang))
        self._changed = True
        if state.mode == "change":
            return self._changed_in_review()
        if state.mode == "again":
            state.mode = "add_flow"
            self._say()
            return self._outcome(True)
        tally = state.tallies.setdefault(sec, FlowTally()) if sec >= 0 else None
        if state.second_look:
            assert tally is not None
            tally.skipped.remove(question.field)
            tally.asked.append(question.field)
            state.second_look, state.index = False, len(self.bank.flows)
        else:
            if tally is not None:
                if question.field in tally.skipped:
                    tally.skipped.remove(question.field)
                if question.field not in tally.asked:
                    tally.asked.append(question.field)
            if (sec, state.index) not in state.history:
                state.history.append((sec, state.index))
                state.history.sort()
            state.index += 1
        self._walk()
        return self._outcome(True)

    def _take(self, question: Question, section: Section, values: dict[str, Any], text: str) -> None:
        """Store the answer ``text`` to ``question`` in ``values``; ``Refusal`` when it cannot be taken."""
        word = " ".join(text.strip().lower().split())
        default, _, _ = self._default_for(question, section, values)
        ranged = self.state.range_of(values, question.field)
        if not word:
            if question.ask == "required" and default is None:
                raise Refusal("required")
            value = default  # the organisation's figure, confirmed for this flow, is kept as its answer
        else:
            currency = self.state.data["organisation"].get("currency", model_default("organisation", "currency"))
            value = parse(question, text, self.bank, currency, values.get("channel"))
            ranged = check_range(question, section, value) if isinstance(value, Estimate) else None
            value = ranged["likely"] if ranged is not None else value
        if value is None:  # no quote: the field stays unset
            values.pop(question.field, None)
            return
        value = check(question, section, value)
        if question.field == "id" and value in {f.get("id") for f in self.state.data["flows"] if f is not values}:
            raise Refusal("duplicate_id", value=value)
        old = values.get(question.field)
        values[question.field] = value
        path = self.state.path(values, question.field)
        if ranged is None:
            self.state.ranges.pop(path, None)
        else:
            self.state.ranges[path] = ranged
        if section == "flows" and question.field == "name":
            self._follow_name(values, old)
        if section == "flows":  # a chat's concurrency once the channel is phone, a peak ratio once a profile is given
            for other in self.bank.flows:
                if other.field in values and not applies(other, values):
                    del values[other.field]

    def _answer_add_flow(self, text: str) -> Outcome:
        state = self.state
        word = " ".join(text.strip().lower().split())
        if word in self.bank.words["back"]:  # the last question answered, again
            if not state.history:
                self._say(f"  {self.msg('nothing_before')}")
                self._say()
                return self._outcome(False)
            state.mode, (state.sec, state.index) = "again", max(state.history)
            return self._outcome(True)
        if word and word not in self.bank.words["yes"] | self.bank.words["no"]:
            return self._outcome(False, self.msg("not_yes_no", value=word))
        if word in self.bank.words["yes"]:
            state.data["flows"].append({})
            self._walk_from(len(state.data["flows"]) - 1)
        else:
            self._enter_review()
        return self._outcome(True)

    # -- the walk through the sections -------------------------------------------------------------

    def _questions(self, sec: int) -> tuple[Question, ...]:
        return self.bank.organisation if sec < 0 else self.bank.flows

    def _values(self, sec: int) -> dict[str, Any]:
        return self.state.data["organisation"] if sec < 0 else self.state.data["flows"][sec]  # type: ignore[no-any-return]

    def _heading(self, sec: int) -> None:
        self._say()
        self._say(f"== {self._title(sec)} ==")

    def _answered(self) -> list[Position]:
        """The positions already answered (a resumed draft's), in order: where 'back' goes first."""
        return [(sec, index) for sec in range(-1, len(self.state.data["flows"]))
                for index, q in enumerate(self._questions(sec)) if q.field in self._values(sec) and q.ask != "derived"]

    def _walk_from(self, sec: int) -> None:
        """Ask from the start of section ``sec`` to the end of the last flow."""
        state = self.state
        state.mode, state.sec, state.index, state.farthest, state.second_look = "ask", sec, 0, (sec, 0), False
        self._heading(sec)
        self._walk()

    def _walk(self) -> None:
        """Go from the current position to the next question to ask, or to 'another flow?' past the
        last flow. Answered questions are passed, except after 'back', up to where 'back' was typed;
        a flow's optional questions are passed when their answer could not change its decision."""
        state = self.state
        while True:
            sec, index = state.sec, state.index
            questions, values = self._questions(sec), self._values(sec)
            if index >= len(questions):
                if sec >= 0 and self._end_of_flow(sec):
                    return
                if sec + 1 >= len(state.data["flows"]):
                    state.mode = "add_flow"
                    self._say()
                    return
                state.sec, state.index = sec + 1, 0
                self._heading(state.sec)
                continue
            question = questions[index]
            if question.ask == "derived":  # made from other answers, changed in the review only
                if question.field not in values:
                    values[question.field] = self.flow_id(values)
                    self._changed = True
                state.index += 1
                continue
            revisit = (sec, index) < state.farthest
            tally = state.tallies.setdefault(sec, FlowTally()) if sec >= 0 else None
            if tally is not None and not applies(question, values):
                state.index += 1
                continue
            # An answer left at a default of none is in the history (a draft writes it as null); an
            # answers file keeps no trace of one: such an organisation question before the file's
            # last answer was passed. (A flow's is screened again below.)
            passed = (sec, index) in state.history or (sec < 0 and (sec, index) < state.resumed_at
                                                       and model_default("organisation", question.field) is None)
            if (question.field in values or passed) and not revisit:
                state.index += 1
                continue
            if (tally is not None and question.ask == "if_it_matters" and not state.all_questions
                    and question.field not in values
                    and not could_matter(question, values, state.data["organisation"], self.policy,
                                         self._partners(questions[index + 1:], values), self.skip_memo)):
                if question.field not in tally.skipped:
                    tally.skipped.append(question.field)
                state.index += 1
                continue
            state.progress = self._progress(sec, index)
            return

    def _end_of_flow(self, sec: int) -> bool:
        """At the end of flow ``sec``: ask a skipped question that later answers made relevant (the
        peak ratio may not matter until a provider's quote is known, but matter once it is), and
        return True; else say what the skip logic did."""
        state = self.state
        values, tally = self._values(sec), state.tallies.setdefault(sec, FlowTally())
        skipped = tuple(q for q in self.bank.flows if q.field in tally.skipped)
        relevant = next((q for q in skipped if applies(q, values) and could_matter(
            q, values, state.data["organisation"], self.policy, self._partners(skipped, values), self.skip_memo)),
            None)
        if relevant is not None:
            number = len(tally.asked) + 1  # the last of the flow's questions found so far
            state.index, state.second_look = self.bank.flows.index(relevant), True
            state.progress = self.msg("progress_flow", flow=sec + 1, number=number, total=number)
            return True
        self._say()
        if tally.asked:
            self._say(self.msg("asked_count", asked=len(tally.asked)))
        if tally.skipped:
            self._say(self.msg("skipped", count=len(tally.skipped)))
        return False

    def _progress(self, sec: int, index: int) -> str:
        """Where the question at ``(sec, index)`` stands: 'Flow 2 · question 5 of about 14'. Every
        organisation question is asked; a flow's count adds to the questions answered those still
        to come that apply and, for optional ones, could change its decision with what is known."""
        if sec < 0:
            return self.msg("progress_organisation", number=index + 1, total=len(self.bank.organisation))
        values = self._values(sec)
        answered = {i for s, i in self.state.history if s == sec}
        number = sum(i < index for i in answered) + 1
        expected = self._expected(sec)
        if expected is None:
            return self.msg("progress_flow_start", flow=sec + 1, number=number)
        coming = [q for i, q in enumerate(self.bank.flows)
                  if i > index and i not in answered and q.field not in values and applies(q, values)
                  and q.ask != "derived" and (q.ask != "if_it_matters" or q.field in expected)]
        return self.msg("progress_flow", flow=sec + 1, number=number, total=len(answered | {index}) + len(coming))

    def _expected(self, sec: int) -> frozenset[str] | None:
        """The optional questions flow ``sec`` is expected to ask, screened alone once its required
        answers are in (once only: the screening takes a moment); None before, when nothing is known."""
        values = self._values(sec)
        optional = [q for q in self.bank.flows if q.ask == "if_it_matters" and applies(q, values)]
        if self.state.all_questions:
            return frozenset(q.field for q in optional)
        if sec not in self.state.outlook:
            if not all(q.field in values for q in self.bank.flows if q.ask == "required" and applies(q, values)):
                return None
            self.state.outlook[sec] = frozenset(
                q.field for q in optional
                if could_matter(q, values, self.state.data["organisation"], self.policy, memo=self.skip_memo))
        return self.state.outlook[sec]

    @staticmethod
    def _partners(questions: tuple[Question, ...], values: dict[str, Any]) -> list[Question]:
        """Of ``questions``, those whose answers are not known yet and that the skip logic screens."""
        return [q for q in questions if q.ask == "if_it_matters" and q.field not in values]

    # -- defaults and names ------------------------------------------------------------------------

    def _default_for(self, question: Question, section: Section, values: dict[str, Any]) -> tuple[Any, Any, str]:
        """The value an empty answer takes, the value to show for it, and a note on where it comes
        from. A flow's own cost figures and hours left empty take the organisation's."""
        if question.field in values:
            return values[question.field], values[question.field], ""
        if section == "organisation" and question.field == "currency" and values.get("country"):
            from babel.numbers import get_territory_currencies

            local = get_territory_currencies(str(values["country"]))  # the country's legal tender
            if local:
                return local[0], local[0], ""
        if section == "flows":
            if question.field == "name" and "channel" in values:
                name = self._suggested_name(values)
                return name, name, ""
            if question.field == "id":
                derived = self.flow_id(values)
                return derived, derived, ""
            suggested = self.bank.suggestion(values.get("activity"), question.field)
            if suggested is not None:
                activity = next((c.label(self.lang) for q in self.bank.flows if q.field == "activity"
                                 for c in q.choices if c.value == values.get("activity")), "")
                return suggested, suggested, self.msg("suggested", activity=activity)
            if question.field in INHERITS:
                return self._fallback(section, question.field)
        if "default" in question.model_fields_set:
            return question.default, question.default, ""
        if question.ask == "required":
            return None, None, ""
        return self._fallback(section, question.field)

    def _fallback(self, section: Section, name: str) -> tuple[Any, Any, str]:
        """What an unanswered field stands for: the value an empty answer takes, the value to show
        and a note on where it comes from. A flow's own figure is the organisation's ('the
        organisation's figure', kept as the flow's answer); a figure nobody gave is the policy's when
        it has one (the contract's length: 'the policy's default', left unset so that the policy
        decides); else the model's default."""
        if section == "flows" and name in INHERITS:
            figure = self.state.data["organisation"].get(INHERITS[name], model_default("organisation", INHERITS[name]))
            if figure is not None:
                return figure, figure, self.msg("inherited")
        elif model_default(section, name) is not None:
            return model_default(section, name), model_default(section, name), ""
        policy = getattr(self.policy.costs, name, None)
        return None, policy, self.msg("policy_default") if policy is not None else ""

    def flow_id(self, values: dict[str, Any], name: Any = None) -> str:
        """The id made from a flow's name (``name``, else its own): ``order-taking``, or
        ``order-taking-2`` when another flow of the file has the first."""
        base = slugify(str(name if name is not None else values.get("name") or "")) or "flow"
        used = {f.get("id") for f in self.state.data["flows"] if f is not values}
        candidate, number = base, 2
        while candidate in used:
            candidate, number = f"{base[:60]}-{number}", number + 1
        return candidate

    def _follow_name(self, values: dict[str, Any], old_name: Any) -> None:
        """Give a flow the id of its new name, unless its id was chosen rather than made from the
        old name (an answers file's own ids are kept)."""
        if values.get("id") is None or values["id"] == self.flow_id(values, old_name):
            values["id"] = self.flow_id(values)

    def _suggested_name(self, values: dict[str, Any]) -> str:
        """A name from the activity and the channel: 'Order taking (phone)'."""
        channel = self.bank.choice_label("channel", values["channel"], self.lang)
        activity = values.get("activity")
        if activity in (None, "other"):
            return channel[:1].upper() + channel[1:]
        text = self.bank.choice_label("activity", activity, self.lang)
        return f"{text[:1].upper()}{text[1:]} ({channel})"

    # -- the review --------------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        """Every answer the review lists, in its order: the organisation's, then each flow's; in
        each, the answers given first, then the questions left at their defaults."""
        out: list[Entry] = []
        sections: list[tuple[Section, tuple[Question, ...], dict[str, Any], int]] = [
            ("organisation", self.bank.organisation, self.state.data["organisation"], 0)]
        sections += [("flows", self.bank.flows, values, number)
                     for number, values in enumerate(self.state.data["flows"], 1)]
        for section, questions, values, number in sections:
            shown = [q for q in questions if q.field in values or section == "organisation" or applies(q, values)]
            out += [Entry(section, q, values, number) for q in shown if q.field in values]
            out += [Entry(section, q, values, number) for q in shown if q.field not in values]
        return out

    def _entries(self) -> list[Entry]:
        """The review's entries as last listed: their numbers hold until the list is shown again."""
        out = []
        for number, name in self.state.entries:
            section: Section = "organisation" if number == 0 else "flows"
            question = next(q for q in self._questions(number - 1) if q.field == name)
            out.append(Entry(section, question, self._values(number - 1), number))
        return out

    def _enter_review(self) -> None:
        entries = self.entries()
        self.state.mode, self.state.entries = "review", [(e.number, e.question.field) for e in entries]
        self._show_review(entries)

    def _line(self, position: int, entry: Entry) -> ReviewLine:
        """One answer of the review: its number, its label and its value, with where the value comes from."""
        section, question, values = entry.section, entry.question, entry.values
        mark = ""
        if question.field in values:
            value = values[question.field]
            if question.ask == "derived" and value == self.flow_id(values):
                mark = f" {self.msg('review_derived')}"
        else:
            _, value, note = self._fallback(section, question.field)
            mark = f" ({note})" if note else ""
        ranged = self.state.range_of(values, question.field)
        if ranged is not None:
            shown = show_range(question, ranged, self.lang, self.bank)
        else:
            shown = show(question, value, self.lang, self.bank, short=True, currency=self._currency())
        label = question.text("label", self.lang)
        return ReviewLine(position, entry.number, question.field, label, shown, mark, question.field in values,
                          f"{position}. {label}{self.msg('colon')}{shown}{mark}")

    def _review_title(self, number: int) -> str:
        """The title of the review's section ``number``: the organisation, or 'Flow 1: Orders'."""
        if number == 0:
            return self.msg("section_organisation")
        values = self.state.data["flows"][number - 1]
        return self.msg("review_flow", number=number, name=values.get("name") or values.get("id", ""))

    def _show_review(self, entries: list[Entry]) -> None:
        """The answers given, one a line, and after them in each section the questions left at
        their defaults, together in a paragraph: every one numbered, to be changed by its number."""
        self._say()
        self._say(f"== {self.msg('review_title')} ==")
        for number in range(len(self.state.data["flows"]) + 1):
            numbered = [(position, e) for position, e in enumerate(entries, 1) if e.number == number]
            if not numbered:
                continue
            self._say(self._review_title(number))
            lines = [self._line(position, entry) for position, entry in numbered]
            for line in lines:
                if line.given:
                    self._say(f"  {line}")
            defaults = [line.text for line in lines if not line.given]
            if defaults:
                self._say(f"  {self.msg('review_defaults')} {self.msg('list_sep').join(defaults)}.")

    def _answer_review(self, text: str) -> Outcome:
        entries = self._entries()
        text = text.strip()
        if not text and not self.problems(entries):
            self.state.mode = "done"
            return self._outcome(True)
        if " ".join(text.lower().split()) in self.bank.words["review"]:
            self._enter_review()
            return self._outcome(True)
        if text.isdigit() and 1 <= int(text) <= len(entries):
            self.state.mode, self.state.change = "change", int(text)
            return self._outcome(True)
        if text:
            return self._outcome(False, self.msg("not_choice", value=text))
        return self._outcome(False)

    def _changed_in_review(self) -> Outcome:
        """Back at the review after an answer was changed (or left as it was): its line as it is now."""
        self._say(f"  {self._line(self.state.change, self._entries()[self.state.change - 1])}")
        self.state.mode = "review"
        return self._outcome(True)

    def problems(self, entries: list[Entry]) -> list[str]:
        """What the answers model still refuses in the whole answers (none, once every flow is done),
        each under the number and label of its answer in the review, in the questionnaire's language."""
        try:
            Answers.model_validate(self.state.data)
        except ValidationError as exc:
            said = [self._problem(entries, error) for error in exc.errors()]
            # an invalid flow also leaves the file without flows: said only when nothing else is
            return [s for s in said if s is not None] or [f"{dotted(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
        return []

    def _problem(self, entries: list[Entry], error: Any) -> str | None:
        """One refusal of the answers model, said as the question would say it: 'Chats at once (Flow 1:
        Orders): 3 conversations at once is for chat only...'. An answer refused only with the flow's
        other answers is named by the question whose answer conflicts (the peak ratio with a profile);
        None for an error on no answer of the review."""
        loc = tuple(error["loc"])
        number = 0 if loc[:1] == ("organisation",) else int(loc[1]) + 1 if len(loc) > 1 else -1
        field = loc[1] if number == 0 else loc[2] if len(loc) > 2 else "peak_ratio"
        position, entry = next(((p, e) for p, e in enumerate(entries, 1)
                                if (e.number, e.question.field) == (number, field)), (0, None))
        if entry is None:  # not an answer of the review
            return None
        values, question = entry.values, entry.question
        value = show(question, values.get(field), self.lang, self.bank, short=True, currency=self._currency())
        if error["type"] == "missing":
            message = self.msg("required")
        elif field == "concurrency":
            channel = self.bank.choice_label("channel", values.get("channel"), self.lang)
            message = self.msg("chat_only", value=value, channel=channel)
        elif len(loc) == 2:
            message = self.msg("peak_disagrees", value=value)
        else:
            message = self.bank.refusal_text(question, refusal_of(question, error, values.get(field)), value, self.lang)
        return self.msg("review_problem", number=position, label=question.text("label", self.lang),
                        where=self._review_title(number), message=message)


# -- the terminal's driver ------------------------------------------------------------------------


class Interview:
    """One run of the questionnaire over ``console``: a conversation asked line by line, calling
    ``save`` with the draft's answers (``Conversation.draft``) after every answer that changed them."""

    def __init__(self, bank: Bank, policy: Policy, lang: Lang, console: Console,
                 save: Callable[[dict[str, Any]], None], data: dict[str, Any] | None = None,
                 all_questions: bool = False) -> None:
        self.bank, self.policy, self.lang = bank, policy, lang
        self.console: Console = _Typeset(console, lang) if lang == "fr" else console
        self.save = save
        self.conversation = Conversation.new(bank, policy, lang, data, all_questions)
        self.current: Question | None = None  # the question being asked, for consoles that answer by script

    @property
    def state(self) -> State:
        return self.conversation.state

    @property
    def data(self) -> dict[str, Any]:
        return self.conversation.state.data

    @property
    def tallies(self) -> dict[int, FlowTally]:
        return self.conversation.state.tallies

    @property
    def history(self) -> list[Position]:
        return self.conversation.state.history

    def written(self) -> dict[str, Any]:
        return self.conversation.written()

    def entries(self) -> list[Entry]:
        return self.conversation.entries()

    def problems(self, entries: list[Entry]) -> list[str]:
        return self.conversation.problems(entries)

    def run(self) -> dict[str, Any]:
        """The whole questionnaire; returns the complete answers mapping."""
        self._drive(self.conversation.begin())
        return self.written()

    def review(self) -> None:
        """List every answer once; change any by its number (the list keeps its numbers until it is
        shown again on request); Enter when the answers are right."""
        self._drive(self.conversation.open_review())

    def _drive(self, outcome: Outcome) -> None:
        """Show each step, ask for its line, take it, until the conversation is done."""
        while True:
            for line in outcome.said:
                self.console.say(line)
            if outcome.changed:
                self.save(self.conversation.draft())
            step = self.conversation.current()
            if step.kind == "done":
                return
            if outcome.error:
                hint = f" {self.conversation.msg('help_hint')}" if step.kind == "question" else ""
                self.console.say(f"  {outcome.error}{hint}")
            elif step.kind == "question" and outcome.accepted:
                self._show(step)
            for problem in step.problems:
                self.console.say(f"  ! {problem}")
            outcome = self.conversation.answer(self.console.ask(step.prompt))

    def _show(self, step: Step) -> None:
        """A question as a console shows it: where it stands, its text, its choices numbered."""
        assert step.question is not None
        self.current = step.question
        self.console.say()
        if step.progress:
            self.console.say(step.progress)
        self.console.say(step.text)
        if step.question.kind in ("choice", "choices"):
            for number, (_, label) in enumerate(step.choices, 1):
                self.console.say(f"  {number:>2}. {label}")
