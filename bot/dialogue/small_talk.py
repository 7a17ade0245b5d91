"""Small talk: greetings, thanks, goodbyes and the like, answered with a short phrase.

Such a message is not a question for the knowledge: searching it would only find a poor
match and fall back, which offered a person for "hi" and, twice in a row, handed the
customer over. The runtime answers it with a phrase of its own instead (``bot.dialogue.phrases``,
keys ``small_talk_*``), which is never a fallback, never counts towards a handoff and is
never listed among the unanswered questions.

Only a message that is small talk as a whole counts: "hi, my vpn is down" is a question.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from knowledge.analysis import normalize


class SmallTalk(enum.StrEnum):
    """The kinds of small talk; each has its phrase ``small_talk_<kind>``."""

    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    BOT = "bot"
    PING = "ping"
    ACKNOWLEDGE = "acknowledge"
    HELP = "help"


@dataclass(frozen=True, slots=True)
class Recognised:
    """A small-talk message: its kind and, when its words tell, its language."""

    kind: SmallTalk
    language: str | None


# Whole messages, after normalisation (lower case, punctuation gone). Each kind lists its
# English and Danish wordings; a few are shared ("ok", "hallo", "test").
# Declining an offer ("no thanks"): an acknowledgement, and never "it did not help"
# (bot.dialogue.verdict asks :func:`declines`).
_DECLINE = {
    "en": r"(?:no|nope)(?: (?:thanks|thank you|thx))(?: im good)?",
    "da": r"nej(?: (?:tak|mange tak))(?: det er fint)?",
}
_PATTERNS: dict[SmallTalk, dict[str, str]] = {
    SmallTalk.GREETING: {
        "en": r"(?:hi|hello|hey|hiya|howdy|yo|good (?:morning|afternoon|evening|night))"
        r"(?: there| again| bot| helpline)?",
        "da": r"(?:hej|hejsa|hejhej|dav|davs|goddag|godmorgen|god morgen|godaften|god aften|"
        r"halløj|hallo|hallo hallo)(?: med dig| igen| bot)?",
    },
    SmallTalk.THANKS: {
        "en": r"(?:(?:ok |okay |great |perfect |cool |awesome )?(?:thanks?|thank you|thx|ty|cheers)"
        r"(?: (?:a lot|so much|very much|again|mate|for (?:the|your) help|for helping))?"
        r"|that helped|that worked|it works now|works now)",
        "da": r"(?:(?:ok |okay |super |perfekt |fedt )?(?:tak|tusind tak|mange tak|tak skal du have"
        r"|takker)(?: for hjælpen| for det| igen| så meget)?"
        r"|det hjalp|det virker nu|nu virker det)",
    },
    SmallTalk.GOODBYE: {
        "en": r"(?:bye|goodbye|bye bye|see you|see ya|good night|have a nice (?:day|evening))",
        "da": r"(?:farvel|hej hej|vi ses|god nat|hav en god (?:dag|aften)|ha en god dag)",
    },
    SmallTalk.BOT: {
        "en": r"(?:are you (?:a |an )?(?:bot|robot|human|person|real|ai|machine)"
        r"|am i (?:talking|chatting|speaking) (?:to|with) (?:a |an )?(?:bot|robot|human|person|ai)"
        r"|who are you|what are you)",
        "da": r"(?:er du (?:en )?(?:bot|robot|et menneske|menneske|rigtig|ægte|ai)"
        r"|taler jeg med (?:en )?(?:bot|robot|et menneske|menneske)"
        r"|hvem er du|hvad er du)",
    },
    SmallTalk.PING: {
        "en": r"(?:hello|hi|anyone there|anybody there|is anyone there|are you there|test|testing"
        r"|test test)",
        "da": r"(?:hallo|hej|er der nogen|er der nogen der|er du der|test|tester)",
    },
    SmallTalk.ACKNOWLEDGE: {
        "en": r"(?:ok|okay|k|kk|fine|alright|all right|got it|i see|sure|cool|great|nice|good"
        rf"|{_DECLINE['en']})",
        "da": r"(?:ok|okay|fint|godt|forstået|javel|nå|nå okay|super|fedt|fint nok|ja|jo"
        rf"|{_DECLINE['da']}|det er fint)",
    },
    SmallTalk.HELP: {
        "en": r"(?:help|help me|help please|please help|i need help|what can you do"
        r"|how does this work|what do you do|menu)",
        "da": r"(?:hjælp|hjælp mig|jeg har brug for hjælp|hvad kan du|hvad kan du hjælpe med"
        r"|hvordan virker det|hvordan virker det her)",
    },
}

_COMPILED = {
    kind: {lang: re.compile(rf"(?:{pattern})(?: please| tak)?") for lang, pattern in table.items()}
    for kind, table in _PATTERNS.items()
}
# A message that is only a thumbs-up, a smile or a wave.
_EMOJI = {
    "\U0001f44d": SmallTalk.ACKNOWLEDGE,  # thumbs up
    "\U0001f44c": SmallTalk.ACKNOWLEDGE,  # OK hand
    "\U0001f642": SmallTalk.ACKNOWLEDGE,  # slightly smiling face
    "\U0001f60a": SmallTalk.ACKNOWLEDGE,  # smiling face with smiling eyes
    "\U0001f44b": SmallTalk.GREETING,  # waving hand
    "\U0001f64f": SmallTalk.THANKS,  # folded hands
}
# Checked in this order: "hello?" is a ping, "hello" a greeting; "hej hej" a goodbye.
_ORDER = (
    SmallTalk.HELP,
    SmallTalk.BOT,
    SmallTalk.THANKS,
    SmallTalk.GOODBYE,
    SmallTalk.GREETING,
    SmallTalk.ACKNOWLEDGE,
    SmallTalk.PING,
)
# Longer messages are questions even when they start like small talk.
_MAX_CHARS = 60
# What decorates an emoji without changing what it says: the emoji presentation
# selector, the joiner and the five skin tones ("👍🏽" is a thumbs-up).
_DECORATION = frozenset("\ufe0f\u200d\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")


_DECLINES = re.compile("|".join(_DECLINE.values()))


def declines(words: str) -> bool:
    """Whether normalised ``words`` decline an offer ("no thanks", "nej tak")."""
    return _DECLINES.fullmatch(words) is not None


def emoji_symbols(text: str) -> list[str]:
    """The characters of ``text`` but spaces and emoji decoration."""
    return [c for c in text if not c.isspace() and c not in _DECORATION]


def recognise(text: str) -> Recognised | None:
    """The small talk a whole message is, or ``None`` when it is (or may be) a question.

    Args:
        text: The customer's message.

    Returns:
        Its kind and language (``"en"``, ``"da"`` or ``None`` for words both share).
    """
    stripped = text.strip()
    if not stripped or len(stripped) > _MAX_CHARS:
        return None
    symbols = emoji_symbols(stripped)
    if symbols and all(c in _EMOJI or c in "!." for c in symbols):
        kinds = {_EMOJI[c] for c in symbols if c in _EMOJI}
        return Recognised(kinds.pop(), None) if len(kinds) == 1 else None
    words = normalize(stripped)
    if not words:
        return None
    asks = stripped.rstrip().endswith("?")
    for kind in _ORDER:
        # A bare "hello?" or "test?" checks that someone is there; without "?" it greets.
        if kind is SmallTalk.PING and not asks and words not in {"test", "testing", "tester"}:
            continue
        languages = [lang for lang, p in _COMPILED[kind].items() if p.fullmatch(words)]
        if languages:
            if kind is SmallTalk.GREETING and asks and words in {"hello", "hallo", "hi", "hej"}:
                return Recognised(SmallTalk.PING, _only(languages))
            return Recognised(kind, _only(languages))
    return None


def _only(languages: list[str]) -> str | None:
    return languages[0] if len(languages) == 1 else None
