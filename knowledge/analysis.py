"""Text analysis shared by the search index and the language guess.

Normalisation turns any string, however hostile (NUL, lone surrogates, 1 MB of text), into
lower-case words of letters and digits. An :class:`Analyzer` then drops a few stop words and
stems what is left with the Snowball stemmer of its language.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import snowballstemmer

#: Languages with a stemmer and a stop-word list.
SUPPORTED_LANGUAGES = ("en", "da")

_SNOWBALL_NAMES = {"en": "english", "da": "danish"}


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Deliberately small: only words that carry no topic. Negations ("not", "no", "ikke", "nej")
# stay, because "works" and "does not work" are different questions.
_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _word_set(
        """a an the and or but if then so of to in on at by for from with about as into
        i me my mine we us our you your yours he him his she her it its they them their
        this that these those there here is am are was were be been being do does did
        have has had can could would should will shall may might must
        how what which who whom whose when where why
        please hi hello hey thanks thank just also any some
        im ive youre youve theyre weve thats whats wheres hows whos theres"""
    ),
    "da": _word_set(
        """en et den det de og eller men hvis så af til i på ved for fra med om som
        jeg mig min mit mine vi os vores du dig din dit dine han ham hans hun hende
        dem deres sig sin sit sine der her er var være været har havde
        kan kunne vil ville skal skulle må måtte
        hvordan hvad hvilken hvilket hvilke hvem hvornår hvor hvorfor
        hej tak bare også nogen noget nogle
        når meget lige altså jo nu sådan nok vel dog"""
    ),
}

# Words that say that something is wrong, or ask for help, but not what it is about: in a
# support question the other words decide the topic ("outlook virker ikke" is about
# Outlook). The search weighs them low (knowledge.tfidf).
_WEAK_WORDS: dict[str, frozenset[str]] = {
    "en": _word_set(
        """not no work works working worked broken broke problem problems issue issues
        error help fix wrong trouble anymore again stopped stop keeps keep"""
    ),
    "da": _word_set(
        """ikke ikk ik virker virke virkede fungerer fungere fungerede problem problemer
        fejl hjælp hjælpe galt mere igen længere stoppet holdt op går gået"""
    ),
}

# People without a Danish keyboard write æ, ø and å as ae, oe and aa ("vaer", "adgangskoede"):
# Danish words are compared in that spelling, whichever way they were typed.
_DANISH_FOLDING = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})

# English negated contractions, as they look once apostrophes are gone. Expanding them makes
# "the vpn doesn't work" and "the vpn is not working" share the word "not".
_NEGATIONS: dict[str, tuple[str, ...]] = {
    contraction: (head, "not")
    for contraction, head in {
        "dont": "do", "doesnt": "does", "didnt": "did", "cant": "can", "cannot": "can",
        "couldnt": "could", "wont": "will", "wouldnt": "would", "shouldnt": "should",
        "isnt": "is", "arent": "are", "wasnt": "was", "werent": "were", "havent": "have",
        "hasnt": "has", "hadnt": "had", "mustnt": "must", "neednt": "need",
    }.items()
}  # fmt: skip

# Exactly Unicode's control category (Cc): C0, DEL and C1.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Letters and digits form words; everything else separates them. The underscore is a word
# character for `re`, so it is split off explicitly.
_NON_WORD = re.compile(r"[\W_]+")
# "doesn't" and "doesnt" should be the same word, so apostrophes inside words vanish instead
# of splitting them. NFKC leaves typographic apostrophes alone, hence the explicit list.
_APOSTROPHE = re.compile(r"(?<=\w)['\u2019\u02bc](?=\w)")

# Stemming runs in pure Python; the cache makes a repeated word cost a dictionary lookup.
# It is cleared when full so that a stream of unique junk words cannot grow it forever.
_STEM_CACHE_SIZE = 50_000
# Snowball's rules target ordinary words; a 2000-letter token is kept as it is.
_MAX_STEMMED_LENGTH = 40


def clean(text: str) -> str:
    """Make any string safe to process: no lone surrogates, no control characters.

    Args:
        text: Arbitrary text, possibly containing NUL or unpaired UTF-16 surrogates.

    Returns:
        The text with surrogates replaced by ``?`` and control characters by spaces.
    """
    safe = text.encode("utf-8", errors="replace").decode("utf-8")
    return _CONTROL.sub(" ", safe)


def normalize(text: str) -> str:
    """Fold text to the form the index compares: NFKC, casefolded, words separated by spaces.

    Punctuation and symbols become spaces; Danish letters (æ, ø, å) and other letters and
    digits are kept; apostrophes inside words are removed (``can't`` becomes ``cant``).

    Args:
        text: Arbitrary text.

    Returns:
        Space-separated words, possibly the empty string.
    """
    folded = unicodedata.normalize("NFKC", clean(text)).casefold()
    # Casefolding can produce characters that are no longer in NFKC form (rare), so the
    # normal form is applied once more, as Unicode's NFKC_Casefold would.
    folded = unicodedata.normalize("NFKC", folded)
    folded = _APOSTROPHE.sub("", folded)
    return " ".join(_NON_WORD.split(folded)).strip()


def tokenize(text: str) -> list[str]:
    """Split text into normalised words.

    Args:
        text: Arbitrary text.

    Returns:
        The words of :func:`normalize`, in order.
    """
    return normalize(text).split()


def base_language(lang: str | None) -> str | None:
    """The primary subtag of a language code (``en-GB`` → ``en``), or ``None``."""
    return None if lang is None else lang.split("-", 1)[0].lower()


@dataclass(frozen=True, slots=True)
class Analysis:
    """The searchable words of one text.

    Attributes:
        terms: Normalised words without stop words, in order (surface forms).
        stems: Stems of ``terms``, in order; with no known language a word whose English and
            Danish stems differ contributes both.
    """

    terms: tuple[str, ...]
    stems: tuple[str, ...]


class Analyzer:
    """Stop-word removal and stemming for one language.

    A supported language (see :data:`SUPPORTED_LANGUAGES`) gets its own stop words and
    stemmer. ``None`` means the language is unknown: the stop words of every supported
    language are dropped and every word is stemmed with every stemmer. Any other language
    code gets neither: its words are compared as they are.

    Safe to share between threads.
    """

    def __init__(self, lang: str | None) -> None:
        """Create an analyzer.

        Args:
            lang: A language code such as ``en`` or ``da-DK``, or ``None`` for unknown.
        """
        self.lang = lang
        base = base_language(lang)
        if base is None:
            codes: tuple[str, ...] = SUPPORTED_LANGUAGES
        elif base in SUPPORTED_LANGUAGES:
            codes = (base,)
        else:
            codes = ()
        self._stop_words = frozenset().union(*(_STOP_WORDS[code] for code in codes))
        self._weak_words = frozenset().union(*(_WEAK_WORDS[code] for code in codes))
        self._weak_stems: frozenset[str] | None = None
        self._folds = "da" in codes
        self._expansions = _NEGATIONS if "en" in codes else {}
        self._stemmers: tuple[Callable[[str], str], ...] = tuple(
            snowballstemmer.stemmer(_SNOWBALL_NAMES[code]).stemWord for code in codes
        )
        self._cache: dict[str, tuple[str, ...]] = {}
        # Snowball stemmer objects keep per-call state, so two threads must not share one
        # mid-word. Cache hits need no lock.
        self._lock = threading.Lock()

    def weak(self, feature: str) -> bool:
        """Whether a word feature (a stem, or two stems with a space) says little about a topic.

        A word pair is weak when both of its words are: "virker ikke" is, "wifi virker" not.
        """
        if self._weak_stems is None:
            self._weak_stems = frozenset(
                stem for word in self._weak_words for stem in self._stem(word)
            )
        return all(part in self._weak_stems for part in feature.split(" "))

    def stop_word(self, word: str) -> bool:
        """Whether a word (as :func:`tokenize` gives it) is one of the language's stop words."""
        return word in self._stop_words

    def weak_word(self, word: str) -> bool:
        """Whether a word (as :func:`tokenize` gives it) says little about a topic."""
        return word in self._weak_words or all(self.weak(stem) for stem in self._stem(word))

    def analyze(self, text: str) -> Analysis:
        """Normalise, expand negated contractions (English), drop stop words and stem.

        When every word is a stop word the words are all kept, so that a question such as
        "who are you?" stays searchable.

        Args:
            text: Arbitrary text.

        Returns:
            The terms and stems; both empty when the text has no words.
        """
        return self.analyze_words(tokenize(text))

    def analyze_words(self, words: Sequence[str]) -> Analysis:
        """:meth:`analyze` for a text that :func:`tokenize` has already split.

        Args:
            words: The text's words, as :func:`tokenize` gives them.

        Returns:
            The terms and stems; both empty when there are no words.
        """
        parts = [part for word in words for part in self._expansions.get(word, (word,))]
        terms = [part for part in parts if part not in self._stop_words] or parts
        if self._folds:
            terms = [term.translate(_DANISH_FOLDING) for term in terms]
        return Analysis(terms=tuple(terms), stems=tuple(self._stem_all(terms)))

    def _stem_all(self, terms: Iterable[str]) -> list[str]:
        stems: list[str] = []
        for term in terms:
            stems.extend(self._stem(term))
        return stems

    def _stem(self, term: str) -> tuple[str, ...]:
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        folded = term.translate(_DANISH_FOLDING) if self._folds else term
        if len(folded) > _MAX_STEMMED_LENGTH or not self._stemmers:
            return (folded,)
        with self._lock:
            # dict.fromkeys keeps the first of equal stems, in stemmer order.
            stems = tuple(dict.fromkeys(stem(folded) for stem in self._stemmers))
            if len(self._cache) >= _STEM_CACHE_SIZE:
                self._cache.clear()
            # Kept under the word as it was asked for: weak_word() asks with "ø", not "oe".
            self._cache[term] = stems
        return stems
