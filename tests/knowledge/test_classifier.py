"""The article classifier: learns articles from their questions, and can be abandoned."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.classifier import ArticleClassifier
from knowledge.embedding import StaticEmbedding

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
