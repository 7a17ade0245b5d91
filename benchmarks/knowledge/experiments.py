"""Scratch experiments (kept for the record): compare scoring methods on Banking77 dev."""

# ruff: noqa: N806
# Matrix names (V, Q, S) follow the usual notation in these throwaway experiments.
from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.knowledge.banking77 import build, read_splits
from knowledge.article import HANDOFF
from knowledge.index import SearchIndex


def load_wordllama():
    spec = importlib.util.find_spec("wordllama")
    root = Path(next(iter(spec.submodule_search_locations)))
    table = load_file(root / "weights" / "l2_supercat_256.safetensors")["embedding.weight"]
    tok = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    return table.astype(np.float32), tok


TABLE, TOK = load_wordllama()


def embed(texts, weights=None):
    out = np.zeros((len(texts), TABLE.shape[1]), dtype=np.float32)
    for i, enc in enumerate(TOK.encode_batch(texts, add_special_tokens=False)):
        ids = np.asarray(enc.ids, dtype=np.int64)
        if len(ids) == 0:
            continue
        if weights is None:
            out[i] = TABLE[ids].mean(axis=0)
        else:
            w = weights[ids]
            out[i] = (TABLE[ids] * w[:, None]).sum(axis=0) / max(w.sum(), 1e-9)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    return out


def token_idf(texts):
    df = np.zeros(TABLE.shape[0])
    for enc in TOK.encode_batch(texts, add_special_tokens=False):
        df[list(set(enc.ids))] += 1
    n = len(texts)
    return np.log((1 + n) / (1 + df)) + 1


def tfidf_scores(index, texts):
    lang = index._languages[0]
    out = []
    for t in texts:
        w, c = lang.features(t)
        out.append(lang.fields.match(w, c).similarities[0])
    return np.array(out), lang


def main() -> None:
    # Banking77 from $HELPLINE_EVAL_DATA (benchmarks/knowledge/eval_data.py).
    train, dev = read_splits(None)
    for name in ("B77-full", "B77-10shot", "B77-unseen"):
        p = build(name, train, dev)
        t0 = time.perf_counter()
        index = SearchIndex.build(p.knowledge)
        variants = [v for a in p.knowledge.articles for v in a.variants]
        owner = np.array([i for i, a in enumerate(p.knowledge.articles) for _ in a.variants])
        ids = [a.id for a in p.knowledge.articles]
        texts = [c.text for c in p.cases]
        expected = [c.expected for c in p.cases]
        T, _ = tfidf_scores(index, texts)
        idf = token_idf(variants)
        for wname, weights in (("mean", None), ("idf", idf)):
            V = embed(variants, weights)
            Q = embed(texts, weights)
            E = Q @ V.T
            for alpha in (0.0, 0.5, 0.6, 0.7, 1.0):
                S = alpha * E + (1 - alpha) * T
                # nearest variant
                best_var = S.argmax(axis=1)
                pred = [ids[owner[j]] for j in best_var]
                # article max and top-3 mean
                A = np.full((len(texts), len(ids)), -1.0)
                np.maximum.at(A.T, owner, S.T)
                acc = np.mean(
                    [p_ == e for p_, e in zip(pred, expected, strict=True) if e != HANDOFF]
                )
                print(f"{name:11s} {wname:4s} a={alpha:.1f} nearest={acc:.3f}")
        print(f"  {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main()
