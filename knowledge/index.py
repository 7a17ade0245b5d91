"""The search index: which articles answer a customer's message, and how sure we are.

Method (v3, chosen by measurement on development data, see ``docs/knowledge.md``). Every article
contributes its title and each of its questions as a *variant*.

1. *Variant similarity*: ``a · cos(embeddings) + (1 - a) · tfidf``, where the embeddings are
   static word embeddings (:mod:`knowledge.embedding`, paraphrase) and ``tfidf`` is the
   weighted cosine of stemmed words and character n-grams (:mod:`knowledge.tfidf`, typos,
   inflection, Danish compounds). The embedding model knows English best, so its weight
   ``a`` is higher for English than for other languages.
2. *Article similarity* ``F``: the mean of the best variant and the mean of the best three
   variants (an article that several questions support beats one lucky question), blended
   with the cosine of the message and the article's mean embedding. The answer text adds
   weaker evidence: ``F + k · answer · (1 - F)``. Once the article classifier
   (:mod:`knowledge.classifier`, trained on the questions' embeddings and words) is ready, its
   probability for the article is blended in: ``0.8 F + 0.2 p · min(1, F / 0.4)`` (the
   classifier picks among the articles even for an off-topic message, so its evidence
   counts in full only where the message already resembles the article). A message that is
   exactly one of the questions has ``F = 1``.
3. *Ranking score*: each article's ``F`` is blended with its share of a softmax over the
   best articles (``G = 0.6 F + 0.4 share``), and the ranking score is
   ``G · (1 + G - G') / 2``, where ``G'`` is the best ``G`` of any other article: a message
   that two articles fit equally well is less certain than one that only one article fits.
4. *Confidence* (the candidate's score): how likely the article is the right answer, a
   logistic model of evidence that the message is about the article and not only similar to
   it (:class:`Evidence`): ``F``, the ranking score, the best question's similarity, the
   classifier's probability, the share of the message's words that no article uses, the
   share that this article uses (both weighed by idf, so "virker ikke" counts little), the
   similarity of the best *background* question (:mod:`knowledge.background`: everyday
   questions that belong to no article, such as "is the canteen open"), how many
   questions an article has on average (with 100 questions an unrelated message finds a
   close one more easily than with 6), and the language's *reference level*: how close a
   question of the base comes, on average, to the questions of other articles, measured at
   build time on held-out copies of its own questions (in a base of close topics an
   uncovered question finds a near neighbour). The model was fitted once, on development
   data of three kinds of knowledge (the sample's realistic cases, CLINC150, Banking77 with
   unseen intents); the knowledge base does not change it, so building stays fast. An exact
   question scores 1.

The score is meant to read the same for every message and knowledge base, so that one
default threshold separates "answer" from "ask a person" (``docs/knowledge.md`` shows how
far that holds; ``helpline kb calibrate`` fine-tunes the threshold for a deployment).

Danish: words that only say that something is wrong ("virker ikke", "fungerer ikke") weigh
little in the word vectors and are left out of the embedded text, so "outlook virker ikke"
is about Outlook; æ, ø and å are compared as ae, oe and aa ("vaer", "laast"); a Danish
message with words only the English articles use ("min laptop er mega slow") is searched in
both languages; a compound typed as two words is read as one ("fraværs besked"); a long
message is embedded with its topic words alone, without the stop words that the
English-trained model would read as English.

Each language has its own vector spaces: a message is compared with English articles as
English text and with Danish articles as Danish text, so no language guess is needed. When
the caller knows the message's language (the service does: the conversation's) and every
article is written in it, only that language is searched: the bot answers in it anyway,
and it halves the work with two languages (on the sample knowledge's cases the same
questions are answered right, see ``docs/knowledge.md``).
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import math
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import ThreadpoolController

from knowledge.analysis import Analysis, Analyzer, base_language, clean, tokenize
from knowledge.article import Article, KnowledgeBase
from knowledge.background import BACKGROUND
from knowledge.classifier import ArticleClassifier
from knowledge.embedding import Embedding, StaticEmbedding, Vectors
from knowledge.tfidf import Floats, TextField, TextFields

#: A message is cut to this many characters before analysis. Support questions are short;
#: the cut keeps a pasted log file or a hostile 1 MB message to a bounded cost.
MAX_QUERY_CHARS = 2000

_CHAR_NGRAMS = (3, 5)
# a above, per language. 0.8 was best for English on Banking77 dev (0.6: 88.7% top-1 on
# B77-full, 0.8: 89.5%); the model's Danish is weaker, and 0.5 did best on the sample
# knowledge's Danish cases.
_EMBEDDING_WEIGHTS = {"en": 0.8}
_OTHER_EMBEDDING_WEIGHT = 0.5
# How many of an article's best variants are averaged, and the weight of its mean embedding.
_TOP_VARIANTS = 3
# The most padded scores (articles x their most questions) that _best_few sorts at once; a
# shortlist whose articles differ more in size takes a flat path.
_PADDED_BEST_FEW = 4096
_CENTROID_WEIGHT = 0.2
# k above: how much the answer text can add.
_ANSWER_WEIGHT = 0.2
# Only the articles with the best variants are scored in full; the rest cannot win.
_SHORTLIST = 32
# The blend with the softmax share (see _confidences) and its sharpness; on Banking77 dev
# (unseen intents) they raised the answers given at 90% precision from 74% to 77%.
_SHARE_WEIGHT = 0.4
_SHARE_SHARPNESS = 20.0
_POOL = 10
# A variant similarity this close to 1 means the message is that question.
_EXACT = 1.0 - 1e-6
# The share of the article classifier's probability in F (see knowledge.classifier). On
# Banking77 dev 0.2 gave the most answers right at 90% precision on B77-unseen (82.6%,
# against 76.8% without it and 81.4-81.7% at 0.1 and 0.3); top-1 rose from 89.0% to 90.4%
# (B77-full) and from 76.0% to 79.5% (10-shot).
_CLASSIFIER_WEIGHT = 0.2
# The classifier's probability counts in full for an article with F of at least this, and
# in proportion below (B77-unseen: no loss; an off-topic Danish message in the tests scored
# 0.39 without the gate, 0.29 with it).
_CLASSIFIER_GATE = 0.4
# A classifier this small (questions x articles) trains in at most a few tenths of a second
# (the sample knowledge 0.1 s, Banking77 10-shot 0.3 s on a busy 2-core machine, most of it
# for the word features): "background" then trains it before build() returns, so small
# bases behave the same from the start. The index being replaced serves meanwhile.
_INLINE_TRAINING = 200_000
# The niceness of a background training thread (0 is normal, 19 the lowest priority).
_TRAINING_NICENESS = 10

# The confidence model (_confidence): a logistic model of "the best candidate is the right
# answer" on the evidence, fitted on development data only (docs/knowledge.md,
# benchmarks/knowledge/thresholds.py --fit): the sample knowledge's realistic cases, CLINC150
# dev and Banking77 B77-unseen dev, each weighing the same, then moved towards the targets at
# the default threshold. The density terms let an article's similarity mean the same with 6
# questions per article as with 100 (where an unrelated message finds a close question more
# easily), the reference level the same in a base of close topics as in one of distinct
# ones.
_BIAS = -3.265
_RANKING = 0.208
_FIT = 10.91
_BEST_VARIANT = 5.91
_PROBABILITY = 3.369
_UNKNOWN = -1.419
_COVERAGE = 0.909
_BACKGROUND = -1.922
_DENSITY_RANKING = 1.985
_DENSITY_FIT = -4.516
_DENSITY = 1.686
_REFERENCE = -14.462

# Outside English, a text with at least this many topic words is embedded with them alone
# (_LanguageIndex.embeddable). On the sample's Danish development cases 4 did best: with 1
# or 3, short held-out messages lost their article ("min konto er blokeret", "vpn er så
# sløv", "outlook virker ikke" declined); see docs/knowledge.md.
_TOPIC_WORDS_ALONE = 4

# The most words whose knows() answer an index keeps; cleared when full, so that a stream of
# unique junk words cannot grow it forever.
_TERM_CACHE_SIZE = 20_000
# The same for words' letter n-grams, which take more room (about 1 kB a word).
_NGRAM_CACHE_SIZE = 4_000

# A part of a split compound (_LanguageIndex.message_words) has at least this many letters.
_SHORTEST_COMPOUND_PART = 3

# The reference level (_LanguageIndex.reference_level): held-out questions per article and in
# all (the development bases keep all of theirs: the sample 114 per language, CLINC150 450,
# Banking77 231), compared in batches of this many; and the level of a language with fewer
# than two articles, which has nothing to measure against (about the middle of the measured
# levels: 0.40-0.47 on the sample, 0.55-0.63 on CLINC150 and Banking77).
_REFERENCE_QUESTIONS = 3
_REFERENCE_SAMPLES = 500
_REFERENCE_BATCH = 64
_DEFAULT_REFERENCE = 0.5
# The levels the confidence model was fitted on span 0.40-0.60; a base of a few very distinct
# articles measures far less (0.12 in a test base of six) and would get confidence the model
# never learnt to give, so the level is held within about that range.
_REFERENCE_RANGE = (0.35, 0.65)

# The background questions' TF-IDF fields by language, and their embeddings by model and
# language (see _LanguageIndex._background_field).
_BACKGROUND_LOCK = threading.Lock()
_BACKGROUND_FIELDS: dict[tuple[str, bool], TextField | None] = {}
_BACKGROUND_VECTORS: weakref.WeakKeyDictionary[Embedding, dict[str, Vectors]] = (
    weakref.WeakKeyDictionary()
)

#: When the article classifier is trained: in a background thread while the index already
#: serves (the service), before :meth:`SearchIndex.build` returns (evaluation), or never.
Training = Literal["background", "now", "off"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a candidate's score rests on, each in [0, 1] (``helpline kb ask`` shows it).

    Attributes:
        density: The log of the mean number of questions per article in the language.
        ranking: The ranking score: the article's fit blended with its lead over the others.
        best_variant: The similarity of the article's best-matching question.
        probability: The article classifier's probability (the fit until it is trained).
        unknown: The share of the message's words that no article uses at all.
        coverage: The share of the message's words that this article uses.
        background: The message's similarity to the best everyday question that belongs to
            no article (:mod:`knowledge.background`).
        reference: The language's reference level: how similar a question of the knowledge
            base is, on average, to the best question of another article (measured when the
            index is built, see :meth:`_LanguageIndex.reference_level`).
    """

    density: float
    ranking: float
    best_variant: float
    probability: float
    unknown: float
    coverage: float
    background: float
    reference: float


@dataclass(frozen=True, slots=True)
class Candidate:
    """An article that may answer a message.

    Attributes:
        article: The article translation.
        score: Confidence in [0, 1]; comparable across messages and knowledge bases (1 = an
            exact question).
        matched: The title or question of the article that matched best.
        similarity: How well the article fits the message, in [0, 1], before the lead over
            the other articles is taken into account.
    """

    article: Article
    score: float
    matched: str
    similarity: float = 0.0
    evidence: Evidence | None = None


def _embeddable(text: str, words: Sequence[str]) -> str:
    """The text the embedding sees: as written (case helps it), or nothing without words.

    ``words`` are the text's words (:func:`knowledge.analysis.tokenize`).
    """
    # Punctuation alone has embeddings too; "..." must not match "?!".
    return clean(text) if words else ""


@dataclass(frozen=True, slots=True)
class _Found:
    """An article that one language's index found for a message, before it is scored."""

    article: Article
    similarity: float
    language: _LanguageIndex
    # The article's place in its language's index, and the message's variant similarities
    # there: the matched variant is looked up only for the candidates that are returned.
    number: int
    scores: Floats
    probability: float
    message: _Message
    # The similarity of the article's best question.
    best_variant: float

    def coverage(self) -> float:
        """The share of the message's words that the article uses."""
        if not self.message.total:
            return 0.0
        own = self.language.article_words[self.number]
        used = sum(weight for stem, weight in self.message.weights.items() if stem in own)
        return used / self.message.total

    def matched(self) -> str:
        """The title or question of the article that matched best."""
        start, end = self.language.bounds[self.number]
        variant: str = self.language.variants[start + int(self.scores[start:end].argmax())]
        return variant


@dataclass(frozen=True, slots=True)
class _Message:
    """What one language's index learnt about a message, whichever article it is matched to.

    Attributes:
        weights: The message's distinct content words, stemmed, and their idf weights.
        total: The sum of the weights.
        unknown: The weighted share of them that no article of the language uses (a
            misspelt word counts in part, by the share of its letter sequences that are
            unknown).
        background: The similarity of the best background question.
    """

    weights: dict[str, float]
    total: float
    unknown: float
    background: float


class _LanguageIndex:
    """The articles of one language."""

    def __init__(self, lang: str, articles: Sequence[Article], embedding: Embedding) -> None:
        self.lang = lang
        self.analyzer = Analyzer(lang)
        self.embedding = embedding
        self.embedding_weight = _EMBEDDING_WEIGHTS.get(
            base_language(lang) or "", _OTHER_EMBEDDING_WEIGHT
        )
        self.drops_weak = base_language(lang) != "en"
        # English writes compounds apart ("key card"); Danish writes them as one word, and a
        # word split in two ("fraværs besked") is a typing habit (see message_words).
        self.joins_split = base_language(lang) != "en"
        self.articles = tuple(articles)
        self.variants = tuple(v for article in self.articles for v in article.variants)
        sizes = [len(article.variants) for article in self.articles]
        # How many questions an article has here, on average (the log): see _confidence.
        self.density = math.log(max(1.0, len(self.variants) / max(1, len(self.articles))))
        # Variants are stored article by article; starts[i] is article i's first variant.
        self.starts = np.cumsum([0, *sizes[:-1]], dtype=np.int64)
        self.ends = self.starts + np.asarray(sizes, dtype=np.int64)
        # The same as Python numbers, for the loop over the few candidates of a search.
        self.bounds = tuple(zip(self.starts.tolist(), self.ends.tolist(), strict=True))
        by_id = sorted(range(len(self.articles)), key=lambda i: self.articles[i].id)
        self.id_ranks = np.empty(len(by_id), dtype=np.int64)
        self.id_ranks[by_id] = np.arange(len(by_id))
        self._char_ngrams: Callable[[str], list[str]] = TfidfVectorizer(
            analyzer="char_wb", ngram_range=_CHAR_NGRAMS, lowercase=False
        ).build_analyzer()
        # Each text's stems, kept while building (see _words).
        self._stems: dict[str, tuple[str, ...]] = {}
        # Whether the articles use a word (knows), asked for each word of every message, and
        # a message word's letter n-grams (_term_ngrams).
        self._known_terms: dict[str, bool] = {}
        self._ngrams: dict[str, tuple[str, ...]] = {}
        background = BACKGROUND.get(base_language(lang) or "") or tuple(
            text for texts in BACKGROUND.values() for text in texts
        )
        self.fields = TextFields(
            [
                TextField.fit(self.variants, self.features, self.analyzer.weak, self._words),
                TextField.fit(
                    [a.answer for a in self.articles],
                    self.features,
                    self.analyzer.weak,
                    self._words,
                ),
                self._background_field(background),
            ]
        )
        self.known_words, self.known_chars = self.fields.known((0, 1))
        self.article_words = self._article_words()
        self._stems.clear()
        # Stored dimension by dimension: a message's cosines with every question are then
        # BLAS's column-wise product, which reads the matrix (10 MB at 10,000 questions) about
        # 40% faster than the row-wise dot products (the same sums, in another order).
        self.vectors = np.asfortranarray(
            embedding.embed([self.embeddable(v, tokenize(v)) for v in self.variants], remember=True)
        )
        self.background = self._background_vectors(background)
        # The other languages' indexes: a word of theirs in a message is not unknown (people
        # mix English words into Danish: "min laptop er mega slow"). Set by SearchIndex.
        self.others: tuple[_LanguageIndex, ...] = ()
        self.labels = np.repeat(np.arange(len(self.articles), dtype=np.int64), sizes)
        # Set once by train(), from another thread; a search reads it once.
        self.classifier: ArticleClassifier | None = None
        centroids = np.add.reduceat(self.vectors, self.starts, axis=0)
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        self.centroids = np.divide(centroids, norms, out=centroids, where=norms > 0)
        self.reference = self.reference_level()

    def reference_level(self) -> float:
        """How similar a question of this language is to the best question of another article.

        Measured on held-out copies of the articles' own questions (up to
        :data:`_REFERENCE_QUESTIONS` per article, at most :data:`_REFERENCE_SAMPLES` in all):
        each is compared, as a message would be, with the questions of every *other*
        article, and the best similarities are averaged. It says how close a question about
        something the knowledge does not cover comes in this base: in a base of close
        topics (a bank's 77 kinds of card and transfer question) an uncovered question finds
        a near neighbour, in one of distinct topics (an IT helpdesk) it does not, so the same
        similarity is weaker evidence in the first. The confidence weighs it (_confidence).
        """
        if len(self.articles) < 2:
            return _DEFAULT_REFERENCE
        held_out = [
            variant
            for start, end in self.bounds
            for variant in range(start + 1, min(end, start + 1 + _REFERENCE_QUESTIONS))
        ]
        if not held_out:
            return _DEFAULT_REFERENCE
        step = math.ceil(len(held_out) / _REFERENCE_SAMPLES)
        chosen = np.asarray(held_out[::step], dtype=np.int64)
        documents = self.fields.documents(0)
        weight = self.embedding_weight
        best: list[Floats] = []
        # One BLAS thread, as for training: on a busy machine OpenBLAS's threads made this
        # take twice as long (0.9 s against 0.4 s for 2,000 questions), and a build delays
        # a hot reload.
        with _blas().limit(limits=1, user_api="blas"):
            for first in range(0, len(chosen), _REFERENCE_BATCH):
                rows = chosen[first : first + _REFERENCE_BATCH]
                similarity = weight * np.maximum(self.vectors[rows] @ self.vectors.T, 0.0).astype(
                    np.float64
                )
                if documents is not None:
                    similarity += (1.0 - weight) * (documents[rows] @ documents.T).toarray()
                # The question's own article is what a question it does not cover lacks.
                similarity[self.labels[rows][:, None] == self.labels[None, :]] = -np.inf
                best.append(similarity.max(axis=1))
        low, high = _REFERENCE_RANGE
        return min(high, max(low, float(np.concatenate(best).mean())))

    def embeddable(self, text: str, words: Sequence[str]) -> str:
        """The text the embedding sees in this language (:func:`_embeddable`).

        Outside English the words that only say something is wrong are left out when others
        remain: averaged word vectors let "virker ikke" outweigh the one word that says
        what does not work ("outlook virker ikke" was nearer "kameraet virker ikke i teams"
        than "outlook synkroniserer ikke"). The model's English is good enough to weigh
        them itself, and there "not working" can be the topic ("card not working").

        A text with at least :data:`_TOPIC_WORDS_ALONE` words besides those and the stop
        words is embedded with its topic words alone: the English-trained model reads
        Danish function words ("min", "har", "der") as English tokens, and in a long
        informal message they outweigh the few words that matter ("har glemt min kode til
        arbejdet og det er midt om natten" scored 0.37 for the password article, 0.83 with
        "glemt kode arbejdet midt natten"). A shorter text keeps them: one or two words
        alone make a poor average ("vpn er så sløv" went to the wrong VPN article).
        """
        if not self.drops_weak:
            return _embeddable(text, words)
        kept = [word for word in words if not self.analyzer.weak_word(word)]
        topical = [word for word in kept if not self.analyzer.stop_word(word)]
        if len(topical) >= _TOPIC_WORDS_ALONE:
            return " ".join(topical)
        return " ".join(kept) if kept else _embeddable(text, words)

    def _background_field(self, background: Sequence[str]) -> TextField | None:
        """The background questions' TF-IDF field; the same for every index of a language.

        Kept between builds: in a small knowledge base the background is most of the text,
        and a hot reload should not analyse it again.
        """
        key = (self.lang, self.drops_weak)
        with _BACKGROUND_LOCK:
            if key not in _BACKGROUND_FIELDS:
                _BACKGROUND_FIELDS[key] = TextField.fit(
                    background, self.features, self.analyzer.weak
                )
            return _BACKGROUND_FIELDS[key]

    def _background_vectors(self, background: Sequence[str]) -> Vectors:
        """The background questions' embeddings, kept per embedding model and language."""
        with _BACKGROUND_LOCK:
            known = _BACKGROUND_VECTORS.setdefault(self.embedding, {})
            if self.lang not in known:
                known[self.lang] = self.embedding.embed(
                    [self.embeddable(text, tokenize(text)) for text in background]
                )
            return known[self.lang]

    def message_words(self, tokens: Sequence[str]) -> list[str]:
        """A message's words as this language reads them: split compounds joined.

        People split Danish compounds ("fraværs besked", "svindel mail"); when the joined
        word is one the articles use and its parts are not both known on their own, the two
        are read as that word. Short words and stop words are never joined ("min computer
        er" must not become "computerer").
        """
        if not self.joins_split or len(tokens) < 2:
            return list(tokens)
        words: list[str] = []
        position = 0
        while position < len(tokens):
            pair = tokens[position : position + 2]
            if len(pair) == 2 and self._split_compound(pair[0], pair[1]):
                words.append(pair[0] + pair[1])
                position += 2
            else:
                words.append(tokens[position])
                position += 1
        return words

    def _split_compound(self, first: str, second: str) -> bool:
        """Whether two words of a message are one compound the articles use, typed apart."""
        if any(
            len(word) < _SHORTEST_COMPOUND_PART or self.analyzer.stop_word(word)
            for word in (first, second)
        ):
            return False
        stems = self.analyzer.analyze_words([first + second]).stems
        if not stems or not all(stem in self.known_words for stem in stems):
            return False
        return not (self.knows(first) and self.knows(second))

    def knows(self, term: str) -> bool:
        """Whether an article of this language uses a word (as the analyzer leaves it)."""
        known = self._known_terms.get(term)
        if known is None:
            stems = self.analyzer.analyze_words([term]).stems
            known = any(stem in self.known_words for stem in stems)
            if len(self._known_terms) >= _TERM_CACHE_SIZE:
                self._known_terms.clear()
            self._known_terms[term] = known
        return known

    def _article_words(self) -> tuple[frozenset[str], ...]:
        """Each article's stemmed words: its title, questions and answer."""
        words: list[frozenset[str]] = []
        for article, (start, end) in zip(self.articles, self.bounds, strict=True):
            texts = [*self.variants[start:end], article.answer]
            stems = (self._stems.get(text) or self.analyzer.analyze(text).stems for text in texts)
            words.append(frozenset(stem for group in stems for stem in group))
        return tuple(words)

    def _message(self, analysis: Analysis, query: Vectors, background: Floats | None) -> _Message:
        unknown = 0.0
        # Each distinct word counts by its idf: a rare word says more about the topic than a
        # common one, and a weak one ("virker ikke") little.
        weights: dict[str, float] = {}
        for term, stem in zip(analysis.terms, analysis.stems, strict=False):
            if stem in weights:
                continue
            weight = weights[stem] = self.fields.word_idf(0, stem)
            if stem in self.known_words or any(other.knows(term) for other in self.others):
                continue
            grams = self._term_ngrams(term)
            known = sum(gram in self.known_chars for gram in grams) / len(grams) if grams else 0.0
            unknown += weight * (1.0 - known)
        total = sum(weights.values())
        best = 0.0
        if len(self.background):
            similarity = self.embedding_weight * np.maximum(self.background @ query, 0.0)
            if background is not None:
                similarity = similarity + (1.0 - self.embedding_weight) * background
            best = float(similarity.max())
        return _Message(weights, total, unknown / total if total else 1.0, best)

    def train(self, keep_going: Callable[[], bool]) -> None:
        """Fit the article classifier and let searches use it from then on."""
        words = self.fields.word_documents(0)
        self.classifier = ArticleClassifier.fit(
            self.vectors, self.labels, len(self.articles), words=words, keep_going=keep_going
        )

    def _words(self, text: str) -> list[str]:
        """The word features of a text (:meth:`features`), remembering its stems."""
        stems = self._stems[text] = self.analyzer.analyze(text).stems
        return [*stems, *(f"{a} {b}" for a, b in pairwise(stems))]

    def features(self, text: str) -> tuple[list[str], list[str]]:
        """The word features and character features of a text, analysed in this language."""
        return self.word_features(tokenize(text))

    def word_features(self, words: Sequence[str]) -> tuple[list[str], list[str]]:
        """:meth:`features` of a text that :func:`knowledge.analysis.tokenize` has split."""
        analysis = self.analyzer.analyze_words(words)
        stems = analysis.stems
        words = [*stems, *(f"{a} {b}" for a, b in pairwise(stems))]
        chars = self._char_ngrams(" ".join(analysis.terms)) if analysis.terms else []
        return words, chars

    def _term_ngrams(self, term: str) -> tuple[str, ...]:
        """The letter n-grams of one word of a message (the character features)."""
        grams = self._ngrams.get(term)
        if grams is None:
            grams = tuple(self._char_ngrams(term))
            if len(self._ngrams) >= _NGRAM_CACHE_SIZE:
                self._ngrams.clear()
            self._ngrams[term] = grams
        return grams

    def search(self, tokens: Sequence[str], query: Vectors, limit: int) -> list[_Found]:
        """Up to ``limit`` articles, best first, with their similarity to a message.

        ``tokens`` are the message's words (:func:`knowledge.analysis.tokenize`) and
        ``query`` its embedding: they do not depend on the language, so the caller computes
        them once.
        """
        analysis = self.analyzer.analyze_words(tokens)
        stems = analysis.stems
        words = [*stems, *(f"{a} {b}" for a, b in pairwise(stems))]
        # The n-grams of the words one after the other are those of the text (char_wb pads
        # each word on its own), and a message's words recur.
        chars = [gram for term in analysis.terms for gram in self._term_ngrams(term)]
        if not words or not self.articles:
            return []
        weight = self.embedding_weight
        # Negative cosines carry no evidence; an unrelated message should score 0, not less.
        scores: Floats = weight * np.maximum(self.vectors @ query, 0.0).astype(np.float64)
        match = self.fields.match(words, chars)
        questions, answers, background = match.similarities
        message = self._message(analysis, query, background)
        if questions is not None:
            scores += (1.0 - weight) * questions
        best = np.maximum.reduceat(scores, self.starts)
        shortlist = np.flatnonzero(best > 0.0)
        if len(shortlist) > _SHORTLIST:
            top = np.argpartition(-best[shortlist], _SHORTLIST)[:_SHORTLIST]
            shortlist = shortlist[top]
        classifier = self.classifier
        probabilities = None
        if classifier is not None:
            probabilities = classifier.probabilities(query, match.words(0))
            likeliest = int(np.argmax(probabilities))
            if best[likeliest] > 0.0 and likeliest not in shortlist:
                shortlist = np.append(shortlist, likeliest)
        similarity = (best[shortlist] + self._best_few(scores, shortlist)) / 2.0
        centroid = np.maximum(self.centroids[shortlist] @ query, 0.0).astype(np.float64)
        fits = (1.0 - _CENTROID_WEIGHT) * similarity + _CENTROID_WEIGHT * centroid
        if answers is not None:
            # The answer's words count as weaker evidence that fills part of the gap the
            # questions left ("noisy or"): the value stays in [0, 1].
            fits += _ANSWER_WEIGHT * answers[shortlist] * (1.0 - fits)
        if probabilities is not None:
            # The classifier only says which article, supposing it is one of them; it is
            # sure of something even for an off-topic message. Its evidence counts in full
            # for an article the message already resembles, and in proportion below that.
            gate = np.minimum(1.0, fits / _CLASSIFIER_GATE)
            evidence = probabilities[shortlist] * gate
            fits = (1.0 - _CLASSIFIER_WEIGHT) * fits + _CLASSIFIER_WEIGHT * evidence
        fits = np.where(best[shortlist] >= _EXACT, 1.0, np.minimum(fits, 1.0))
        # Equal fits are ordered by id here too, so that the cut at `limit` keeps the same
        # articles that the final merge would.
        order = np.lexsort((self.id_ranks[shortlist], -fits))[:limit]
        chosen = shortlist[order]
        chances = probabilities[chosen] if probabilities is not None else fits[order]
        return [
            _Found(self.articles[i], fit, self, i, scores, chance, message, top)
            for i, fit, chance, top in zip(
                chosen.tolist(),
                fits[order].tolist(),
                chances.tolist(),
                best[chosen].tolist(),
                strict=True,
            )
        ]

    def _best_few(self, scores: Floats, articles: npt.NDArray[np.int64]) -> Floats:
        """The mean of the best few variant scores of each of some articles."""
        starts = self.starts[articles]
        lengths = self.ends[articles] - starts
        width = int(lengths.max()) if len(lengths) else 0
        if len(lengths) * width > _PADDED_BEST_FEW:
            return self._best_few_flat(scores, articles)
        # One row per article, its variants' scores padded with -inf to the longest: a sort
        # along the rows puts each article's best last. Far fewer numpy calls than the flat
        # form below, whose cost is mostly per call.
        columns = np.arange(width)
        present = columns < lengths[:, None]
        positions = np.minimum(starts[:, None] + columns, len(scores) - 1)
        values = np.where(present, scores[positions], -np.inf)
        values.sort(axis=1)
        best_few: Floats = np.zeros(len(articles))
        # Added best first, as the flat form adds them, so that the sums are the same.
        for rank in range(min(_TOP_VARIANTS, width)):
            best_few += np.where(lengths > rank, values[:, width - 1 - rank], 0.0)
        best_few /= np.minimum(lengths, _TOP_VARIANTS)
        return best_few

    def _best_few_flat(self, scores: Floats, articles: npt.NDArray[np.int64]) -> Floats:
        """:meth:`_best_few` for articles of very different sizes, whose padding would cost."""
        lengths = self.ends[articles] - self.starts[articles]
        firsts = np.cumsum(lengths) - lengths
        # Every variant of the articles, grouped by article, as flat arrays.
        group = np.repeat(np.arange(len(articles)), lengths)
        positions = np.arange(int(lengths.sum())) + np.repeat(
            self.starts[articles] - firsts, lengths
        )
        values = scores[positions]
        order = np.lexsort((-values, group))
        rank = np.arange(len(order)) - np.repeat(firsts, lengths)
        kept = order[rank < _TOP_VARIANTS]
        sums = np.bincount(group[kept], weights=values[kept], minlength=len(articles))
        best_few: Floats = sums / np.minimum(lengths, _TOP_VARIANTS)
        return best_few


class SearchIndex:
    """Ranks article translations by similarity to a customer's message.

    Safe to share between threads and tasks. Building takes about a second for 10,000
    questions, so a hot reload builds a new index and swaps it in. The only change after
    :meth:`build` is the article classifier swapping in when background training ends.
    """

    def __init__(
        self,
        knowledge: KnowledgeBase,
        languages: Sequence[_LanguageIndex],
        embedding: Embedding,
    ) -> None:
        """Use :meth:`build`; this constructor is internal."""
        self.knowledge = knowledge
        self.embedding = embedding
        self._languages = tuple(languages)
        # The languages every article is written in: a message in one of them is searched
        # in it alone. An article missing from a language must still be found, so a
        # language with gaps searches them all.
        ids = {article.id for article in knowledge.articles}
        self._complete = {
            language.lang: (language,)
            for language in self._languages
            if {article.id for article in language.articles} == ids
        }
        self._trained = threading.Event()
        for index in self._languages:
            index.others = tuple(other for other in self._languages if other is not index)

    @classmethod
    def build(
        cls,
        knowledge: KnowledgeBase,
        *,
        embedding: Embedding | None = None,
        training: Training = "now",
    ) -> SearchIndex:
        """Index every article of a knowledge base.

        Args:
            knowledge: The articles. An empty base gives an index that finds nothing.
            embedding: The embedding model; default: load the static embeddings that ship
                with Helpline (:func:`knowledge.embedding.load_embedding` loads the others).
                Pass the previous index's :attr:`embedding` to rebuild faster.
            training: When to train the article classifier (see :data:`Training`); default:
                before returning. In the background (what the service does), the index
                answers at once from question similarity alone and adds the classifier's
                evidence when it is ready (1-3 s for 10,000 questions in 77 articles; a
                small base is trained before returning, as it takes at most a few tenths of
                a second).
                Background training stops early when the index is dropped first, as a hot
                reload does when the files change again.

        Returns:
            The index.

        Raises:
            EmbeddingModelMissing: No embedding was given and the bundled one is missing.
        """
        model = embedding if embedding is not None else StaticEmbedding.load()
        by_language: dict[str, list[Article]] = {}
        for article in knowledge.articles:
            by_language.setdefault(article.lang, []).append(article)
        languages = [_LanguageIndex(lang, by_language[lang], model) for lang in sorted(by_language)]
        index = cls(knowledge, languages, model)
        if training == "off":
            index._trained.set()
        elif (
            training == "now"
            or sum(len(language.variants) * len(language.articles) for language in languages)
            <= _INLINE_TRAINING
        ):
            _train(index._languages, lambda: True, index._trained)
        elif training == "background":
            # The thread holds the languages but not the index: when the index is dropped
            # (replaced by a newer one), keep_going turns false and the fit ends.
            alive = weakref.ref(index)
            threading.Thread(
                target=_train,
                args=(index._languages, lambda: alive() is not None, index._trained),
                name="knowledge-classifier",
                daemon=True,
            ).start()
        return index

    @staticmethod
    def _mixed(index: _LanguageIndex, tokens: Sequence[str]) -> bool:
        """Whether a message uses words only another language's articles use.

        "min laptop er mega slow" is Danish, but its topic words are English: the English
        articles are searched too (the answer is still given in the message's language).
        """
        return bool(index.others) and any(
            not index.knows(token) and any(other.knows(token) for other in index.others)
            for token in tokens
        )

    @property
    def trained(self) -> bool:
        """Whether the article classifier has finished training (or was not wanted)."""
        return self._trained.is_set()

    def wait_until_trained(self, timeout: float | None = None) -> bool:
        """Block until the article classifier is ready.

        Args:
            timeout: The most seconds to wait; ``None`` waits as long as it takes.

        Returns:
            Whether it is ready (``False`` only when the timeout ran out).
        """
        return self._trained.wait(timeout)

    def search(self, text: str, *, limit: int = 5, language: str | None = None) -> list[Candidate]:
        """The articles most likely to answer a message, best first.

        Translations are separate candidates: an article written in English and Danish can
        appear twice, each scored against the message in its own language.

        Args:
            text: The customer's message; any string (empty, huge, or with control
                characters and lone surrogates). Only its first :data:`MAX_QUERY_CHARS`
                characters are used.
            limit: The most candidates to return.
            language: The message's language, when known. If every article is written in
                it, only those translations are searched; otherwise (and for ``None``)
                every language is.

        Returns:
            Up to ``limit`` candidates with a score above 0, sorted by score, then by id
            and language; empty when the message has no words or matches nothing.

        Raises:
            ValueError: ``limit`` is less than 1.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        text = text[:MAX_QUERY_CHARS]
        # A pool of the best articles of every language: enough for the share below, and it
        # includes each language's best article other than any given one.
        if not self._languages:
            return []
        languages = self._complete.get(language, self._languages) if language else self._languages
        tokens = tokenize(text)
        if len(languages) == 1 and self._mixed(languages[0], tokens):
            languages = self._languages
        # Each language reads (message_words) and embeds (embeddable) the message its own way.
        words = {index.lang: index.message_words(tokens) for index in languages}
        texts = {index.lang: index.embeddable(text, words[index.lang]) for index in languages}
        distinct = list(dict.fromkeys(texts.values()))
        vectors = dict(zip(distinct, self.embedding.embed(distinct), strict=True))
        pool = [
            found
            for index in languages
            for found in index.search(
                words[index.lang], vectors[texts[index.lang]], max(limit, _POOL)
            )
        ]
        pool.sort(key=lambda c: (-c.similarity, c.article.id, c.article.lang))
        shares = _shares(pool)
        best: dict[str, float] = {}
        for candidate in pool:
            best.setdefault(candidate.article.id, _blend(candidate, shares))
        # An article's rival is the best other article: the first of these two that is not it.
        leaders = heapq.nlargest(2, best.items(), key=lambda item: item[1])
        candidates = []
        for candidate in pool[:limit]:
            fit = _blend(candidate, shares)
            rival = next((f for i, f in leaders if i != candidate.article.id), 0.0)
            # fit and (1 + fit - rival) / 2 are both in [0, 1].
            ranking = fit * (1.0 + fit - rival) / 2.0
            evidence = Evidence(
                density=candidate.language.density,
                ranking=ranking,
                best_variant=candidate.best_variant,
                probability=candidate.probability,
                unknown=candidate.message.unknown,
                coverage=candidate.coverage(),
                background=candidate.message.background,
                reference=candidate.language.reference,
            )
            score = 1.0 if candidate.similarity >= _EXACT else _confidence(candidate, evidence)
            candidates.append(
                Candidate(
                    candidate.article, score, candidate.matched(), candidate.similarity, evidence
                )
            )
        candidates.sort(key=lambda c: (-c.score, c.article.id, c.article.lang))
        return candidates


def _train(
    languages: Sequence[_LanguageIndex], keep_going: Callable[[], bool], done: threading.Event
) -> None:
    if threading.current_thread() is not threading.main_thread():
        _lower_priority()
    try:
        # One BLAS thread: on small matrices OpenBLAS's threads cost more than they save
        # (10x slower on 2 busy cores), and the other core keeps answering customers.
        with _blas().limit(limits=1, user_api="blas"):
            for language in languages:
                if keep_going():
                    language.train(keep_going)
    finally:
        done.set()


@functools.cache
def _blas() -> ThreadpoolController:
    """The process's native thread pools, found once: threadpoolctl looks for them in every
    loaded library, a few milliseconds each time (three times per index build)."""
    return ThreadpoolController()


def _lower_priority() -> None:
    """Let searches and reloads go first: on Linux a thread has its own nice value."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _TRAINING_NICENESS)


def _confidence(candidate: _Found, evidence: Evidence) -> float:
    """How likely the article is the right answer: a logistic model of the evidence."""
    d = evidence.density
    z = (
        _BIAS
        + (_RANKING + _DENSITY_RANKING * d) * evidence.ranking
        + (_FIT + _DENSITY_FIT * d) * candidate.similarity
        + _BEST_VARIANT * evidence.best_variant
        + _PROBABILITY * evidence.probability
        + _UNKNOWN * evidence.unknown
        + _COVERAGE * evidence.coverage
        + _BACKGROUND * evidence.background
        + _REFERENCE * evidence.reference
        + _DENSITY * d
    )
    return 1.0 / (1.0 + math.exp(-z))


def _blend(candidate: _Found, shares: dict[str, float]) -> float:
    share = shares[candidate.article.id]
    return (1.0 - _SHARE_WEIGHT) * candidate.similarity + _SHARE_WEIGHT * share


def _shares(pool: Sequence[_Found]) -> dict[str, float]:
    """Each article's share of the pool's softmax weight.

    The share is high only when the article stands out from all of its rivals, not just the
    runner-up. Translations of one article count once, with their best similarity.
    """
    best: dict[str, float] = {}
    for candidate in pool:
        best.setdefault(candidate.article.id, candidate.similarity)
    if not best:
        return {}
    top = max(best.values())
    weights = {i: math.exp(_SHARE_SHARPNESS * (f - top)) for i, f in best.items()}
    total = sum(weights.values())
    return {i: weight / total for i, weight in weights.items()}
