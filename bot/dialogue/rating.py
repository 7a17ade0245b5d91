"""A typed answer to "How did we do?": "5", "4 out of 5", "5 stjerner", "fem", "⭐⭐⭐⭐".

After a conversation is resolved the bot asks for a rating from 1 to 5 and shows the five
buttons; a customer who types the number instead means the same thing. Searched as a
question, "5" found nothing, fell back, and "5 stars" after it handed a happy customer
over to people (at night: queued until the morning), and the rating was lost. Right after
the rating request the runtime reads such a message as the press (``bot.runtime.desk``);
anywhere else a bare "5" stays what it was.

The rule: only a message that is a rating as a whole counts, in English or Danish: a number
from 1 to 5 in digits or words ("4", "four", "fire"), optionally "out of 5" ("4/5", "4 of
five", "4 ud af 5") and "stars" ("5 stars", "5 stjerner"), with at most a word of thanks
around it ("5, thanks", "tak, 5"); or a row of one to five stars ("⭐⭐⭐⭐", "★★★★☆",
"*****"), counted. A number outside 1-5 ("6", "10/10", "0 stars") or a scale other than 5
("7/10") is no rating, nor is a message that says more ("5 but the vpn is down again").
When a message has both a number and stars ("5 ⭐"), the number is the rating.
"""

from __future__ import annotations

import re

from bot.dialogue.small_talk import emoji_symbols
from handoff.payloads import RATINGS
from knowledge.analysis import normalize

_NUMBERS = {
    **{str(n): n for n in RATINGS},
    **{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5},
    **{"en": 1, "én": 1, "et": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5},
}
_NUMBER = "|".join(sorted(_NUMBERS, key=len, reverse=True))
# "/" becomes " out of " before the words are normalised (normalising drops it): "4/5".
_OUT_OF_FIVE = r"(?: (?:out of|of|ud af|af) (?:5|five|fem))?"
_STARS_WORD = r"(?: (?:stars?|stjerner?))?"
_THANKS = (
    r"(?:(?:great |perfect |super |perfekt )?(?:thanks|thank you|thx|ty|cheers)"
    r"|(?:mange |tusind )?tak|great|perfect|super|perfekt)"
)
_RATING = re.compile(
    rf"(?:{_THANKS} )?(?P<number>{_NUMBER}){_OUT_OF_FIVE}{_STARS_WORD}(?: {_THANKS})?"
    rf"|(?:{_THANKS})?"
)
# What a star looks like in a row of them: the emoji, the glowing one, the typographic one
# and the asterisk; an empty star only pads a row to five ("★★★★☆").
_STARS = frozenset("\u2b50\U0001f31f\u2605*")
_EMPTY_STAR = "\u2606"
# What a rating may carry besides its words and stars; anything else says more.
_PUNCTUATION = frozenset("!.,/")
# Longer messages say more than a rating.
_MAX_CHARS = 40


def recognise(text: str) -> int | None:
    """The rating from 1 to 5 a whole message gives, read as the reply to "How did we do?".

    Only meaningful right after the rating request: elsewhere "5" or "fire" say something
    else.

    Args:
        text: The customer's message.

    Returns:
        The rating, or ``None`` when the message is (or may be) something else.
    """
    stripped = text.strip()
    if not stripped or len(stripped) > _MAX_CHARS:
        return None
    symbols = emoji_symbols(stripped)
    if any(not c.isalnum() and c not in _PUNCTUATION | _STARS | {_EMPTY_STAR} for c in symbols):
        return None
    match = _RATING.fullmatch(normalize(stripped.replace("/", " out of ")))
    if match is None:
        return None
    if match["number"] is not None:
        return _NUMBERS[match["number"]]
    stars, empty = sum(c in _STARS for c in symbols), symbols.count(_EMPTY_STAR)
    if stars not in RATINGS or (empty and stars + empty != max(RATINGS)):
        return None
    return stars
