"""A linear classifier over the articles of one language, trained when the index is built.

Nearest-variant search asks "which question is this message closest to?". A classifier asks
"which article is it?": trained on every question of every article, it learns which
directions of the embedding space tell two articles apart, so a paraphrase that lies nearer
to a question of the wrong article can still land on the right one. On Banking77 dev it
raised top-1 from 86.8% (nearest variant) to 89.6% (B77-full) and from 74.2% to 79.0%
(10-shot) with WordLlama vectors (``docs/knowledge.md``).

The model is multinomial logistic regression on the question embeddings (scaled by
:data:`_SCALE`, which sets how sharp the probabilities may get) with a small L2 penalty,
fitted by L-BFGS (scipy). It needs no features beyond the embeddings the index already
has, trains in about a second for 10,000 questions in 77 articles (scikit-learn's solver
took 27-35 s on the same data) and answers a message with one small matrix product.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
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
#: Rows per block of the gradient: keeps the probability matrix small when there are many
#: articles (10,000 questions in 1,000 articles would need 40 MB at once).
_BLOCK = 512

Vectors = npt.NDArray[np.float32]


class TrainingStopped(Exception):
    """Raised by a ``keep_going`` callback's owner to end a fit early (internal)."""


class ArticleClassifier:
    """Probabilities of each article given a message's embedding.

    Immutable after :meth:`fit`; safe to share between threads.
    """

    def __init__(self, weights: Vectors, bias: Vectors) -> None:
        """Use :meth:`fit`; this constructor takes fitted parameters.

        Args:
            weights: One column per article, one row per embedding dimension.
            bias: One value per article.
        """
        self._weights = weights
        self._bias = bias

    @classmethod
    def fit(
        cls,
        vectors: Vectors,
        labels: npt.NDArray[np.int64],
        classes: int,
        *,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> ArticleClassifier | None:
        """Fit the classifier on question embeddings.

        Args:
            vectors: One unit vector per question, shape ``(questions, dimensions)``.
            labels: The article (``0 .. classes - 1``) of each question.
            classes: The number of articles.
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
        features = np.ascontiguousarray(vectors, dtype=np.float32)
        penalty = _PENALTY / _SCALE**2
        dimensions = features.shape[1]
        rows = len(features)

        def loss_and_gradient(flat: Floats) -> tuple[float, Floats]:
            weights = flat[: dimensions * classes].reshape(dimensions, classes).astype(np.float32)
            bias = flat[dimensions * classes :].astype(np.float32)
            loss = 0.0
            gradient = np.zeros((dimensions, classes), dtype=np.float32)
            bias_gradient = np.zeros(classes, dtype=np.float32)
            for first in range(0, rows, _BLOCK):
                block = features[first : first + _BLOCK]
                truth = labels[first : first + _BLOCK]
                logits = block @ weights + bias
                logits -= logits.max(axis=1, keepdims=True)
                probabilities = np.exp(logits)
                totals = probabilities.sum(axis=1, keepdims=True)
                probabilities /= totals
                picked = np.arange(len(block))
                loss -= float((logits[picked, truth] - np.log(totals[:, 0])).sum())
                probabilities[picked, truth] -= 1.0
                gradient += block.T @ probabilities
                bias_gradient += probabilities.sum(axis=0)
            loss = loss / rows + 0.5 * penalty * float(np.sum(weights * weights))
            gradient = gradient / rows + penalty * weights
            bias_gradient /= rows
            return loss, np.concatenate([gradient.ravel(), bias_gradient]).astype(np.float64)

        def check(_: Floats) -> None:
            if not keep_going():
                raise TrainingStopped

        try:
            result = minimize(
                loss_and_gradient,
                np.zeros(dimensions * classes + classes),
                jac=True,
                method="L-BFGS-B",
                callback=check,
                options={"maxiter": _ITERATIONS, "maxcor": _MEMORY},
            )
        except TrainingStopped:
            return None
        flat = np.asarray(result.x, dtype=np.float32)
        weights = flat[: dimensions * classes].reshape(dimensions, classes).copy()
        return cls(weights, flat[dimensions * classes :].copy())

    def probabilities(self, vector: Vectors) -> Floats:
        """The probability of each article for one message's unit embedding vector."""
        logits = vector @ self._weights + self._bias
        logits = logits.astype(np.float64)
        logits -= logits.max()
        weights = np.exp(logits)
        probabilities: Floats = weights / weights.sum()
        return probabilities
