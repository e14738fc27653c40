"""What every page module reads off the app for a request: the store, the assessment the URL names,
and the policy with its question bank, read once per app and kept on ``app.state`` (one cache for the
questionnaire, the result pages and the downloads)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request

from engine.interview.questions import Bank, load_questions
from engine.policy.loading import Policy, load_policy

from .store import Assessment, Store

_lock = threading.Lock()


class _VersionNumber(Convertor[int]):
    """A version's number in an address (``{n:version}``): plain ASCII digits, no more than the store's
    largest integer has, so that a run of thousands of digits is no address at all (the 404 page)
    rather than a number too long to read."""

    regex = "[0-9]{1,19}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("version", _VersionNumber())


@dataclass(frozen=True)
class Rules:
    """The policy the app serves and its question bank."""

    policy: Policy
    bank: Bank


def store(request: Request) -> Store:
    found: Store = request.app.state.store
    return found


def assessment(request: Request) -> Assessment:
    """The assessment named by the URL's ``aid`` (its language then the page's); 404 when there is none."""
    found = store(request).assessment(request.path_params["aid"])
    if found is None:
        raise HTTPException(404)
    request.state.lang = found.lang
    return found


def rules(request: Request) -> Rules:
    """The app's policy and question bank, read on first use (``PolicyError`` if they cannot be)."""
    state = request.app.state
    with _lock:
        found: Rules | None = getattr(state, "rules", None)
        if found is None:
            found = state.rules = read_rules(Path(state.policy_dir))
    return found


def read_rules(folder: Path) -> Rules:
    """The policy in ``folder`` and its question bank (``PolicyError`` if they cannot be read)."""
    policy = load_policy(folder)
    return Rules(policy, load_questions(folder, policy.manifest.questions))
