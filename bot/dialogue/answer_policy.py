"""The dialogue policy: what the bot does with one customer message. Pure, no I/O."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handoff import payloads
from knowledge.analysis import Analyzer, tokenize

if TYPE_CHECKING:
    from knowledge.index import Candidate

#: The default answer threshold. The search's score is the estimated chance that the best
#: article is the right answer (knowledge.index), so one default serves knowledge of every
#: size and language: chosen on the sample's realistic cases, CLINC150 and Banking77 dev
#: (docs/knowledge.md). `helpline kb calibrate` fine-tunes it for a deployment.
ANSWER_THRESHOLD = 0.8
#: The default clarify margin: another article this close to the best makes the bot ask.
CLARIFY_MARGIN = 0.04

_PEOPLE_EN = (
    r"(?:a |an |some |the |real |actual |live )*"
    r"(?:human|humans|person|people|agent|someone|somebody|operator|staff|representative|"
    r"supporter|technician|man|woman|being)"
)
# Danish staff ("en medarbejder") and, after the longer verbs, anyone ("nogen", "en kollega").
_STAFF_WORDS_DA = "menneske|mennesker|medarbejder|medarbejdere|person|supporter|tekniker"
_STAFF_DA = rf"(?:et |en |rigtig |rigtigt |levende )*(?:{_STAFF_WORDS_DA})"
_PEOPLE_DA = rf"(?:et |en |nogen |rigtig |rigtigt |levende )*(?:{_STAFF_WORDS_DA}|nogen|kollega)"
_HUMAN_REQUEST = re.compile(
    r"\b(?:"
    rf"(?:talk|speak|chat|write)\s+(?:to|with)\s+{_PEOPLE_EN}"
    rf"|(?:connect|transfer|put)\s+me\s+(?:to|through\s+to|with)\s+{_PEOPLE_EN}"
    rf"|(?:i\s+want|i\s+need|can\s+i\s+get|get\s+me|give\s+me)\s+{_PEOPLE_EN}"
    rf"|(?:tale|snakke|chatte|skrive)\s+med\s+{_PEOPLE_DA}"
    rf"|(?:jeg\s+vil\s+have|jeg\s+har\s+brug\s+for|giv\s+mig)\s+{_PEOPLE_DA}"
    # "tal med en medarbejder" too: the bot's own help tells Danish customers to write it.
    # These shorter forms name staff only: "få fat i nogen på mailen" and "chat med en
    # kollega i Teams" are questions.
    rf"|(?:tal|snak|chat|skriv)\s+med\s+{_STAFF_DA}"
    rf"|(?:få|have)\s+fat\s+i\s+{_STAFF_DA}"
    rf"|(?:stil|send)\s+mig\s+videre\s+til\s+{_STAFF_DA}"
    r")\b"
    r"|^\s*(?:human|person|agent|operator|menneske|medarbejder)\s*[.!?]*\s*$",
    re.IGNORECASE,
)


# Words that go with asking for a person but say nothing of what about: the people asked
# for, wanting and asking, politeness, hurry, greetings, and the bot and what the customer
# thinks of it. Besides them, stop words and words that only say something is wrong ("not
# working", "virker ikke") say nothing of a topic either (knowledge.analysis).
_ASK_WORDS = frozenset(
    word
    for words in (
        # The people asked for, and how.
        "human humans person people agent agents someone somebody operator staff",
        "representative supporter technician man woman being real actual live",
        "menneske mennesker medarbejder medarbejdere nogen kollega tekniker rigtig rigtigt",
        "levende",
        # Asking and wanting.
        "talk speak chat write connect transfer put through want need get give let like id",
        "would love rather prefer possible ok okay yes sure",
        "tale tal snakke snak chatte chat skrive skriv gerne have få fat lov brug venligst",
        "stil send videre",
        # Hurry and greetings.
        "now right away asap immediately urgent urgently quickly soon today instead still",
        "again morning afternoon evening good",
        "nu straks hurtigt haster idag dag igen stadig godmorgen goddag godt",
        # The bot, and what the customer thinks of it.
        "bot robot chatbot machine nothing anything useless stupid dumb terrible",
        "botten robotten intet ingenting ubrugelig elendig dum dårlig",
    )
    for word in words.split()
)
# Without a known language: the stop and weak words of English and Danish.
_WORDS = Analyzer(None)


def asks_for_person(text: str) -> bool:
    """Tell whether the customer asks to talk to a person (English or Danish wording)."""
    return text.strip().lower() == payloads.HUMAN or _HUMAN_REQUEST.search(text) is not None


def says_more_than_the_ask(text: str) -> bool:
    """Tell whether a message that asks for a person also says what about.

    "I need a person, my printer is on fire" does; "can I talk to a real person now,
    please?" does not. With the words that ask removed, a word must remain that names a
    topic: not a stop word, not one that only says something is wrong, and not one that goes
    with the ask (:data:`_ASK_WORDS`).
    """
    rest = _HUMAN_REQUEST.sub(" ", text)
    return any(
        not (_WORDS.stop_word(word) or _WORDS.weak_word(word) or word in _ASK_WORDS)
        for word in tokenize(rest)
        if not word.isdigit()
    )


class Outcome(enum.StrEnum):
    """What the bot does with a question for the knowledge base."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    FALLBACK = "fallback"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When the bot answers: a minimum score, and how close a second candidate may be."""

    answer: float
    clarify_margin: float


@dataclass(frozen=True, slots=True)
class KnowledgeDecision:
    """The outcome and the candidates it rests on (one for ANSWER, two or more for CLARIFY)."""

    outcome: Outcome
    candidates: tuple[Candidate, ...]


def decide(candidates: Sequence[Candidate], thresholds: Thresholds) -> KnowledgeDecision:
    """Pick answer, clarify or fallback from ranked search candidates.

    Answer when the best candidate clears the threshold and no other article comes
    within ``clarify_margin`` of it; ask which one was meant when several do; otherwise
    fall back (the bot says it is unsure and offers a person rather than guess).
    """
    confident = [c for c in candidates if c.score >= thresholds.answer]
    if not confident:
        return KnowledgeDecision(Outcome.FALLBACK, tuple(candidates[:1]))
    best = confident[0]
    # Translations of one article are one choice: "did you mean A or A?" helps nobody.
    close: dict[str, Candidate] = {}
    for c in confident:
        if best.score - c.score <= thresholds.clarify_margin:
            close.setdefault(c.article.id, c)
    if len(close) > 1:
        return KnowledgeDecision(Outcome.CLARIFY, tuple(close.values())[:3])
    return KnowledgeDecision(Outcome.ANSWER, (best,))
