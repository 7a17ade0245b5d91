"""The article classifier trains in the background while the index already serves."""

from __future__ import annotations

import gc
import random
import threading

import pytest

from knowledge.article import Article, KnowledgeBase
from knowledge.embedding import StaticEmbedding
from knowledge.index import SearchIndex
from tests.knowledge.articles import make_article

pytestmark = pytest.mark.long

# Enough questions x articles (3,000 x 200) that training takes about a second: far longer
# than the microseconds between build() returning and the first search.
ARTICLES = 200
QUESTIONS = 15
_VOCABULARY = """
account card payment transfer refund balance phone email password printer laptop vpn network
office invoice order delivery address login screen battery update install meeting calendar
holiday salary contract badge parking desk monitor keyboard mouse
"""
WORDS = _VOCABULARY.split()


def article(number: int, rng: random.Random) -> Article:
    topic = f"{WORDS[number % len(WORDS)]} {WORDS[(number * 7 + 3) % len(WORDS)]}"
    questions = tuple(
        f"{topic} {' '.join(rng.sample(WORDS, 3))} {number}" for _ in range(QUESTIONS)
    )
    return make_article(
        f"topic-{number:03d}",
        title=f"{topic} {number}",
        questions=questions,
        answer=f"About {topic}.",
    )


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    rng = random.Random(0)
    return KnowledgeBase(tuple(article(number, rng) for number in range(ARTICLES)))


@pytest.fixture(scope="module")
def embedding() -> StaticEmbedding:
    return StaticEmbedding.load()


QUERY = "my account card payment does not work"


def scores(index: SearchIndex) -> list[tuple[str, float]]:
    return [(c.article.id, c.score) for c in index.search(QUERY)]


def classifier_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "knowledge-classifier"]


def test_a_background_index_answers_before_its_classifier_is_ready(
    knowledge: KnowledgeBase, embedding: StaticEmbedding
) -> None:
    without = SearchIndex.build(knowledge, embedding=embedding, training="off")

    index = SearchIndex.build(knowledge, embedding=embedding, training="background")
    found = scores(index)

    assert not index.trained
    assert found == scores(without)
    assert index.wait_until_trained(timeout=60)


def test_the_classifier_swaps_in_when_trained(
    knowledge: KnowledgeBase, embedding: StaticEmbedding
) -> None:
    trained_now = SearchIndex.build(knowledge, embedding=embedding, training="now")
    without = SearchIndex.build(knowledge, embedding=embedding, training="off")

    index = SearchIndex.build(knowledge, embedding=embedding, training="background")
    assert index.wait_until_trained(timeout=60)

    assert index.trained
    assert scores(index) == scores(trained_now)
    assert scores(index) != scores(without)


def test_a_dropped_index_stops_training(
    knowledge: KnowledgeBase, embedding: StaticEmbedding
) -> None:
    index = SearchIndex.build(knowledge, embedding=embedding, training="background")
    [thread] = classifier_threads()
    languages = index._languages  # what the thread trains; they do not keep the index alive

    del index
    gc.collect()
    # Bounded only for a thread that never ends; that it ended early shows below.
    thread.join(timeout=60)

    assert not thread.is_alive()
    # The fit was abandoned, not finished: no language got a classifier.
    assert [language.classifier for language in languages] == [None] * len(languages)


def test_a_small_base_is_trained_before_build_returns(embedding: StaticEmbedding) -> None:
    rng = random.Random(1)
    small = KnowledgeBase(tuple(article(number, rng) for number in range(5)))

    assert SearchIndex.build(small, embedding=embedding, training="background").trained
