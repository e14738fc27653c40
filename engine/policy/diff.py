"""What a policy edit changes: the same answers through two policies, flow by flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..answers import load_answers
from .cases import answers_shape, case_answers, case_files, read_cases
from ..errors import ArbitreError
from ..load import DocumentError, read_document
from ..models import Answers
from .loading import Policy
from ..recommend import recommend


def _answers_in(path: Path, policy: Policy, problems: list[str]) -> list[tuple[str, Answers]]:
    """The answers a file holds: one answers file, or every case of a policy case file."""
    try:
        doc = read_document(path, what="what.answers_or_cases_file")
    except DocumentError as exc:
        problems.append(str(exc.problem))
        return []
    if isinstance(doc.data, list):
        out = []
        for case in read_cases([path]):
            malformed = answers_shape(case)  # the rules it names may be new: diff needs only its answers
            if malformed:
                problems.append(f"{case.where}: not a policy case: {'; '.join(malformed)}")
                continue
            try:
                out.append((case.where, case_answers(case, policy)))
            except ArbitreError as exc:
                problems.append(f"{case.where}: {exc.report()}")
        return out
    try:
        return [(str(path), load_answers(path))]
    except ArbitreError as exc:
        problems.append(exc.report())
        return []


def diff_policies(old: Policy, new: Policy, paths: list[Path]) -> dict[str, Any]:
    """Every flow of every answers (files, case files, folders) under both policies: the flows whose
    decision or split changes, with the rules fired only before or only now."""
    problems: list[str] = []
    changes = []
    flows = files = rules_changed = 0
    for path in case_files(paths):
        found = _answers_in(path, old, problems)
        files += 1 if found else 0
        for source, answers in found:
            before = {f.id: f for f in recommend(answers, old).flows}
            for flow in recommend(answers, new).flows:
                flows += 1
                was = before[flow.id]
                fired_old = [f.rule_id for f in was.firings]
                fired_new = [f.rule_id for f in flow.firings]
                old_out = {"decision": was.verdict.decision.value, "split": [s.value for s in was.verdict.split]}
                new_out = {"decision": flow.verdict.decision.value, "split": [s.value for s in flow.verdict.split]}
                if old_out != new_out:
                    changes.append({"source": source, "flow": flow.id, "old": old_out, "new": new_out,
                                    "fired_old_only": [r for r in fired_old if r not in fired_new],
                                    "fired_new_only": [r for r in fired_new if r not in fired_old]})
                elif fired_old != fired_new:
                    rules_changed += 1
    return {"old": {"root": str(old.root), "digest": old.digest}, "new": {"root": str(new.root), "digest": new.digest},
            "files": files, "flows": flows, "changes": changes, "rules_changed": rules_changed, "problems": problems}
