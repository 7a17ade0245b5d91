"""A small guess at whether a message is English or Danish.

v1 is a heuristic: words with the Danish letters æ, ø, å and common Danish function words
count for Danish, common English function words count for English. Words spelled the same
in both languages ("i", "for", "under") count for neither.
"""

from __future__ import annotations

from knowledge.analysis import tokenize

# The start of a message is enough to tell its language, and bounds the cost of a huge one.
_SAMPLE_CHARS = 2000


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Frequent words of customer messages that are (nearly) never words of the other language:
# "to" (Danish for two), "have" (garden), "mine", "dig" and "mere" are left out on purpose.
_DANISH = _word_set(
    """og ikke jeg er det der til af med som har hvordan hvad hvorfor hvornår hvilken
    kan vil skal min mit din dit dine du vi mig os hun han en et
    eller også efter fra når nu jo ja nej hej tak hjælp virker kunne skulle
    ingen noget nogen meget bliver blev får fik kommer igen"""
)
_ENGLISH = _word_set(
    """the and is are not my you your how what why when where which who can does doesnt
    do dont did cant cannot wont isnt this that with from has be been was were it its
    a an of in on please help work working works get got hello hi thanks thank
    there their they would should could will no yes"""
)


def detect_language(text: str) -> str | None:
    """Guess whether a text is English or Danish.

    Args:
        text: Any text; only its first 2000 characters are read.

    Returns:
        ``"en"`` or ``"da"`` when one language has more evidence than the other, ``None``
        when there is no evidence or it is balanced.
    """
    danish = english = 0
    for word in tokenize(text[:_SAMPLE_CHARS]):
        if word in _DANISH or any(letter in word for letter in "æøå"):
            danish += 1
        elif word in _ENGLISH:
            english += 1
    if danish > english:
        return "da"
    if english > danish:
        return "en"
    return None
