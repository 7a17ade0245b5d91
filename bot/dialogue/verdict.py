"""A typed answer to "Did this help?": "no", "nej det hjalp ikke", "yes, that helped".

Under every answer the bot shows "Yes, that helped" / "No, it did not help" buttons; a
customer who types the answer instead means the same thing. Searched as a question, "no"
found nothing, fell back, and a second such line handed the customer over for questions
the bot "could not answer". Right after an answer the runtime reads such a message as the
press (``bot.runtime.turn``); anywhere else it stays what it was.

The rule: only a message that is a verdict as a whole counts, in English or Danish: the
verdict's words ("no", "it didn't work", "virkede ikke", "ja", "it worked") and at most a
word of politeness or regret around them ("sorry", "unfortunately", "tak", "desværre"); a
bare "no thanks" or "nej tak" declines an offer and is small talk.
A message that says more ("no, and now outlook crashes too") states a problem: it is a
question. Thanks right after an answer ("thanks!", "perfekt, tak", "det hjalp"; small talk,
``bot.dialogue.small_talk``) is a "yes" too, and a thumb up or down alone is a "yes" or a
"no".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.dialogue import small_talk
from knowledge.analysis import normalize


@dataclass(frozen=True, slots=True)
class Verdict:
    """A typed verdict: whether the answer helped and, when its words tell, the language."""

    helped: bool
    language: str | None


_EN_NOT = r"(?:did not|didnt|does not|doesnt|do not|dont|has not|hasnt|have not|havent)"
_EN_WHAT = r"(?:it|anything|the problem|my problem)"
_EN_DID = (
    rf"(?:help(?:ed)?|work(?:ed)?|solved? {_EN_WHAT}|fix(?:ed)? {_EN_WHAT}|answer my question)"
)
_EN_SUBJECT = r"(?:(?:it|that|this|the answer|your answer)(?: still)? )?"
_EN_FAILED = (
    rf"(?:{_EN_SUBJECT}(?:still )?{_EN_NOT} (?:really )?{_EN_DID}"
    r"|(?:it |that |this )?(?:is |was |its |thats )?(?:still )?not"
    r" (?:working|helpful|helping|solved|fixed)"
    r"|(?:it |that |this )?(?:isnt|wasnt) (?:working|helpful)|no help|no luck|still broken"
    r"|(?:it|that) (?:did not|didnt|does not|doesnt))"
    r"(?: (?:at all|either|for me))?"
)
_EN_NO = r"(?:no|nope|nah|not really|not at all|sadly not|unfortunately not|afraid not)"
_EN_HELPED = (
    r"(?:(?:it|that|this|the answer)(?: really)? )?"
    r"(?:helped|worked|works|works now|did help|did the trick|solved it|fixed it)"
)
_EN_YES = r"(?:yes|yeah|yep|yup|yea|it did|that did|correct|absolutely|definitely)"

_DA_SUBJECT = r"(?:(?:det|den|svaret|det her)(?: har)? )?"
_DA_FAILED = (
    rf"(?:{_DA_SUBJECT}(?:hjalp|hjælper|virkede|virker|fungerede|fungerer|løste det|løser det)"
    r" (?:(?:desværre|stadig|altså) ){0,2}ikke(?: rigtig| helt| desværre)?"
    rf"|{_DA_SUBJECT}(?:desværre |stadig )?ikke (?:hjulpet|virket|fungeret|løst det)"
    r"|ingen hjælp)"
)
_DA_NO = r"(?:nej|næ|nix|desværre ikke|ikke rigtig|ikke helt|desværre nej|nej desværre)"
_DA_HELPED = (
    rf"(?:{_DA_SUBJECT}(?:hjalp|virkede|virker|virker nu|fungerede|fungerer|løste det"
    r"|hjulpet|virket))"
)
_DA_YES = r"(?:ja|jep|jeps|jo|jamen|jada|ja da|jo da|korrekt|det gjorde det|ja det gjorde)"

_REGRET = {
    "en": r"(?: (?:sorry|unfortunately|sadly|though|thanks|thank you))?",
    "da": r"(?: (?:desværre|altså|tak|beklager))?",
}
_THANKS = {
    "en": r"(?: (?:thanks|thank you|thx|cheers|great|perfect))?",
    "da": r"(?: (?:tak|mange tak|tusind tak|perfekt|super|fedt))?",
}
_PATTERNS: dict[bool, dict[str, re.Pattern[str]]] = {
    False: {
        "en": re.compile(rf"(?:{_EN_NO}(?: {_EN_FAILED})?|{_EN_FAILED}){_REGRET['en']}"),
        "da": re.compile(rf"(?:{_DA_NO}(?: {_DA_FAILED})?|{_DA_FAILED}){_REGRET['da']}"),
    },
    True: {
        "en": re.compile(rf"(?:{_EN_YES}(?: {_EN_HELPED})?|{_EN_HELPED}){_THANKS['en']}"),
        "da": re.compile(rf"(?:{_DA_YES}(?: {_DA_HELPED})?|{_DA_HELPED}){_THANKS['da']}"),
    },
}
# Longer messages say more than a verdict.
_MAX_CHARS = 60
# A thumb up or down, alone, is how many people answer "Did this help?".
_THUMBS = {"\U0001f44d": True, "\U0001f44e": False}


def recognise(text: str) -> Verdict | None:
    """The verdict a whole message gives, read as the reply to "Did this help?".

    Only meaningful right after an answer: elsewhere "no" or "ja" answers something else.

    Args:
        text: The customer's message.

    Returns:
        The verdict, or ``None`` when the message is (or may be) something else.
    """
    stripped = text.strip()
    if not stripped or len(stripped) > _MAX_CHARS:
        return None
    symbols = {c for c in small_talk.emoji_symbols(stripped) if c not in "!."}
    if len(symbols) == 1 and (thumb := symbols.pop()) in _THUMBS:
        return Verdict(_THUMBS[thumb], None)
    chat = small_talk.recognise(stripped)
    if chat is not None and chat.kind is small_talk.SmallTalk.THANKS:
        return Verdict(True, chat.language)
    words = normalize(stripped)
    if small_talk.declines(words):
        # "no thanks" declines the answer's offer of a person: small talk, not "it did not
        # help" ("it did not help, thanks" still is).
        return None
    for helped, patterns in _PATTERNS.items():
        languages = [lang for lang, p in patterns.items() if p.fullmatch(words)]
        if languages:
            return Verdict(helped, languages[0] if len(languages) == 1 else None)
    return None
