"""A linear classifier over the articles of one language, trained when the index is built.

Nearest-variant search asks "which question is this message closest to?". A classifier asks
"which article is it?": trained on every question of every article, it learns which
directions of the embedding space tell two articles apart, so a paraphrase that lies nearer
to a question of the wrong article can still land on the right one. On Banking77 dev it
raised top-1 from 86.8% (nearest variant) to 89.6% (B77-full) and from 74.2% to 79.0%
(10-shot) with WordLlama vectors (``docs/knowledge.md``).

The model is multinomial logistic regression on the question embeddings (scaled by
:data:`_SCALE`, which sets how sharp the probabilities may get) and, for bases of up to
500 articles, the TF-IDF vectors of the questions' stemmed words that several questions
share (the index has both already), with a small L2 penalty, fitted by L-BFGS (scipy). It
trains in 1-2 s for 8,500 questions in 77 articles (scikit-learn's solver took 27-35 s
for the embeddings alone) and answers a message with one small matrix product and a few
rows of word weights.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import minimize

from knowledge.tfidf import Floats

#: The embeddings are multiplied by this before the linear layer: unit vectors have cosines
#: in a narrow band, and a larger scale let the fit reach sharper probabilities (89.6%
#: top-1 on B77-full at 4, 87.3% at 1).
_SCALE = 4.0
#: The L2 penalty; 1e-3 under-fitted (88.2%), 1e-4 did best on Banking77 dev.
_PENALTY = 1e-4
#: L-BFGS iterations; the fit has converged by then on Banking77 (50-80 were used).
_ITERATIONS = 100
#: L-BFGS's memory (pairs of past steps). Each pair costs two copies of the weights: at
#: 1,000 articles 4 MB, so scipy's default of 10 added about 50 MB at peak.
_MEMORY = 3
#: The largest fit (questions x articles) that is trained: 10,000 questions in 1,000 articles
#: take about 30 s of one core; 100,000 questions in 10,000 articles would take an hour, and
#: the search goes on without the classifier there.
MAX_WORK = 20_000_000
#: The stemmed words (and word pairs) beside the embeddings: a word must occur in at least
#: this many questions to be a feature, and the words are weighted by this against the
#: embeddings (whose scale is :data:`_SCALE`). On Banking77 dev they raised top-1, blended
#: into the search, from 79.6% to 80.4% (10-shot) and from 90.5% to 90.6% (B77-full);
#: a scale of 1 or 3, words of one question, or character n-grams too did no better.
_WORD_MIN_QUESTIONS = 2
_WORD_SCALE = 2.0
#: The most word weights (words x articles): the words that occur in most questions are
#: kept. L-BFGS holds about 20 float64 copies of the weights at its peak, so this costs
#: about 25 MB (Banking77: 1,950 of its 5,700 shared words; all of them cost 80 MB, for
#: 90.7% instead of 90.6%). Above 500 articles fewer than :data:`_WORD_MIN_FEATURES` words
#: would be left, and none are used.
_WORD_BUDGET = 150_000
_WORD_MIN_FEATURES = 300
#: Rows per block of the gradient: keeps the probability matrix small when there are many
#: articles (10,000 questions in 1,000 articles would need 40 MB at once).
_BLOCK = 512

Vectors = npt.NDArray[np.float32]
Rows = npt.NDArray[np.int64]


class TrainingStopped(Exception):
    """Raised by a ``keep_going`` callback's owner to end a fit early (internal)."""


class ArticleClassifier:
    """Probabilities of each article given a message's embedding (and words).

    Immutable after :meth:`fit`; safe to share between threads.
    """

    def __init__(
        self,
        weights: Vectors,
        bias: Vectors,
        *,
        word_columns: Rows | None = None,
        word_weights: Vectors | None = None,
    ) -> None:
        """Use :meth:`fit`; this constructor takes fitted parameters.

        Args:
            weights: One column per article, one row per embedding dimension.
            bias: One value per article.
            word_columns: For each word of the word space, its row in ``word_weights``
                (-1 for a word that is not a feature).
            word_weights: One column per article, one row per word feature.
        """
        self._weights = weights
        self._bias = bias
        self._word_columns = word_columns
        self._word_weights = word_weights

    @classmethod
    def fit(
        cls,
        vectors: Vectors,
        labels: npt.NDArray[np.int64],
        classes: int,
        *,
        words: sparse.csr_matrix | None = None,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> ArticleClassifier | None:
        """Fit the classifier on question embeddings (and words).

        Args:
            vectors: One unit vector per question, shape ``(questions, dimensions)``.
            labels: The article (``0 .. classes - 1``) of each question.
            classes: The number of articles.
            words: The questions' TF-IDF word vectors, one row per question
                (:meth:`knowledge.tfidf.TfidfSpace.documents`); the words that enough
                questions share become features too (:data:`_WORD_BUDGET`).
            keep_going: Asked after every iteration; returning ``False`` abandons the fit
                (the index it was for has been replaced).

        Returns:
            The classifier, or ``None`` when there is nothing to tell apart (fewer than two
            articles), the fit would be too large (:data:`MAX_WORK`) or it was abandoned.
        """
        if classes < 2 or len(vectors) == 0 or len(vectors) * classes > MAX_WORK:
            return None
        # Fitting W on the unscaled vectors with the penalty divided by the scale squared
        # finds the same model as fitting on scaled vectors, without a scaled copy of them.
        # Not copied: the index keeps its vectors column-major (knowledge.index), and a
        # row-major copy of 10,000 questions would add 10 MB to the training's peak memory.
        features = np.asarray(vectors, dtype=np.float32)
        penalty = _PENALTY / _SCALE**2
        dimensions = features.shape[1]
        rows = len(features)
        word_columns, chosen = _word_features(words, classes)
        if chosen is not None:
            # The words at their own scale, the same way as the embeddings above.
            word_penalty = _PENALTY / _WORD_SCALE**2
            kept = chosen.shape[1]
        else:
            word_penalty, kept = 0.0, 0
        size = dimensions * classes

        def loss_and_gradient(flat: Floats) -> tuple[float, Floats]:
            weights = flat[:size].reshape(dimensions, classes).astype(np.float32)
            word_weights = (
                flat[size : size + kept * classes].reshape(kept, classes).astype(np.float32)
            )
            bias = flat[size + kept * classes :].astype(np.float32)
            loss = 0.0
            gradient = np.zeros((dimensions, classes), dtype=np.float32)
            word_gradient = np.zeros((kept, classes), dtype=np.float32)
            bias_gradient = np.zeros(classes, dtype=np.float32)
            for first in range(0, rows, _BLOCK):
                # Each block row-major, as the products were always computed: the same model
                # whatever the vectors' layout.
                block = np.ascontiguousarray(features[first : first + _BLOCK])
                truth = labels[first : first + _BLOCK]
                logits = block @ weights + bias
                if chosen is not None:
                    word_block = chosen[first : first + _BLOCK]
                    logits += np.asarray(word_block @ word_weights)
                logits -= logits.max(axis=1, keepdims=True)
                probabilities = np.exp(logits)
                totals = probabilities.sum(axis=1, keepdims=True)
                probabilities /= totals
                picked = np.arange(len(block))
                loss -= float((logits[picked, truth] - np.log(totals[:, 0])).sum())
                probabilities[picked, truth] -= 1.0
                gradient += block.T @ probabilities
                if chosen is not None:
                    word_gradient += np.asarray(word_block.T @ probabilities)
                bias_gradient += probabilities.sum(axis=0)
            loss = loss / rows + 0.5 * penalty * float(np.sum(weights * weights))
            loss += 0.5 * word_penalty * float(np.sum(word_weights * word_weights))
            gradient = gradient / rows + penalty * weights
            word_gradient = word_gradient / rows + word_penalty * word_weights
            bias_gradient /= rows
            return loss, np.concatenate(
                [gradient.ravel(), word_gradient.ravel(), bias_gradient]
            ).astype(np.float64)

        def check(_: Floats) -> None:
            if not keep_going():
                raise TrainingStopped

        try:
            result = minimize(
                loss_and_gradient,
                np.zeros(size + kept * classes + classes),
                jac=True,
                method="L-BFGS-B",
                callback=check,
                options={"maxiter": _ITERATIONS, "maxcor": _MEMORY},
            )
        except TrainingStopped:
            return None
        flat = np.asarray(result.x, dtype=np.float32)
        weights = flat[:size].reshape(dimensions, classes).copy()
        bias = flat[size + kept * classes :].copy()
        if chosen is None:
            return cls(weights, bias)
        word_weights = flat[size : size + kept * classes].reshape(kept, classes).copy()
        return cls(weights, bias, word_columns=word_columns, word_weights=word_weights)

    def probabilities(self, vector: Vectors, words: tuple[Rows, Floats] | None = None) -> Floats:
        """The probability of each article for one message.

        Args:
            vector: The message's unit embedding vector.
            words: The message's TF-IDF word vector as (rows, weights) of the word space
                the classifier was fitted with (:meth:`knowledge.tfidf.TfidfSpace.query`);
                ignored by a classifier fitted without words.

        Returns:
            One probability per article.
        """
        logits = (vector @ self._weights + self._bias).astype(np.float64)
        if words is not None and self._word_columns is not None and self._word_weights is not None:
            rows, weights = words
            columns = self._word_columns[rows]
            used = columns >= 0
            if used.any():
                contributions = self._word_weights[columns[used]].astype(np.float64)
                logits += weights[used] @ contributions
        logits -= logits.max()
        exponentials = np.exp(logits)
        probabilities: Floats = exponentials / exponentials.sum()
        return probabilities


def _word_features(
    words: sparse.csr_matrix | None, classes: int
) -> tuple[Rows | None, sparse.csr_matrix | None]:
    """The word features to fit: each word's column (or -1), and the questions' matrix."""
    if words is None:
        return None, None
    counts = np.bincount(words.indices, minlength=words.shape[1])
    shared = np.flatnonzero(counts >= _WORD_MIN_QUESTIONS)
    limit = _WORD_BUDGET // classes
    if limit < _WORD_MIN_FEATURES or len(shared) == 0:
        return None, None
    # The most widely shared words first (stable, so ties keep the space's order).
    kept = np.sort(shared[np.argsort(-counts[shared], kind="stable")[:limit]])
    columns = np.full(words.shape[1], -1, dtype=np.int64)
    columns[kept] = np.arange(len(kept))
    chosen = sparse.csr_matrix(words[:, kept], dtype=np.float32)
    return columns, chosen
