"""Signs that a customer is frustrated with the bot. Pure, no I/O.

Three signs, each cheap and explainable to staff: the same question again (the answer
did not land), SHOUTING, and words such as "useless" or "elendig".
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

# Below this many characters "ok", "yes" or "thanks" would count as repeated questions.
_MIN_REPEAT_CHARS = 12
# Share of capitals among the letters that reads as shouting.
_SHOUTING_SHARE = 0.8

_NON_WORD = re.compile(r"[\W_]+")


class Sign(enum.StrEnum):
    """Which sign of frustration was seen."""

    REPEATED_QUESTION = "repeated_question"
    SHOUTING = "shouting"
    WORDS = "words"


@dataclass(frozen=True, slots=True)
class Frustration:
    """A sign of frustration and what exactly showed it (for ``handoff explain``)."""

    sign: Sign
    detail: str


@dataclass(frozen=True, slots=True)
class FrustrationRules:
    """Which signs count, and their parameters (from ``[helpline.handoff]``)."""

    repeated_question: bool = True
    repeated_similarity: float = 0.85
    shouting: bool = True
    shouting_min_letters: int = 12
    words: tuple[str, ...] = ()


def normalise(text: str) -> str:
    """Lower case, accents kept, punctuation and extra spaces dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", folded).strip()


def similarity(a: str, b: str) -> float:
    """How alike two texts are after :func:`normalise`, from 0 to 1."""
    return SequenceMatcher(None, normalise(a), normalise(b)).ratio()


def is_shouting(text: str, *, min_letters: int) -> bool:
    """Tell whether a message is written mostly in capitals (and long enough to judge)."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < min_letters:
        return False
    capitals = sum(1 for c in letters if c.isupper())
    return capitals / len(letters) >= _SHOUTING_SHARE


def frustration_word(text: str, words: Iterable[str]) -> str | None:
    """The first configured word or phrase that occurs in the text as whole words."""
    padded = f" {normalise(text)} "
    for word in words:
        wanted = normalise(word)
        if wanted and f" {wanted} " in padded:
            return word
    return None


def repeated_question(text: str, earlier: Sequence[str], *, threshold: float) -> str | None:
    """The earlier customer message this one repeats, if any."""
    mine = normalise(text)
    if len(mine) < _MIN_REPEAT_CHARS:
        return None
    # difflib's real_quick_ratio() and quick_ratio() are upper bounds of ratio(), from the
    # lengths and from the characters the texts share (as multisets). Computed here with the
    # same formula, they rule out most earlier messages before a matcher is built: building
    # one indexes every character, and the full match is the costly part.
    characters = Counter(mine)
    for before in earlier:
        theirs = normalise(before)
        total = len(mine) + len(theirs)
        if 2.0 * min(len(mine), len(theirs)) / total < threshold:
            continue
        if 2.0 * (characters & Counter(theirs)).total() / total < threshold:
            continue
        if SequenceMatcher(None, mine, theirs).ratio() >= threshold:
            return before
    return None


def detect(text: str, earlier: Sequence[str], rules: FrustrationRules) -> Frustration | None:
    """The first sign of frustration in a customer message, or None.

    Args:
        text: the customer's new message.
        earlier: the customer's earlier messages in this conversation (questions typed,
            not buttons pressed).
        rules: which signs count.
    """
    if rules.words:
        word = frustration_word(text, rules.words)
        if word is not None:
            return Frustration(Sign.WORDS, f"word {word!r}")
    if rules.shouting and is_shouting(text, min_letters=rules.shouting_min_letters):
        return Frustration(Sign.SHOUTING, "written in capitals")
    if rules.repeated_question:
        before = repeated_question(text, earlier, threshold=rules.repeated_similarity)
        if before is not None:
            return Frustration(Sign.REPEATED_QUESTION, f"asked again: {before[:80]!r}")
    return None
