"""Grouping short texts that say the same thing, to show staff which articles are missing.

``helpline kb gaps`` feeds it the customer messages the bot could not answer. Each text
becomes a TF-IDF vector of character 3- to 5-grams (forgiving typos, inflections and
Danish compounds, and needing no language guess), fitted on the texts themselves so that
words every message shares ("how do I") weigh little. Texts are then taken most frequent
first; each joins the group whose first text is most similar to it, if that cosine reaches
the threshold, and otherwise starts a group of its own ("leader" clustering: one pass,
groups do not drift, and a group's example is its most frequent phrasing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from knowledge.analysis import normalize

#: Cosine at which two texts count as the same question. Measured on the 462 questions of
#: the sample knowledge (76 articles): at 0.4, 86% of the questions share their group with
#: questions of the same article (0.35: 78%, 0.5: 93% but hardly any grouping). Staff
#: rather see two groups of one topic than one group mixing two topics.
DEFAULT_THRESHOLD = 0.4

# Rows of the similarity matrix computed at once: bounds memory to BLOCK x texts floats.
_BLOCK = 256


@dataclass(frozen=True, slots=True)
class TextGroup:
    """Texts that say the same thing.

    Attributes:
        members: Positions of the texts in the input, in input order.
        example: The group's most frequent phrasing (as first written).
    """

    members: tuple[int, ...]
    example: str

    @property
    def count(self) -> int:
        """How many texts the group holds."""
        return len(self.members)


def group_similar(texts: Sequence[str], *, threshold: float = DEFAULT_THRESHOLD) -> list[TextGroup]:
    """Group texts by similarity.

    Args:
        texts: Short texts such as customer messages.
        threshold: The cosine in [0, 1] a text needs with a group's example to join it.

    Returns:
        The groups, largest first (ties: the group whose first text came first). Every
        text is in exactly one group. Texts without letters or digits group only with
        identical texts.

    Raises:
        ValueError: ``threshold`` is outside [0, 1].
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, not {threshold}")
    keys = [normalize(text) or text.strip() for text in texts]
    # Identical messages (after normalising) are one point of the space with a weight.
    positions: dict[str, list[int]] = {}
    for position, key in enumerate(keys):
        positions.setdefault(key, []).append(position)
    frequency = Counter({key: len(found) for key, found in positions.items()})
    unique = sorted(positions, key=lambda key: (-frequency[key], positions[key][0]))
    leader_of = _leaders(unique, threshold)
    grouped: dict[int, list[int]] = {}
    for index, leader in enumerate(leader_of):
        grouped.setdefault(leader, []).extend(positions[unique[index]])
    groups = [
        TextGroup(members=tuple(sorted(members)), example=texts[positions[unique[leader]][0]])
        for leader, members in grouped.items()
    ]
    groups.sort(key=lambda group: (-group.count, group.members[0]))
    return groups


def _leaders(unique: list[str], threshold: float) -> list[int]:
    """For each text (most frequent first), the index of the text leading its group."""
    vectors = _vectors(unique)
    leader_of: list[int] = []
    leaders: list[int] = []
    for start in range(0, len(unique), _BLOCK):
        block = (vectors[start : start + _BLOCK] @ vectors.T).toarray()
        for offset, similarities in enumerate(block):
            index = start + offset
            if leaders:
                candidates = similarities[leaders]
                best = int(np.argmax(candidates))
                if candidates[best] >= threshold and candidates[best] > 0.0:
                    leader_of.append(leaders[best])
                    continue
            leaders.append(index)
            leader_of.append(index)
    return leader_of


def _vectors(texts: list[str]) -> sparse.csr_matrix:
    if not any(text.strip() for text in texts):
        return sparse.csr_matrix((len(texts), 1))
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=False
    )
    return sparse.csr_matrix(vectorizer.fit_transform(texts))
