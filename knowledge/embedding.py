"""Static word embeddings: a sentence is the mean of its tokens' vectors.

The model is WordLlama's ``l2_supercat`` (256 dimensions, 32,000 sub-word tokens, 16 MB),
which ships inside the ``wordllama`` wheel. It is read straight from the installed package
with ``tokenizers`` and ``safetensors``; WordLlama's own loader is not used, because it
configures the root logger when imported and downloads files it cannot find. Nothing here
touches the network.

Embedding a sentence is a table lookup and an average, about 20 microseconds, and captures
paraphrase ("reset my pw" and "forgot my password") that word and character overlap miss.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from knowledge.errors import EmbeddingModelMissing

_PACKAGE = "wordllama"
_WEIGHTS = Path("weights") / "l2_supercat_256.safetensors"
_TOKENIZER = Path("tokenizers") / "l2_supercat_tokenizer_config.json"
_TENSOR = "embedding.weight"
_BATCH = 256
# Up to this many texts (a message, read in each language) are embedded one by one in the
# calling thread: see StaticEmbedding._embed_one.
_FEW = 4

#: The weight of the static embeddings beside MiniLM's in ``minilm`` (see
#: :class:`JointEmbedding`). On Banking77 dev the two together ranked better than MiniLM
#: alone: top-1 on B77-full 92.9% against 92.4%, on 10-shot 84.7% against 83.9% (0.7:
#: 93.2% and 84.5%; 1.0 did worse; ``docs/knowledge.md``).
_STATIC_BESIDE_SENTENCE = 0.5

Vectors = npt.NDArray[np.float32]

#: The retrieval models (setting ``knowledge_model``): ``wordllama``, the static embeddings
#: here (default install), or ``minilm``, a small transformer (the ``minilm`` extra, see
#: :mod:`knowledge.sentence_embedding`) joined with the static embeddings.
ModelName = Literal["wordllama", "minilm"]


class Embedding(Protocol):
    """Turns texts into unit vectors whose dot products measure similarity of meaning."""

    @property
    def dimensions(self) -> int:
        """The length of every vector."""
        ...

    def embed(self, texts: Sequence[str], *, remember: bool = False) -> Vectors:
        """The unit vectors of some texts; ``remember`` marks index-time texts."""
        ...


def load_embedding(model: ModelName = "wordllama") -> Embedding:
    """Load a retrieval model by its name in the settings.

    Args:
        model: ``wordllama`` or ``minilm`` (MiniLM and the static embeddings joined, see
            :class:`JointEmbedding`).

    Returns:
        The loaded model; nothing is downloaded.

    Raises:
        EmbeddingModelMissing: The bundled WordLlama model is missing.
        OptionalModelMissing: ``minilm`` was chosen without the ``minilm`` extra installed.
    """
    if model == "minilm":
        # Imported only when chosen: the default install has no torch.
        from knowledge.sentence_embedding import SentenceEmbedding

        sentence = SentenceEmbedding.load()
        return JointEmbedding((sentence, shared_static_embedding()), (1.0, _STATIC_BESIDE_SENTENCE))
    return shared_static_embedding()


@functools.cache
def shared_static_embedding() -> StaticEmbedding:
    """The installed WordLlama model, loaded once per process.

    It is immutable, so every index of the process (each service, each rebuild, each
    ``kb`` command) can share it instead of reading 16 MB again. A failed load is not
    remembered: the next call tries again.

    Raises:
        EmbeddingModelMissing: The package or its model files are not installed.
    """
    return StaticEmbedding.load()


def model_directory() -> Path | None:
    """The folder of the installed ``wordllama`` package, found without importing it."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class StaticEmbedding:
    """Turns texts into L2-normalised 256-dimensional vectors.

    Immutable after loading; safe to share between threads and between indexes (one
    instance can serve every rebuild of a knowledge base).
    """

    def __init__(self, table: Vectors, tokenizer: Tokenizer) -> None:
        """Use :meth:`load`; this constructor takes an already loaded model.

        Args:
            table: One row per token id.
            tokenizer: The tokenizer whose ids index ``table``.
        """
        self._table = table
        self._tokenizer = tokenizer
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()

    @classmethod
    def load(cls, directory: Path | None = None) -> StaticEmbedding:
        """Load the model that ships inside the ``wordllama`` package.

        Args:
            directory: The package folder; default: where ``wordllama`` is installed.

        Returns:
            The embedding (about 0.2 s to load, 16 MB of memory).

        Raises:
            EmbeddingModelMissing: The package or its model files are not installed.
        """
        root = directory if directory is not None else model_directory()
        if root is None:
            raise EmbeddingModelMissing(Path(_PACKAGE) / _WEIGHTS)
        for part in (_WEIGHTS, _TOKENIZER):
            if not (root / part).is_file():
                raise EmbeddingModelMissing(root / part)
        # Kept in float16 (16 MB); rows are widened to float32 as they are looked up.
        table = load_file(str(root / _WEIGHTS))[_TENSOR]
        return cls(table, Tokenizer.from_file(str(root / _TOKENIZER)))

    @property
    def dimensions(self) -> int:
        """The length of every vector."""
        return int(self._table.shape[1])

    def embed(self, texts: Sequence[str], *, remember: bool = False) -> Vectors:
        """The unit vectors of some texts (a zero vector for a text without tokens).

        Args:
            texts: Any strings; they should already be cleaned of lone surrogates.
            remember: Ignored (a lookup is cheaper than a cache); part of :class:`Embedding`.

        Returns:
            An array of shape ``(len(texts), dimensions)``.
        """
        if 0 < len(texts) <= _FEW:
            # A message (in one or two languages' readings): see _embed_one.
            return np.stack([self._embed_one(text) for text in texts])
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return vectors
        last = self._table.shape[0] - 1
        # In batches: the tokenizer's encodings carry offsets and strings, about 5 kB each,
        # so 100,000 texts at once would cost half a gigabyte for a moment.
        for first in range(0, len(texts), _BATCH):
            batch = list(texts[first : first + _BATCH])
            encodings = self._tokenizer.encode_batch(batch, add_special_tokens=False)
            for row, encoding in enumerate(encodings, first):
                if encoding.ids:
                    ids = np.minimum(np.asarray(encoding.ids, dtype=np.int64), last)
                    vectors[row] = self._table[ids].astype(np.float32).mean(axis=0)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        np.divide(vectors, norms, out=vectors, where=norms > 0)
        return vectors

    def _embed_one(self, text: str) -> Vectors:
        """:meth:`embed` of one text (a message), with the same numbers in fewer steps.

        It is encoded in this thread: ``encode_batch`` hands its work to the tokenizer's
        thread pool, and on a busy machine the wait for a pool thread is added to the
        customer's. The mean and the norm are the same float32 sums as ``embed``'s.
        """
        vector = np.zeros(self.dimensions, dtype=np.float32)
        ids = self._tokenizer.encode(text, add_special_tokens=False).ids
        if not ids:
            return vector
        last = self._table.shape[0] - 1
        if max(ids) > last:
            ids = [min(i, last) for i in ids]
        np.add.reduce(self._table[ids], axis=0, dtype=np.float32, out=vector)
        vector /= np.float32(len(ids))
        norm = np.sqrt(np.add.reduce(vector * vector))
        if norm > 0:
            vector /= norm
        return vector


class JointEmbedding:
    """Two or more embeddings side by side: each part's unit vector, weighted, then joined.

    The cosine of two joined vectors is the weighted mean of the parts' cosines (weights
    squared), and a classifier trained on them sees every part's features at once. A
    transformer and the static embeddings make different mistakes, so together they rank
    better than the transformer alone (``docs/knowledge.md``).
    """

    def __init__(self, parts: Sequence[Embedding], weights: Sequence[float]) -> None:
        """Join some embeddings.

        Args:
            parts: The embeddings.
            weights: One positive weight per part.

        Raises:
            ValueError: The weights do not match the parts, or one is not positive.
        """
        if len(parts) != len(weights) or any(w <= 0 for w in weights):
            raise ValueError("one positive weight per part is needed")
        self._parts = tuple(parts)
        self._weights = tuple(float(w) for w in weights)

    @property
    def dimensions(self) -> int:
        """The length of every vector (the parts' lengths added up)."""
        return sum(part.dimensions for part in self._parts)

    def embed(self, texts: Sequence[str], *, remember: bool = False) -> Vectors:
        """The unit vectors of some texts (a zero vector for a text no part can embed).

        Args:
            texts: Any strings; they should already be cleaned of lone surrogates.
            remember: Passed to every part (index-time texts).

        Returns:
            An array of shape ``(len(texts), dimensions)``.
        """
        vectors = np.concatenate(
            [
                weight * part.embed(texts, remember=remember)
                for part, weight in zip(self._parts, self._weights, strict=True)
            ],
            axis=1,
        ).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        np.divide(vectors, norms, out=vectors, where=norms > 0)
        return vectors
