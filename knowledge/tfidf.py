"""TF-IDF vector spaces of words and of characters, with a query path that stays fast.

A text becomes two TF-IDF vectors (scikit-learn's ``TfidfVectorizer``, sublinear term
frequency, L2-normalised): its stemmed words and word pairs, and its character 3- to
5-grams. Words make a similarity precise; characters forgive typos, inflections and Danish
compounds.

A :class:`TextField` (one kind of text, such as the questions) holds the two spaces and
states what a similarity is. The search asks :class:`TextFields`, which answers for all the
fields of a language at once with the same numbers and a fraction of the per-call overhead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

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
# The idf share of a word that only says something is wrong ("virker ikke", "not working"):
# at full weight "wifi virker ikke" matched the one article whose questions say "virker
# ikke" most, not the Wi-Fi article.
_WEAK_WEIGHT = 0.3
# Above this many postings (texts containing one of a query's features, summed over the
# features) a query's similarities are one scipy sparse product; below, numpy steps cost
# less (a query of a 10,000-question base has 10,000-110,000; the sample's a few thousand).
_SPARSE_PRODUCT = 30_000

Floats = npt.NDArray[np.float64]
Rows = npt.NDArray[np.int64]


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
    def fit(
        cls, documents: Iterable[list[str]], weak: Callable[[str], bool] | None = None
    ) -> TfidfSpace:
        """Fit the space on texts given as lists of features.

        Args:
            documents: The texts' features.
            weak: Tells the features that say little about a topic however rare they are
                in these texts ("virker ikke", "not working"); their idf is scaled by
                :data:`_WEAK_WEIGHT`.
        """
        vectorizer = TfidfVectorizer(
            analyzer=_given_features, sublinear_tf=True, norm="l2", dtype=np.float64
        )
        matrix = sparse.csr_matrix(vectorizer.fit_transform(documents))
        count = matrix.shape[0]
        vocabulary = {str(feature): int(i) for feature, i in vectorizer.vocabulary_.items()}
        idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        if weak is not None:
            scale = np.ones(len(idf))
            for feature, i in vocabulary.items():
                if weak(feature):
                    scale[i] = _WEAK_WEIGHT
            if (scale < 1.0).any():
                idf = idf * scale
                matrix = sparse.csr_matrix(matrix @ sparse.diags(scale))
                norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
                matrix = sparse.csr_matrix(
                    sparse.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0))
                    @ matrix
                )
        postings = sparse.csr_matrix(matrix.T)
        postings.sort_indices()
        return cls(
            vocabulary=vocabulary,
            idf=idf,
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
        cls,
        texts: Sequence[str],
        features: Callable[[str], tuple[list[str], list[str]]],
        weak: Callable[[str], bool] | None = None,
        words: Callable[[str], list[str]] | None = None,
    ) -> TextField | None:
        """Fit both spaces, or ``None`` when no text has a feature (it was all punctuation).

        Args:
            texts: The texts.
            features: Gives the word features and the character features of a text.
            weak: Tells the word features that say little about a topic (see
                :meth:`TfidfSpace.fit`).
            words: Gives only the word features of a text, the same as ``features`` (the
                word pass then skips the character n-grams, half of the work).
        """
        words_of = words or (lambda text: features(text)[0])
        if not any(words_of(text) for text in texts):
            return None
        # Features are produced lazily, one text at a time, in one pass per space: holding
        # every text's character n-grams at once costs about 10 kB per text.
        word_space = TfidfSpace.fit((words_of(text) for text in texts), weak)
        chars = TfidfSpace.fit(features(text)[1] for text in texts)
        return cls(word_space, chars)

    def similarity(self, words: list[str], chars: list[str]) -> Floats:
        """The weighted cosines of a query with every text of the field, in [0, 1]."""
        scores = _WORD_WEIGHT * self.words.cosines(words)
        scores += (1.0 - _WORD_WEIGHT) * self.chars.cosines(chars)
        return scores


class TextFields:
    """The text fields of one language (questions, answers), searched together.

    A search costs mostly per-feature dictionary lookups and per-call numpy overheads, not
    arithmetic, so the fields share the work: a message's features are counted and looked
    up once for all spaces (one vocabulary per kind of feature), and the posting lists of
    every space are gathered in one pass. The results are those of
    :meth:`TextField.similarity` and :meth:`TfidfSpace.query`, up to rounding.

    The fields' own matrices are not kept: their arrays are joined here.
    """

    def __init__(self, fields: Sequence[TextField | None]) -> None:
        """Join some fields; a ``None`` field matches nothing."""
        present = [field for field in fields if field is not None]
        # The spaces' rows one after the other, field by field and words before characters,
        # so that each field's part of a gather is contiguous. One more row, empty, stands
        # for any feature that a space does not contain.
        postings = [space.postings for field in present for space in (field.words, field.chars)]
        starts = np.cumsum([0, *(matrix.nnz for matrix in postings)])
        self._firsts = np.cumsum([0, *(matrix.shape[0] for matrix in postings)])
        self._data = np.concatenate([np.zeros(0), *(matrix.data for matrix in postings)])
        self._sizes = [field.words.postings.shape[1] for field in present]
        # Each field's texts are numbered after the previous fields' (columns), so that one
        # pass over a query's postings gives every field's similarities.
        self._columns = np.cumsum([0, *self._sizes])
        self._indices = np.concatenate(
            [
                np.zeros(0, dtype=np.int32),
                *(
                    matrix.indices + np.int32(self._columns[number // 2])
                    for number, matrix in enumerate(postings)
                ),
            ]
        )
        self._indptr = np.concatenate(
            [
                *(m.indptr[:-1] + start for m, start in zip(postings, starts, strict=False)),
                [starts[-1], starts[-1]],
            ]
        ).astype(np.int64)
        # The same arrays as a matrix (features x texts), for a query with long postings.
        self._postings = sparse.csr_matrix(
            (self._data, self._indices, self._indptr.astype(np.int32)),
            shape=(len(self._indptr) - 1, int(self._columns[-1])),
            copy=False,
        )
        empty = int(self._firsts[-1])
        self._fields = len(fields)
        self._present = [i for i, field in enumerate(fields) if field is not None]
        words = [field.words for field in present]
        chars = [field.chars for field in present]
        self._words = _Vocabulary.join(words, self._firsts[:-1:2], empty)
        self._chars = _Vocabulary.join(chars, self._firsts[1::2], empty)

    def word_documents(self, field: int) -> sparse.csr_matrix | None:
        """A field's word vectors, one row per text, as :meth:`TfidfSpace.documents` gives them.

        Returns:
            A new matrix, or ``None`` for a field that was ``None``.
        """
        return self._documents(field, 0)

    def documents(self, field: int) -> sparse.csr_matrix | None:
        """A field's texts as vectors whose dot products are their similarities.

        The word and the character vectors side by side, each scaled by the square root of
        its share: the dot product of two rows is :meth:`TextField.similarity` of one text
        with the other (every feature of a text of the field is known to the field).

        Returns:
            A new matrix, one row per text, or ``None`` for a field that was ``None``.
        """
        words = self._documents(field, 0)
        chars = self._documents(field, 1)
        if words is None or chars is None:
            return None
        return sparse.hstack(
            [np.sqrt(_WORD_WEIGHT) * words, np.sqrt(1.0 - _WORD_WEIGHT) * chars], format="csr"
        )

    def _documents(self, field: int, space: int) -> sparse.csr_matrix | None:
        """One space's vectors of a field (0: words, 1: characters), one row per text."""
        if field not in self._present:
            return None
        block = self._present.index(field)
        first, end = self._firsts[2 * block + space], self._firsts[2 * block + space + 1]
        start, stop = self._indptr[first], self._indptr[end]
        postings = sparse.csr_matrix(
            (
                self._data[start:stop],
                self._indices[start:stop] - self._columns[block],
                self._indptr[first : end + 1] - start,
            ),
            shape=(end - first, self._sizes[block]),
        )
        return sparse.csr_matrix(postings.T)

    def known(self, fields: Sequence[int]) -> tuple[frozenset[str], frozenset[str]]:
        """The word features and the character features that some fields' texts contain."""
        blocks = [self._present.index(field) for field in fields if field in self._present]

        def contained(vocabulary: _Vocabulary) -> frozenset[str]:
            has = np.zeros(vocabulary.rows.shape[1], dtype=bool)
            for block in blocks:
                has |= vocabulary.rows[block] != vocabulary.empty
            return frozenset(f for f, i in vocabulary.ids.items() if has[i])

        return contained(self._words), contained(self._chars)

    def word_idf(self, field: int, feature: str) -> float:
        """A word feature's idf in a field's word space (the unseen idf if it lacks it).

        A field that was ``None`` has no space: every feature weighs 1 there.
        """
        if field not in self._present:
            return 1.0
        vocabulary = self._words
        block = self._present.index(field)
        return float(vocabulary.idf[block, vocabulary.ids.get(feature, -1)])

    def match(self, words: list[str], chars: list[str]) -> Match:
        """The similarity of a query with every text of every field.

        Args:
            words: The query's word features.
            chars: The query's character features.

        Returns:
            The similarities and the query's word vectors, field by field.
        """
        word_rows, word_weights = self._words.query(words)
        char_rows, char_weights = self._chars.query(chars)
        # Field by field, its word rows and then its character rows, weighted as
        # TextField.similarity weighs the two cosines.
        rows = np.concatenate([word_rows, char_rows], axis=1)
        weights = np.concatenate(
            [_WORD_WEIGHT * word_weights, (1.0 - _WORD_WEIGHT) * char_weights], axis=1
        ).ravel()
        rows = rows.ravel()
        firsts = self._indptr[rows]
        lengths = self._indptr[rows + 1] - firsts
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        scores: Floats
        if total > _SPARSE_PRODUCT:
            # scipy's row selection and product run in compiled loops; they cost more per
            # call than the numpy steps below but less per posting. Both add the same
            # products in the same order.
            scores = self._postings[rows].T @ weights
        else:
            positions = np.arange(total)
            positions += np.repeat(firsts - ends + lengths, lengths)
            contributions = self._data[positions] * np.repeat(weights, lengths)
            scores = np.bincount(
                self._indices[positions], contributions, int(self._columns[-1])
            ).astype(np.float64, copy=False)
        similarities: list[Floats | None] = [None] * self._fields
        for block, field in enumerate(self._present):
            similarities[field] = scores[self._columns[block] : self._columns[block + 1]]
        return Match(tuple(similarities), self._present, self._words, word_rows, word_weights)


@dataclass(frozen=True, slots=True)
class Match:
    """A query matched against :class:`TextFields`.

    Attributes:
        similarities: Field by field, the weighted cosines of the query with each text, in
            [0, 1], as :meth:`TextField.similarity` gives them (``None`` for a field that
            was ``None``).
    """

    similarities: tuple[Floats | None, ...]
    _present: list[int]
    _vocabulary: _Vocabulary
    _rows: Rows
    _weights: Floats

    def words(self, field: int) -> tuple[Rows, Floats] | None:
        """The query's vector in a field's word space, as :meth:`TfidfSpace.query` gives it.

        Returns:
            The rows and weights, or ``None`` for a field that was ``None``.
        """
        if field not in self._present:
            return None
        return self._vocabulary.known(self._present.index(field), self._rows, self._weights)


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """One kind of feature (words or characters) in the spaces of several fields."""

    ids: dict[str, int]
    # For each space (one per field) and each feature id, the feature's row in the joined
    # postings and its idf in the space; a feature that the space lacks has the empty row
    # and the space's unseen idf. The last column is for features that no space has.
    rows: Rows
    idf: Floats
    firsts: Rows
    empty: int

    @classmethod
    def join(cls, spaces: Sequence[TfidfSpace], firsts: Rows, empty: int) -> _Vocabulary:
        ids: dict[str, int] = {}
        for space in spaces:
            for feature in space.vocabulary:
                ids.setdefault(feature, len(ids))
        rows = np.full((len(spaces), len(ids) + 1), empty, dtype=np.int64)
        idf = np.empty((len(spaces), len(ids) + 1))
        for i, (space, first) in enumerate(zip(spaces, firsts, strict=True)):
            size = len(space.vocabulary)
            joint = np.fromiter(map(ids.__getitem__, space.vocabulary), np.int64, size)
            own = np.fromiter(space.vocabulary.values(), np.int64, size)
            rows[i, joint] = own + first
            idf[i] = space.unseen_idf
            idf[i, joint] = space.idf[own]
        return cls(ids, rows, idf, firsts, empty)

    def query(self, features: list[str]) -> tuple[Rows, Floats]:
        """For each space, the rows and the weights of the features (:meth:`TfidfSpace.query`).

        A feature that a space lacks gets the empty row, and a weight that counts only in
        the norm.
        """
        counts = Counter(features)
        if not counts:
            return self.rows[:, :0], self.idf[:, :0]
        joint = np.fromiter(map(self.ids.get, counts, repeat(-1)), np.int64, len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))
        weights = tf * self.idf[:, joint]
        weights /= np.sqrt(np.einsum("ij,ij->i", weights, weights))[:, np.newaxis]
        return self.rows[:, joint], weights

    def known(self, space: int, rows: Rows, weights: Floats) -> tuple[Rows, Floats]:
        """One space's part of :meth:`query`: its own rows of the features it has."""
        has = rows[space] != self.empty
        return rows[space][has] - self.firsts[space], weights[space][has]
