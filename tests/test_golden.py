"""Golden files: the whole rendered explanation, compared byte for byte.

Rewrite them only with ``pytest tests/test_golden.py --update-golden`` and read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.answers import load_answers
from engine.policy.loading import Policy
from engine.recommend import recommend
from explanations.render import render

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("fmt,suffix", [("text", "txt"), ("markdown", "md")])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_explanation_matches_golden(policy: Policy, update_golden: bool, fmt: str, suffix: str, lang: str) -> None:
    """The explanation of the golden answers is exactly the reviewed one."""
    result = recommend(load_answers(GOLDEN / "answers.yaml"), policy)
    # The policy's digest changes with any edit of rules/: compare everything else.
    text = render(result, policy, fmt, lang).replace(policy.digest[:19], "sha256:<digest>")  # type: ignore[arg-type]
    golden = GOLDEN / f"recommendation.{lang}.{suffix}"
    if update_golden:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run pytest --update-golden once and review it"
    assert text == golden.read_text(encoding="utf-8")


ANSWERS = [GOLDEN / "answers.yaml", *sorted((GOLDEN.parent.parent / "examples").glob("*.yaml"))]


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("answers", ANSWERS, ids=[p.stem for p in ANSWERS])
def test_text_fits_80_columns(policy: Policy, answers: Path, lang: str) -> None:
    """Every line of the text explanation of every example fits an 80-column terminal."""
    result = recommend(load_answers(answers), policy)
    long = [line for line in render(result, policy, "text", lang).splitlines() if len(line) > 80]  # type: ignore[arg-type]
    assert long == []


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
@pytest.mark.parametrize("answers", ANSWERS, ids=[p.stem for p in ANSWERS])
def test_no_html_escapes_outside_html(policy: Policy, answers: Path, fmt: str) -> None:
    """Apostrophes and ampersands stay as typed in text, Markdown and JSON."""
    result = recommend(load_answers(answers), policy)
    assert "&#" not in render(result, policy, fmt, "fr") and "&amp;" not in render(result, policy, fmt, "en")  # type: ignore[arg-type]
