"""TF-IDF vector spaces of words and of characters, with a query path that stays fast.

A text becomes two TF-IDF vectors (scikit-learn's ``TfidfVectorizer``, sublinear term
frequency, L2-normalised): its stemmed words and word pairs, and its character 3- to
5-grams. Words make a similarity precise; characters forgive typos, inflections and Danish
compounds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

# Share of the word block in the similarity. Words make it precise (an unrelated message
# sharing common letter sequences stays low); characters make it forgiving.
_WORD_WEIGHT = 0.5
# Unknown words of a message count at this fraction of the highest idf (an unseen feature's
# smooth idf). At 1 they pushed paraphrases with a few new words below any usable threshold;
# at 0 (scikit-learn's behaviour) off-topic messages sharing one word scored high.
_UNSEEN_WEIGHT = 0.5

Floats = npt.NDArray[np.float64]


def _given_features(features: list[str]) -> list[str]:
    # The vectorizer receives features that the analyzer has already produced.
    return features


@dataclass(frozen=True, slots=True)
class TfidfSpace:
    """One TF-IDF vector space fitted on some texts of one language."""

    vocabulary: dict[str, int]
    idf: Floats
    # The weight of a query feature that no text of the space contains (see cosines).
    unseen_idf: float
    # The variant vectors (L2-normalised, so a dot product with a query is the cosine),
    # stored feature by feature: row j lists the variants that contain feature j. A query
    # then touches only the rows of its own features.
    postings: sparse.csr_matrix

    @classmethod
    def fit(cls, documents: Iterable[list[str]]) -> TfidfSpace:
        """Fit the space on texts given as lists of features."""
        vectorizer = TfidfVectorizer(
            analyzer=_given_features, sublinear_tf=True, norm="l2", dtype=np.float64
        )
        matrix = sparse.csr_matrix(vectorizer.fit_transform(documents))
        count = matrix.shape[0]
        vocabulary = {str(feature): int(i) for feature, i in vectorizer.vocabulary_.items()}
        postings = sparse.csr_matrix(matrix.T)
        postings.sort_indices()
        return cls(
            vocabulary=vocabulary,
            idf=np.asarray(vectorizer.idf_),
            unseen_idf=_UNSEEN_WEIGHT * float(np.log(1 + count) + 1),
            postings=postings,
        )

    def cosines(self, features: list[str]) -> Floats:
        """The cosine of the query with every variant (zeros if no feature is known)."""
        variants = self.postings.shape[1]
        rows, weights = self.query(features)
        if not len(rows):
            return np.zeros(variants)
        # Gather the posting lists of the query's features into one flat array.
        indptr = self.postings.indptr
        firsts = indptr[rows]
        lengths = indptr[rows + 1] - firsts
        offsets = np.cumsum(lengths) - lengths
        positions = np.arange(int(lengths.sum())) + np.repeat(firsts - offsets, lengths)
        contributions = self.postings.data[positions] * np.repeat(weights, lengths)
        return np.bincount(
            self.postings.indices[positions], weights=contributions, minlength=variants
        ).astype(np.float64)

    def query(self, features: list[str]) -> tuple[npt.NDArray[np.int64], Floats]:
        """A query's vector in this space: its known features (rows) and their weights.

        Sublinear tf times idf, L2-normalised, as ``TfidfVectorizer`` computes it, but done
        by hand (the library call costs a millisecond) and with one deliberate difference:
        features no text contains stay in the query's norm. The library drops them, which
        makes "tell me a joke" as similar to "tell IT about a new employee" as "tell" alone
        would be; keeping them makes unknown words lower the score, so that an off-topic
        message scores low.
        """
        counts = Counter(features)
        known = [feature for feature in counts if feature in self.vocabulary]
        if not known:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        unseen = np.fromiter(
            (count for feature, count in counts.items() if feature not in self.vocabulary),
            dtype=np.float64,
        )
        unseen_weights = (1.0 + np.log(unseen)) * self.unseen_idf
        rows = np.fromiter((self.vocabulary[f] for f in known), dtype=np.int64)
        weights = 1.0 + np.log(np.fromiter((counts[f] for f in known), dtype=np.float64))
        weights *= self.idf[rows]
        weights /= np.sqrt(np.dot(weights, weights) + np.dot(unseen_weights, unseen_weights))
        return rows, weights

    def documents(self) -> sparse.csr_matrix:
        """The texts' vectors, one row per text (a new matrix)."""
        return sparse.csr_matrix(self.postings.T)


@dataclass(frozen=True, slots=True)
class TextField:
    """The word space and the character space of one kind of text (questions, answers)."""

    words: TfidfSpace
    chars: TfidfSpace

    @classmethod
    def fit(
        cls, texts: Sequence[str], features: Callable[[str], tuple[list[str], list[str]]]
    ) -> TextField | None:
        """Fit both spaces, or ``None`` when no text has a feature (it was all punctuation).

        Args:
            texts: The texts.
            features: Gives the word features and the character features of a text.
        """
        if not any(features(text)[0] for text in texts):
            return None
        # Features are produced lazily, one text at a time, in one pass per space: holding
        # every text's character n-grams at once costs about 10 kB per text.
        words = TfidfSpace.fit(features(text)[0] for text in texts)
        chars = TfidfSpace.fit(features(text)[1] for text in texts)
        return cls(words, chars)

    def similarity(self, words: list[str], chars: list[str]) -> Floats:
        """The weighted cosines of a query with every text of the field, in [0, 1]."""
        scores = _WORD_WEIGHT * self.words.cosines(words)
        scores += (1.0 - _WORD_WEIGHT) * self.chars.cosines(chars)
        return scores
