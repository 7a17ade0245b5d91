"""Scratch experiments (kept for the record): linear classifiers trained at load time."""

# ruff: noqa: N806
# Matrix names (V, Q, S) follow the usual notation in these throwaway experiments.
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.knowledge.banking77 import build, read_splits
from benchmarks.knowledge.experiments import embed


def main() -> None:
    # Banking77 from $HELPLINE_EVAL_DATA (benchmarks/knowledge/eval_data.py).
    train, dev = read_splits(None)
    for name in ("B77-full", "B77-10shot"):
        p = build(name, train, dev)
        variants = [v for a in p.knowledge.articles for v in a.variants]
        y = np.array([i for i, a in enumerate(p.knowledge.articles) for _ in a.variants])
        ids = [a.id for a in p.knowledge.articles]
        texts = [c.text for c in p.cases]
        expected = np.array([ids.index(c.expected) for c in p.cases])
        for lower in (False, True):
            f = (lambda t: t.lower()) if lower else (lambda t: t)
            V = embed([f(v) for v in variants])
            Q = embed([f(t) for t in texts])
            nn = y[(Q @ V.T).argmax(1)]
            print(f"{name} lower={lower} nearest={np.mean(nn == expected):.3f}")
        wv = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
        cv = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 5))
        Xw, Xc = wv.fit_transform(variants), cv.fit_transform(variants)
        Qw, Qc = wv.transform(texts), cv.transform(texts)
        for feats in ("emb", "emb+char", "emb+word+char", "word+char"):
            parts, qparts = [], []
            if "emb" in feats:
                parts.append(sparse.csr_matrix(V * 1.0))
                qparts.append(sparse.csr_matrix(Q * 1.0))
            if "word" in feats:
                parts.append(Xw)
                qparts.append(Qw)
            if "char" in feats:
                parts.append(Xc)
                qparts.append(Qc)
            X = sparse.hstack(parts).tocsr()
            XQ = sparse.hstack(qparts).tocsr()
            for cname, clf in (
                ("svc C=1", LinearSVC(C=1.0)),
                ("svc C=0.3", LinearSVC(C=0.3)),
                ("lr C=10", LogisticRegression(C=10, max_iter=300)),
            ):
                if cname.startswith("lr") and feats != "emb":
                    continue
                t0 = time.perf_counter()
                Xfit = X.toarray() if feats == "emb" else X
                clf.fit(Xfit, y)
                dt = time.perf_counter() - t0
                pred = clf.predict(XQ.toarray() if feats == "emb" else XQ)
                print(
                    f"{name} {feats:14s} {cname:9s} acc={np.mean(pred == expected):.3f} "
                    f"train={dt:.1f}s"
                )


if __name__ == "__main__":
    main()
