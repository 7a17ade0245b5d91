"""The article classifier: learns articles from their questions, and can be abandoned."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from knowledge.classifier import ArticleClassifier
from knowledge.embedding import StaticEmbedding
from knowledge.tfidf import TfidfSpace

QUESTIONS = {
    "password": ["I forgot my password", "reset my password", "my password expired"],
    "printer": ["add a printer", "the printer does not print", "printer is offline"],
    "vpn": ["connect to the vpn", "vpn does not work from home", "vpn keeps disconnecting"],
}


def fitted() -> ArticleClassifier | None:
    embedding = StaticEmbedding.load()
    texts = [text for questions in QUESTIONS.values() for text in questions]
    labels = np.repeat(np.arange(len(QUESTIONS), dtype=np.int64), 3)
    return ArticleClassifier.fit(embedding.embed(texts), labels, len(QUESTIONS))


def test_a_paraphrase_gets_the_most_probability_on_its_article() -> None:
    classifier = fitted()
    assert classifier is not None
    vector = StaticEmbedding.load().embed(["I can't remember my password"])[0]

    probabilities = classifier.probabilities(vector)

    assert int(np.argmax(probabilities)) == list(QUESTIONS).index("password")
    assert float(probabilities.sum()) == pytest.approx(1.0)


def test_one_article_needs_no_classifier() -> None:
    vectors = StaticEmbedding.load().embed(["I forgot my password", "reset my password"])

    assert ArticleClassifier.fit(vectors, np.zeros(2, dtype=np.int64), 1) is None


def test_an_abandoned_fit_gives_no_classifier() -> None:
    vectors = StaticEmbedding.load().embed(["I forgot my password", "add a printer"])
    labels = np.arange(2, dtype=np.int64)

    assert ArticleClassifier.fit(vectors, labels, 2, keep_going=lambda: False) is None


def words_and_pairs(text: str) -> list[str]:
    words = text.split()
    return [*words, *(f"{a} {b}" for a, b in pairwise(words))]


def test_word_pairs_tell_apart_questions_with_the_same_words() -> None:
    # The same words in another order: one mean embedding, two articles. Only the word
    # pairs ("from savings", "to checking") that the questions share tell them apart.
    questions = {
        "to-checking": ["move money from savings to checking", "from savings to checking now"],
        "to-savings": ["move money from checking to savings", "from checking to savings now"],
    }
    texts = [text for group in questions.values() for text in group]
    space = TfidfSpace.fit(words_and_pairs(text) for text in texts)
    embedding = StaticEmbedding.load()
    vectors, labels = embedding.embed(texts), np.repeat(np.arange(2, dtype=np.int64), 2)
    message = "please move it from checking to savings"
    classifier = ArticleClassifier.fit(vectors, labels, 2, words=space.documents())
    assert classifier is not None

    probabilities = classifier.probabilities(
        embedding.embed([message])[0], space.query(words_and_pairs(message))
    )

    assert float(probabilities[1]) > 0.9
