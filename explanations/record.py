"""A recommendation's audit record as the JSON text Arbitre writes: ``arbitre recommend --audit`` and
``arbitre bids --audit`` write it to a file, the workspace keeps it for a version. One function for all,
so that a record downloaded from the workspace is the CLI's (``arbitre explain --verify`` accepts it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from engine.analysis.audit import check_record_size, new_record
from engine.analysis.uncertainty import Robustness
from engine.policy.loading import Policy
from engine.ranges import RangeTable
from engine.recommend import FlowResult, Recommendation

from .render import LANGS, Document, document, json_text


def audit_record_text(result: Recommendation, policy: Policy, *, source: Path, answers: dict[str, Any],
                      source_bytes: bytes | None = None, overrides: dict[str, dict[str, str]] | None = None,
                      robustness: Callable[[FlowResult], Robustness] | None = None,
                      ranges: RangeTable | None = None, key: bytes | None = None,
                      bids: dict[str, Any] | None = None) -> tuple[str, Document]:
    """The audit record of ``result`` as JSON text (one space of indent, a final newline), and the
    document it was made from (every language, findings in words, tipping points, the overrides and
    the robustness given). ``source`` names the answers; their digest is of that file, or of
    ``source_bytes``. Signed with ``key``; ``ranges`` when the flows were sampled; ``bids`` the
    providers' bids compared. ``UserError`` for a record too large for ``explain`` to read back."""
    doc = document(result, policy, LANGS, findings_text=True, tipping=True, overrides=overrides,
                   robustness=robustness)
    flows = list(doc.flows)  # each entry kept as the document holds it
    record = new_record(policy=policy, source=source, source_bytes=source_bytes, answers=answers,
                        organisation=doc.organisation, flows=flows, key=key, ranges=ranges, bids=bids)
    text = json_text(record, indent=1) + "\n"
    check_record_size(text, len(flows))
    return text, doc
