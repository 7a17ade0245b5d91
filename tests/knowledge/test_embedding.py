"""The static embedding model ships inside a wheel and loads without any network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import JointEmbedding, StaticEmbedding, load_embedding
from knowledge.errors import EmbeddingModelMissing

ROOT = Path(__file__).resolve().parents[2]

# Python's audit hooks see every socket connection and name lookup; the child refuses them.
_OFFLINE_LOAD = """
import sys
def refuse(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
        raise RuntimeError(f"network access: {event} {args!r}")
sys.addaudithook(refuse)
from knowledge.embedding import JointEmbedding, StaticEmbedding
vectors = StaticEmbedding.load().embed(["I forgot my password"])
print(vectors.shape)
"""


def test_the_model_loads_with_network_access_impossible() -> None:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE_LOAD],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1, 256)"


def test_paraphrases_are_closer_than_unrelated_sentences() -> None:
    vectors = StaticEmbedding.load().embed(
        ["I forgot my password", "I can't remember my password", "Where is the canteen?"]
    )

    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2


def test_texts_without_tokens_get_zero_vectors() -> None:
    vectors = StaticEmbedding.load().embed(["", "vpn"])

    assert np.linalg.norm(vectors, axis=1).tolist() == pytest.approx([0.0, 1.0], abs=1e-5)


def test_a_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelMissing, match="never downloaded"):
        StaticEmbedding.load(tmp_path)


def test_a_joint_embedding_averages_its_parts_cosines() -> None:
    static = StaticEmbedding.load()
    joint = JointEmbedding((static, static), (1.0, 0.5))
    texts = ["I forgot my password", "I can't remember my login", ""]

    vectors = joint.embed(texts)
    alone = static.embed(texts)

    assert vectors.shape == (3, 2 * static.dimensions) == (3, joint.dimensions)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(float(alone[0] @ alone[1]), abs=1e-5)
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(vectors[2], 0.0)


def test_a_joint_embedding_needs_a_positive_weight_per_part() -> None:
    with pytest.raises(ValueError, match="one positive weight per part"):
        JointEmbedding((StaticEmbedding.load(),), (0.0,))


def test_every_index_of_a_process_shares_one_loaded_model() -> None:
    assert load_embedding() is load_embedding("wordllama")
