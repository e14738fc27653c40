"""The guided questionnaire as a conversation over a ``Console``: no terminal needed.

The interview asks the organisation's questions, then each flow's, then offers a
review where any answer can be changed. Every accepted answer goes into a plain
answers mapping (what an answers file holds) and the draft is saved at once, so
an interrupt loses nothing; starting from a draft continues at the first
unanswered question (an organisation's question without a default, before the
draft's last answer, was answered none and is not asked again). A flow's
optional questions are asked only when their answer could change its decision
(``questions.could_matter``), unless every question is wanted. A numeric
answer may be given as a range: its likely value is the answer the interview
goes on with, and the range is what the draft and the answers file keep.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from pydantic import ValidationError

from ..errors import Problem, excerpt
from ..load import Document, PathKey, dotted
from ..models import INHERITS, Answers
from ..policy.loading import Policy
from ..typography import typeset
from ..ranges import Estimate, take_ranges
from .questions import (RANGE_KINDS, Bank, Lang, Question, Refusal, Section, applies, check, check_range,
                        could_matter, is_range, model_default, parse, refusal_of, show, show_range)


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


class _Back(Exception):
    """The user asked for the previous question."""


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
        if kept.get("id") in {f.get("id") for f in data["flows"]}:
            dropped(("flows", index, "id"), bank.message("duplicate_id", lang, value=kept["id"]), "id_remade")
            del kept["id"]
        data["flows"].append(kept)
    return data, problems


def count_answers(data: dict[str, Any]) -> int:
    return len(data.get("organisation", {})) + sum(len(f) for f in data.get("flows", []))


class Interview:
    """One run of the questionnaire over ``console``, filling ``data`` and calling ``save`` with it
    after every accepted answer."""

    def __init__(self, bank: Bank, policy: Policy, lang: Lang, console: Console,
                 save: Callable[[dict[str, Any]], None], data: dict[str, Any] | None = None,
                 all_questions: bool = False) -> None:
        self.bank, self.policy, self.lang = bank, policy, lang
        self.console: Console = _Typeset(console, lang) if lang == "fr" else console
        self.save = save
        self.all_questions = all_questions
        self.data: dict[str, Any] = copy.deepcopy(data) if data else {"organisation": {}, "flows": []}
        self.data.setdefault("organisation", {})
        self.data.setdefault("flows", [])
        self.ranges = self._take_ranges()  # the answers given as ranges, by path; each value holds its likely one
        self.tallies: dict[int, FlowTally] = {}  # by flow index
        self.history: list[tuple[int, int]] = []  # the positions answered, in order, for 'back'
        self.current: Question | None = None  # the question being asked, for consoles that answer by script
        self.resumed_at: tuple[int, int] = (-2, 0)  # the draft's last answer: before every position when new
        self.outlook: dict[int, frozenset[str]] = {}  # the optional questions expected, by flow index

    # -- ranges ---------------------------------------------------------------------------

    def _path(self, values: dict[str, Any], name: str) -> PathKey:
        """Where the answer ``name`` of ``values`` (the organisation's or a flow's) stands in the file."""
        if values is self.data["organisation"]:
            return ("organisation", name)
        return ("flows", next(i for i, flow in enumerate(self.data["flows"]) if flow is values), name)

    def _take_ranges(self) -> dict[PathKey, dict[str, Any]]:
        """The ranges of the answers given (a resumed draft's), each replaced by its likely value."""
        ranges: dict[PathKey, dict[str, Any]] = {}
        sections = [(self.data["organisation"], self.bank.organisation),
                    *((flow, self.bank.flows) for flow in self.data["flows"])]
        for values, questions in sections:
            for question in questions:
                if is_range(question, values.get(question.field)):
                    ranges[self._path(values, question.field)] = values[question.field]
                    values[question.field] = values[question.field]["likely"]
        return ranges

    def range_of(self, values: dict[str, Any], name: str) -> dict[str, Any] | None:
        """The range the answer ``name`` of ``values`` was given as, while its likely value is the answer."""
        if name not in values:
            return None
        found = self.ranges.get(self._path(values, name))
        return found if found is not None and found["likely"] == values[name] else None

    def _keep_range(self, values: dict[str, Any], name: str, ranged: dict[str, Any] | None) -> None:
        """Note the range the answer ``name`` of ``values`` was just given as, or that it has none."""
        path = self._path(values, name)
        if ranged is None:
            self.ranges.pop(path, None)
        else:
            self.ranges[path] = ranged

    def written(self) -> dict[str, Any]:
        """The answers as the answers file holds them: each range in place of its likely value."""
        out = copy.deepcopy(self.data)
        for values, saved in [(self.data["organisation"], out["organisation"]), *zip(self.data["flows"], out["flows"])]:
            for name in values:
                found = self.range_of(values, name)
                if found is not None:
                    saved[name] = dict(found)
        return out

    # -- talking --------------------------------------------------------------------------

    def msg(self, key: str, **args: Any) -> str:
        return self.bank.message(key, self.lang, **args)

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
            figure = self.data["organisation"].get(INHERITS[name], model_default("organisation", INHERITS[name]))
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
        used = {f.get("id") for f in self.data["flows"] if f is not values}
        candidate, number = base, 2
        while candidate in used:
            candidate, number = f"{base[:60]}-{number}", number + 1
        return candidate

    def _follow_name(self, values: dict[str, Any], old_name: Any) -> None:
        """Give a flow the id of its new name, unless its id was chosen rather than made from the
        old name (an answers file's own ids are kept)."""
        if values.get("id") is None or values["id"] == self.flow_id(values, old_name):
            values["id"] = self.flow_id(values)

    def refusal_text(self, question: Question, refusal: Refusal, value: Any) -> str:
        """Why an answer was refused, in the questionnaire's language: what was typed, what is expected."""
        args = {"value": value, "unit": question.text("unit", self.lang), **refusal.args_}
        if "channel" in args:
            args["fits"] = self.bank.per_contact(args["channel"], self.lang)
            args["channel"] = self._label("channel", args["channel"])
        return self.msg(refusal.key, **args)

    def _label(self, field: str, value: Any) -> str:
        """A choice's label without its parenthesis: 'level-1 support (common questions)' -> 'level-1 support'."""
        question = next(q for q in self.bank.flows if q.field == field)
        choice = question.choice(str(value))
        return re.sub(r"\s*\(.*?\)", "", choice.label(self.lang)) if choice else str(value)

    def _suggested_name(self, values: dict[str, Any]) -> str:
        """A name from the activity and the channel: 'Order taking (phone)'."""
        channel = self._label("channel", values["channel"])
        activity = values.get("activity")
        if activity in (None, "other"):
            return channel[:1].upper() + channel[1:]
        text = self._label("activity", activity)
        return f"{text[:1].upper()}{text[1:]} ({channel})"

    def ask_one(self, question: Question, section: Section, values: dict[str, Any],
                can_go_back: bool = True, progress: str = "") -> Any:
        """Ask until the answer is valid; store it in ``values``; raise ``_Back`` on 'back'.
        ``progress`` is a line that says where the question stands, shown above it."""
        self.current = question
        default, shown_value, note = self._default_for(question, section, values)
        self.console.say()
        if progress:
            self.console.say(progress)
        self.console.say(question.text("prompt", self.lang))
        if question.kind in ("choice", "choices"):
            for number, choice in enumerate(question.choices, 1):
                self.console.say(f"  {number:>2}. {choice.label(self.lang)}")
        shown = ""
        kept = self.range_of(values, question.field)  # Enter keeps a range given before
        if kept is not None:
            shown = f" [{show_range(question, kept, self.lang, self.bank)}]"
        elif shown_value is not None or question.ask != "required":
            shown = show(question, shown_value, self.lang, self.bank, short=True)  # the long labels are listed
            shown = f" [{shown}{' — ' + note if note else ''}]"
        while True:
            text = self.console.ask(f"> {shown.strip()} " if shown else "> ")
            word = " ".join(text.strip().lower().split())
            if word == "?":
                self.console.say(question.text("help", self.lang))
                if question.kind in RANGE_KINDS:
                    self.console.say(self.msg("range_help"))
                continue
            if word in self.bank.words["back"]:
                if can_go_back:
                    raise _Back()
                self.console.say(f"  {self.msg('nothing_before')}")
                continue
            ranged = kept
            try:
                if not word:
                    if question.ask == "required" and default is None:
                        raise Refusal("required")
                    value = default  # the organisation's figure, confirmed for this flow, is kept as its answer
                else:
                    currency = self.data["organisation"].get("currency", model_default("organisation", "currency"))
                    value = parse(question, text, self.bank, currency, values.get("channel"))
                    ranged = check_range(question, section, value) if isinstance(value, Estimate) else None
                    value = ranged["likely"] if ranged is not None else value
                if value is None:  # no quote: the field stays unset
                    values.pop(question.field, None)
                    self.save(self.written())
                    return None
                value = check(question, section, value)
                if question.field == "id" and value in {f.get("id") for f in self.data["flows"] if f is not values}:
                    raise Refusal("duplicate_id", value=value)
            except Refusal as refusal:
                self.console.say(f"  {self.refusal_text(question, refusal, text.strip())} {self.msg('help_hint')}")
                continue
            old = values.get(question.field)
            values[question.field] = value
            self._keep_range(values, question.field, ranged)
            if section == "flows" and question.field == "name":
                self._follow_name(values, old)
            if section == "flows":  # a chat's concurrency once the channel is phone, a peak ratio once a profile is given
                for other in self.bank.flows:
                    if other.field in values and not applies(other, values):
                        del values[other.field]
            self.save(self.written())
            return value

    # -- sections ---------------------------------------------------------------------------

    # A position in the questionnaire: (-1, i) is the organisation's i-th question, (k, i) the i-th
    # question of flow k. Positions are ordered the way the questions are asked.

    def _questions(self, sec: int) -> tuple[Question, ...]:
        return self.bank.organisation if sec < 0 else self.bank.flows

    def _values(self, sec: int) -> dict[str, Any]:
        return self.data["organisation"] if sec < 0 else self.data["flows"][sec]  # type: ignore[no-any-return]

    def _heading(self, sec: int) -> None:
        self.console.say()
        title = self.msg("section_organisation") if sec < 0 else self.msg("section_flow", number=sec + 1)
        self.console.say(f"== {title} ==")

    def _answered(self) -> list[tuple[int, int]]:
        """The positions already answered (a resumed draft's), in order: where 'back' goes first."""
        return [(sec, index) for sec in range(-1, len(self.data["flows"]))
                for index, q in enumerate(self._questions(sec)) if q.field in self._values(sec) and q.ask != "derived"]

    def _walk(self, sec: int) -> None:
        """Ask from the start of section ``sec`` to the end of the last flow. Answered questions are
        passed, except after 'back', up to where 'back' was typed; 'back' crosses sections."""
        index, farthest = 0, (sec, 0)
        self._heading(sec)
        while True:
            questions, values = self._questions(sec), self._values(sec)
            if index >= len(questions):
                if sec >= 0:
                    self._end_of_flow(sec)
                if sec + 1 >= len(self.data["flows"]):
                    return
                sec, index = sec + 1, 0
                self._heading(sec)
                continue
            question = questions[index]
            if question.ask == "derived":  # made from other answers, changed in the review only
                if question.field not in values:
                    values[question.field] = self.flow_id(values)
                    self.save(self.written())
                index += 1
                continue
            revisit = (sec, index) < farthest
            tally = self.tallies.setdefault(sec, FlowTally()) if sec >= 0 else None
            if tally is not None and not applies(question, values):
                index += 1
                continue
            # Only an answer without a default, left empty, leaves no trace in the draft: such an
            # organisation question before the draft's last answer was passed. (A flow's is screened
            # again below.)
            passed = (sec < 0 and (sec, index) < self.resumed_at
                      and model_default("organisation", question.field) is None)
            if (question.field in values or passed) and not revisit:
                index += 1
                continue
            if (tally is not None and question.ask == "if_it_matters" and not self.all_questions
                    and question.field not in values
                    and not could_matter(question, values, self.data["organisation"], self.policy,
                                         self._partners(questions[index + 1:], values))):
                if question.field not in tally.skipped:
                    tally.skipped.append(question.field)
                index += 1
                continue
            earlier = [p for p in self.history if p < (sec, index)]
            try:
                self.ask_one(question, "organisation" if sec < 0 else "flows", values, can_go_back=bool(earlier),
                             progress=self._progress(sec, index))
            except _Back:
                farthest = max(farthest, (sec, index))
                self.history.remove(max(earlier))
                back_sec, index = max(earlier)
                if back_sec != sec:
                    sec = back_sec
                    self._heading(sec)
                continue
            if tally is not None:
                if question.field in tally.skipped:
                    tally.skipped.remove(question.field)
                if question.field not in tally.asked:
                    tally.asked.append(question.field)
            if (sec, index) not in self.history:
                self.history.append((sec, index))
                self.history.sort()
            index += 1

    def _progress(self, sec: int, index: int) -> str:
        """Where the question at ``(sec, index)`` stands: 'Flow 2 · question 5 of about 14'. Every
        organisation question is asked; a flow's count adds to the questions answered those still
        to come that apply and, for optional ones, could change its decision with what is known."""
        if sec < 0:
            return self.msg("progress_organisation", number=index + 1, total=len(self.bank.organisation))
        values = self._values(sec)
        answered = {i for s, i in self.history if s == sec}
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
        if self.all_questions:
            return frozenset(q.field for q in optional)
        if sec not in self.outlook:
            if not all(q.field in values for q in self.bank.flows if q.ask == "required" and applies(q, values)):
                return None
            self.outlook[sec] = frozenset(
                q.field for q in optional if could_matter(q, values, self.data["organisation"], self.policy))
        return self.outlook[sec]

    def _end_of_flow(self, sec: int) -> None:
        values, tally = self._values(sec), self.tallies.setdefault(sec, FlowTally())
        self._second_look(sec, values, tally)
        self.console.say()
        if tally.asked:
            self.console.say(self.msg("asked_count", asked=len(tally.asked)))
        if tally.skipped:
            self.console.say(self.msg("skipped", count=len(tally.skipped)))

    @staticmethod
    def _partners(questions: tuple[Question, ...], values: dict[str, Any]) -> list[Question]:
        """Of ``questions``, those whose answers are not known yet and that the skip logic screens."""
        return [q for q in questions if q.ask == "if_it_matters" and q.field not in values]

    def _second_look(self, sec: int, values: dict[str, Any], tally: FlowTally) -> None:
        """Ask the skipped questions that later answers made relevant: the peak ratio may not matter
        until a provider's quote is known, but matter once it is."""
        while True:
            skipped = tuple(q for q in self.bank.flows if q.field in tally.skipped)
            relevant = next((q for q in skipped if applies(q, values) and could_matter(
                q, values, self.data["organisation"], self.policy, self._partners(skipped, values))), None)
            if relevant is None:
                return
            number = len(tally.asked) + 1  # the last of the flow's questions found so far
            self.ask_one(relevant, "flows", values, can_go_back=False,
                         progress=self.msg("progress_flow", flow=sec + 1, number=number, total=number))
            tally.skipped.remove(relevant.field)
            tally.asked.append(relevant.field)

    def _yes_no(self, prompt: str, default: bool) -> bool | None:
        """Yes or no; None for 'back'."""
        shown = self.msg("yes_value") if default else self.msg("no_value")
        while True:
            word = " ".join(self.console.ask(f"{prompt} [{shown}] ").strip().lower().split())
            if not word:
                return default
            if word in self.bank.words["back"]:
                return None
            if word in self.bank.words["yes"]:
                return True
            if word in self.bank.words["no"]:
                return False
            self.console.say(f"  {self.msg('not_yes_no', value=word)}")

    def run(self) -> dict[str, Any]:
        """The whole questionnaire; returns the complete answers mapping."""
        self.console.say(self.msg("intro"))
        if not self.data["flows"]:
            self.data["flows"].append({})
        self.history = self._answered()
        self.resumed_at = max(self.history, default=(-2, 0))
        for sec, index in self.history:  # a draft's answers were asked in the run that wrote it
            if sec >= 0:
                self.tallies.setdefault(sec, FlowTally()).asked.append(self.bank.flows[index].field)
        self._walk(-1)
        while True:
            self.console.say()
            more = self._yes_no(self.msg("add_flow"), False)
            if more is None:  # 'back': the last question answered, again
                if self.history:
                    sec, index = max(self.history)
                    section: Section = "organisation" if sec < 0 else "flows"
                    self.ask_one(self._questions(sec)[index], section, self._values(sec), can_go_back=False)
                else:
                    self.console.say(f"  {self.msg('nothing_before')}")
                continue
            if not more:
                break
            self.data["flows"].append({})
            self._walk(len(self.data["flows"]) - 1)
        self.review()
        return self.written()

    # -- review -----------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        """Every answer the review lists, in its order: the organisation's, then each flow's; in
        each, the answers given first, then the questions left at their defaults."""
        out: list[Entry] = []
        sections: list[tuple[Section, tuple[Question, ...], dict[str, Any], int]] = [
            ("organisation", self.bank.organisation, self.data["organisation"], 0)]
        sections += [("flows", self.bank.flows, values, number) for number, values in enumerate(self.data["flows"], 1)]
        for section, questions, values, number in sections:
            shown = [q for q in questions if q.field in values or section == "organisation" or applies(q, values)]
            out += [Entry(section, q, values, number) for q in shown if q.field in values]
            out += [Entry(section, q, values, number) for q in shown if q.field not in values]
        return out

    def _line(self, position: int, entry: Entry) -> str:
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
        ranged = self.range_of(values, question.field)
        if ranged is not None:
            shown = show_range(question, ranged, self.lang, self.bank)
        else:
            shown = show(question, value, self.lang, self.bank, short=True)
        return f"{position}. {question.text('label', self.lang)}{self.msg('colon')}{shown}{mark}"

    def _show_review(self, entries: list[Entry]) -> None:
        """The answers given, one a line, and after them in each section the questions left at
        their defaults, together in a paragraph: every one numbered, to be changed by its number."""
        self.console.say()
        self.console.say(f"== {self.msg('review_title')} ==")
        for number in range(len(self.data["flows"]) + 1):
            numbered = [(position, e) for position, e in enumerate(entries, 1) if e.number == number]
            if not numbered:
                continue
            values = numbered[0][1].values
            self.console.say(self.msg("section_organisation") if number == 0 else
                             self.msg("review_flow", number=number, name=values.get("name") or values.get("id", "")))
            for position, entry in numbered:
                if entry.question.field in values:
                    self.console.say(f"  {self._line(position, entry)}")
            defaults = [self._line(position, entry) for position, entry in numbered
                        if entry.question.field not in values]
            if defaults:
                self.console.say(f"  {self.msg('review_defaults')} {self.msg('list_sep').join(defaults)}.")

    def review(self) -> None:
        """List every answer once; change any by its number (the list keeps its numbers until it is
        shown again on request); Enter when the answers are right."""
        entries = self.entries()
        self._show_review(entries)
        while True:
            problems = self.problems(entries)
            for problem in problems:
                self.console.say(f"  ! {problem}")
            text = self.console.ask(f"{self.msg('review_prompt')} ").strip()
            if not text and not problems:
                return
            if " ".join(text.lower().split()) in self.bank.words["review"]:
                entries = self.entries()
                self._show_review(entries)
                continue
            if text.isdigit() and 1 <= int(text) <= len(entries):
                entry = entries[int(text) - 1]
                try:
                    self.ask_one(entry.question, entry.section, entry.values)
                except _Back:
                    pass
                self.console.say(f"  {self._line(int(text), entry)}")
                continue
            if text:
                self.console.say(f"  {self.msg('not_choice', value=text)}")

    def problems(self, entries: list[Entry]) -> list[str]:
        """What the answers model still refuses in the whole answers (none, once every flow is done),
        each under the number and label of its answer in the review, in the questionnaire's language."""
        try:
            Answers.model_validate(self.data)
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
        value = show(question, values.get(field), self.lang, self.bank, short=True)
        if error["type"] == "missing":
            message = self.msg("required")
        elif field == "concurrency":
            message = self.msg("chat_only", value=value, channel=self._label("channel", values.get("channel")))
        elif len(loc) == 2:
            message = self.msg("peak_disagrees", value=value)
        else:
            message = self.refusal_text(question, refusal_of(question, error, values.get(field)), value)
        where = self.msg("section_organisation") if number == 0 else self.msg(
            "review_flow", number=number, name=values.get("name") or values.get("id", ""))
        return self.msg("review_problem", number=position, label=question.text("label", self.lang), where=where,
                        message=message)
