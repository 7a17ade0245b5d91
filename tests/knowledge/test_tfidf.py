"""TextFields answers a query as each field's own spaces do, one field at a time."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from knowledge.analysis import Analyzer
from knowledge.tfidf import TextField, TextFields

QUESTIONS = [
    "How do I connect to the VPN?",
    "vpn doesn't work from home",
    "I forgot my password",
    "How do I reset my password?",
    "my printer is not showing up",
]
ANSWERS = ["Open the VPN client and sign in.", "Reset it at the password portal, then log in."]
QUERIES = [
    "vpn not working",
    "password portal",
    "password password password",
    "completely unrelated words",
    "printer vpn password sign portal",
    "x",
]


def features(text: str) -> tuple[list[str], list[str]]:
    stems = list(Analyzer("en").analyze(text).stems)
    words = stems + [f"{a} {b}" for a, b in pairwise(stems)]
    chars = [f" {stem[:3]}" for stem in stems] + [f"{stem[-3:]} " for stem in stems]
    return words, chars


FIELDS = {
    "questions and answers": [TextField.fit(QUESTIONS, features), TextField.fit(ANSWERS, features)],
    "answers without words": [TextField.fit(QUESTIONS, features), TextField.fit(["?!"], features)],
    "no questions": [None, TextField.fit(ANSWERS, features)],
}


@pytest.mark.parametrize("fields", FIELDS.values(), ids=FIELDS.keys())
@pytest.mark.parametrize("query", QUERIES)
def test_each_field_matches_as_it_does_alone(fields: list[TextField | None], query: str) -> None:
    words, chars = features(query)

    match = TextFields(fields).match(words, chars)

    for number, field in enumerate(fields):
        if field is None:
            assert match.similarities[number] is None
            assert match.words(number) is None
        else:
            np.testing.assert_allclose(
                match.similarities[number], field.similarity(words, chars), rtol=0, atol=1e-12
            )
            rows, weights = field.words.query(words)
            found = match.words(number)
            assert found is not None
            np.testing.assert_array_equal(found[0], rows)
            np.testing.assert_allclose(found[1], weights, rtol=0, atol=1e-12)


@pytest.mark.parametrize("fields", FIELDS.values(), ids=FIELDS.keys())
def test_a_field_keeps_its_word_vectors(fields: list[TextField | None]) -> None:
    joined = TextFields(fields)

    for number, field in enumerate(fields):
        documents = joined.word_documents(number)
        if field is None:
            assert documents is None
        else:
            assert documents is not None
            assert (documents != field.words.documents()).nnz == 0


def test_a_query_without_features_matches_nothing() -> None:
    fields = FIELDS["questions and answers"]

    match = TextFields(fields).match([], [])

    assert all(not similarity.any() for similarity in match.similarities if similarity is not None)
