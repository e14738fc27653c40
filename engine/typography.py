"""French typography shared by everything a person reads: the questionnaire and the explanations."""

from __future__ import annotations

import re
import unicodedata

NARROW = "\u202f"  # narrow no-break space: French puts it before ': ; ? ! %'
NO_BREAK = "\u00a0"  # no-break space: French puts it inside guillemets
_BEFORE_PUNCTUATION = re.compile(r"[ \u00a0\u202f]+(?=[:;?!%])")
_INSIDE_GUILLEMETS = re.compile(r"(?<=«)[ \u00a0\u202f]+|[ \u00a0\u202f]+(?=»)")


def typeset(text: str, lang: str) -> str:
    """French text with a narrow no-break space before ``: ; ? !`` and ``%`` where it had a space
    (or a wider no-break one), and a no-break space inside « guillemets »; other languages' text as
    it is. A colon with no space before it
    (``https://``, ``12:30``, ``rules.yaml:14``) is not punctuation and stays."""
    if lang != "fr":
        return text
    return _INSIDE_GUILLEMETS.sub(NO_BREAK, _BEFORE_PUNCTUATION.sub(NARROW, text))


def elided(word: str, name: str, lang: str) -> str:
    """A word before a name; in French a 'de' or 'que' elided before a vowel or a mute h: d'Atlas,
    qu'Atlas, d'ECO-01, de Borealis."""
    first = unicodedata.normalize("NFKD", name[:1]).lower()[:1]
    if lang == "fr" and first and first in "aeiouh":
        return f"{word[:-1]}'{name}"
    return f"{word} {name}"


def singular(count: int, lang: str) -> bool:
    """Whether ``count`` things are said in the singular: one; in French, none too ("0 fichier")."""
    return count == 1 or (count == 0 and lang == "fr")
