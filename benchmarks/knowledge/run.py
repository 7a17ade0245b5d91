"""Knowledge benchmark: every protocol side by side with the previous method and baselines.

Usage (from the repository root)::

    python benchmarks/knowledge/run.py [--data DIR] [--queries N]
                                       [--protocols sample,CLINC-dev,...]
                                       [--scale 1000,10000,100000]

Protocols: the sample knowledge's realistic cases (``sample``: the development set,
``sample-holdout``: measured only), ``CLINC-dev`` and the Banking77 ones
(``benchmarks/knowledge/bases.py``, ``benchmarks/knowledge/banking77.py``). CLINC-dev, the
Banking77 protocols and the scale run read the public data sets CLINC150 and Banking77 from
the folder given with ``--data DIR`` or ``HELPLINE_EVAL_DATA`` (its layout:
``benchmarks/knowledge/eval_data.py``); without them, only
``--protocols sample,sample-holdout --scale ''`` runs. Every
(protocol, method) pair runs in its own subprocess, so that its peak resident memory is its
own. Methods:

- ``helpline``: the product's index (:class:`knowledge.index.SearchIndex`) and the bot's
  decision rule at the default answer threshold;
- ``previous``: the same for the search as it was before the confidence model (the code of
  commit :data:`PREVIOUS`, read from git), at its default threshold (0.6);
  ``previous-own`` is it at the threshold the sample deployment then set for itself
  (0.1575; sample protocols only);
- ``helpline-calibrated``: the same with the threshold fitted (``kb calibrate``) on the
  very cases it is measured on: the best a calibration on similar cases can do;
- ``helpline-minilm``: the product's index with ``knowledge_model = "minilm"`` (the optional
  ``minilm`` extra; left out of the default list when torch is not installed);
- ``bm25``: BM25 over the question variants (``bm25s``, stemmed English), nearest variant;
- ``char-tfidf``: character 3-5-gram TF-IDF cosine (scikit-learn), nearest variant.

Columns: top-1 (the best candidate is the right article, among in-knowledge queries),
answered right (the bot answered with the right article: ``in_scope_accuracy``), answer
precision, handoff recall. The baselines always answer with their best article, so on
B77-unseen their answer precision is what answering everything gives. The scale run only
measures speed and memory (its articles are random).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
# The previous method's child process imports the product from an older tree first.
if os.environ.get("HELPLINE_BENCH_CODE"):
    sys.path.insert(0, os.environ["HELPLINE_BENCH_CODE"])

from benchmarks.knowledge import bases, eval_data
from benchmarks.knowledge.banking77 import PROTOCOLS, Protocol, build, knowledge_base, read_splits
from knowledge.article import HANDOFF, KnowledgeBase
from knowledge.embedding import ModelName, load_embedding
from knowledge.evaluation import Metrics, Trial, calibrate, peak_rss_mb, run_cases, score
from knowledge.index import Candidate, SearchIndex
from knowledge.loader import Case

METHODS = (
    "helpline",
    "previous",
    "previous-own",
    "helpline-calibrated",
    "helpline-minilm",
    "char-tfidf",
    "bm25",
)
#: The commit whose search is the ``previous`` method: the last one before the confidence
#: model, the Danish weak words and the background questions.
PREVIOUS = "fc86f53"
#: The threshold the sample deployment set for itself with the previous search.
PREVIOUS_SAMPLE_THRESHOLD = 0.1575
ALL_PROTOCOLS = (*bases.PROTOCOLS, *PROTOCOLS)

Ranker = Callable[[str], str | None]


def _top1(trials: Sequence[Trial]) -> float:
    """Share of in-knowledge cases whose best candidate is the right article."""
    in_scope = [t for t in trials if t.expected != HANDOFF]
    right = sum(1 for t in in_scope if t.candidates and t.candidates[0].article.id == t.expected)
    return right / len(in_scope) if in_scope else 1.0


def _helpline(
    protocol: Protocol, *, calibrated: bool, model: ModelName, threshold: float | None = None
) -> tuple[Metrics, float, float]:
    from bot.dialogue.answer_policy import Outcome, Thresholds, decide

    default_threshold, margin = _defaults()
    start = time.perf_counter()
    embedding = load_embedding(model)
    index = SearchIndex.build(protocol.knowledge, embedding=embedding, training="background")
    build_s = time.perf_counter() - start
    index.wait_until_trained()
    train_s = time.perf_counter() - start - build_s

    def answered(candidates: Sequence[Candidate], threshold: float) -> str | None:
        decision = decide(candidates, Thresholds(threshold, margin))
        return decision.candidates[0].article.id if decision.outcome is Outcome.ANSWER else None

    trials = run_cases(index, protocol.cases)
    if threshold is None:
        threshold = calibrate(trials, answered) if calibrated else default_threshold
    metrics = score(trials, answered, threshold, build_s=build_s, peak_rss_mb=peak_rss_mb())
    return metrics, _top1(trials), train_s


def _defaults() -> tuple[float, float]:
    """The default answer threshold and clarify margin of the code under test.

    Read from ``bot.dialogue.answer_policy``, which imports little, so that peak memory is
    the search's own; the previous code kept them only in its settings (which imported little then).
    """
    try:
        from bot.dialogue.answer_policy import ANSWER_THRESHOLD, CLARIFY_MARGIN
    except ImportError:
        from bot.settings.model import Settings

        settings = Settings()
        return settings.answer_threshold, settings.clarify_margin
    return ANSWER_THRESHOLD, CLARIFY_MARGIN


def _nearest_variant(knowledge: KnowledgeBase, method: str) -> Ranker:
    owners = [a.id for a in knowledge.articles for _ in a.variants]
    variants = [v for a in knowledge.articles for v in a.variants]
    if method == "bm25":
        import bm25s
        import snowballstemmer

        stemmer = snowballstemmer.stemmer("english")
        retriever = bm25s.BM25()
        retriever.index(
            bm25s.tokenize(variants, stemmer=stemmer, show_progress=False), show_progress=False
        )

        def bm25(text: str) -> str | None:
            tokens = bm25s.tokenize([text], stemmer=stemmer, show_progress=False)
            if not tokens.ids[0]:
                return None
            found, _ = retriever.retrieve(tokens, k=1, show_progress=False, n_threads=1)
            return owners[int(found[0][0])]

        return bm25
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    matrix = vectorizer.fit_transform(variants).T.tocsr()

    def char_tfidf(text: str) -> str | None:
        similarities = (vectorizer.transform([text]) @ matrix).toarray()[0]
        return owners[int(similarities.argmax())] if similarities.max() > 0 else None

    return char_tfidf


class _Always:
    """A baseline as a search index: its best article, always with score 1."""

    def __init__(self, knowledge: KnowledgeBase, rank: Ranker) -> None:
        self._knowledge = knowledge
        self._rank = rank

    def search(self, text: str, *, limit: int = 5, language: str | None = None) -> list[Candidate]:
        best = self._rank(text)
        article = None if best is None else self._knowledge.get(best, None)
        return [] if article is None else [Candidate(article, 1.0, article.title, 1.0)]


def _baseline(protocol: Protocol, method: str) -> tuple[Metrics, float, float]:
    start = time.perf_counter()
    index = _Always(protocol.knowledge, _nearest_variant(protocol.knowledge, method))
    build_s = time.perf_counter() - start
    trials = run_cases(index, protocol.cases)  # type: ignore[arg-type]

    def answered(candidates: Sequence[Candidate], threshold: float) -> str | None:
        return candidates[0].article.id if candidates else None

    metrics = score(trials, answered, 0.0, build_s=build_s, peak_rss_mb=peak_rss_mb())
    return metrics, _top1(trials), 0.0


def _scaled(train: list[tuple[str, str]], variants: int) -> KnowledgeBase:
    """A knowledge base of about ``variants`` questions: 10 per article, from train.csv."""
    rng = random.Random(0)
    texts = [text for text, _ in train]
    articles = {f"topic-{i:06d}": rng.sample(texts, 9) for i in range(max(1, variants // 10))}
    return knowledge_base(articles)


def _installed(methods: Sequence[str]) -> list[str]:
    """The methods whose packages are installed (MiniLM is an optional extra)."""
    from knowledge.sentence_embedding import missing_packages

    return [m for m in methods if m != "helpline-minilm" or not missing_packages()]


def _protocol(args: argparse.Namespace) -> Protocol:
    if args.protocol in bases.PROTOCOLS:
        return bases.build(args.protocol, args.data)
    train, dev = read_splits(args.data)
    if args.queries:
        dev = random.Random(1).sample(dev, min(args.queries, len(dev)))
    if args.protocol.startswith("scale-"):
        size = int(args.protocol.removeprefix("scale-"))
        kb = _scaled(train, size)
        ids = kb.ids
        cases = tuple(
            Case(t, ids[i % len(ids)], Path("dev.csv"), i) for i, (t, _) in enumerate(dev)
        )
        return Protocol(args.protocol, kb, cases)
    if args.train_per_intent:
        kept: dict[str, int] = {}
        rows = []
        for text, intent in train:
            if kept.get(intent, 0) < args.train_per_intent:
                kept[intent] = kept.get(intent, 0) + 1
                rows.append((text, intent))
        train = rows
    return build(args.protocol, train, dev)


def _child(args: argparse.Namespace) -> None:
    protocol = _protocol(args)
    if args.method.startswith(("helpline", "previous")):
        model: ModelName = "minilm" if args.method == "helpline-minilm" else "wordllama"
        own = PREVIOUS_SAMPLE_THRESHOLD if args.method == "previous-own" else None
        metrics, top1, train_s = _helpline(
            protocol, calibrated=args.method == "helpline-calibrated", model=model, threshold=own
        )
    else:
        metrics, top1, train_s = _baseline(protocol, args.method)
    variants = sum(len(a.variants) for a in protocol.knowledge.articles)
    in_scope = sum(1 for c in protocol.cases if c.expected != HANDOFF)
    print(
        json.dumps(
            {
                **metrics.as_dict(),
                "top1": top1,
                "train_s": train_s,
                "variants": variants,
                "in_scope": in_scope,
            }
        )
    )


def _run(args: argparse.Namespace, protocol: str, method: str) -> dict[str, float]:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--protocol",
        protocol,
        "--method",
        method,
        "--queries",
        str(args.queries or 0),
        "--train-per-intent",
        str(args.train_per_intent or 0),
    ]
    if args.data is not None:
        command += ["--data", str(args.data)]
    environment = dict(os.environ)
    if method.startswith("previous"):
        environment["HELPLINE_BENCH_CODE"] = str(_previous_code(args))
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=environment)
    if done.returncode != 0:
        raise SystemExit(f"{protocol} / {method} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _previous_code(args: argparse.Namespace) -> Path:
    """The product packages of :data:`PREVIOUS`, extracted once into a scratch folder."""
    target = Path(tempfile.gettempdir()) / f"helpline-bench-{PREVIOUS}"
    if not (target / "knowledge").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        root = Path(__file__).resolve().parents[2]
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", PREVIOUS, "knowledge", "bot", "handoff"],
            check=True,
            capture_output=True,
        )
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(target, filter="data")
    return target


def _applies(protocol: str, method: str) -> bool:
    """Whether a method is run on a protocol (the sample's own old threshold: sample only)."""
    return method != "previous-own" or protocol in bases.PROTOCOLS


def _data_sets(protocols: Sequence[str], *, scaled: bool) -> list[str]:
    """The data sets (:data:`eval_data.DATA_SETS`) the protocols and the scale run read."""
    needed = {"clinc150"} if "CLINC-dev" in protocols else set()
    if scaled or any(p in PROTOCOLS for p in protocols):
        needed.add("banking77")
    return sorted(needed)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help=f"the folder of Banking77 and CLINC150 (default: ${eval_data.ENVIRONMENT})",
    )
    parser.add_argument("--queries", type=int, default=0, help="use only N dev queries")
    parser.add_argument("--train-per-intent", type=int, default=0, help="cap train rows")
    parser.add_argument("--scale", default="1000,10000,100000", help="sizes, or '' for none")
    parser.add_argument("--methods", default=",".join(_installed(METHODS)))
    parser.add_argument("--protocols", default=",".join(ALL_PROTOCOLS))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--protocol", help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args)
        return
    methods = [m for m in args.methods.split(",") if m]
    protocols = [p for p in args.protocols.split(",") if p]
    sizes = [int(s) for s in args.scale.split(",") if s]
    # Every data set asked for is checked before the first run takes minutes.
    for data_set in _data_sets(protocols, scaled=bool(sizes)):
        eval_data.located(data_set, args.data)
    print(
        "| protocol | method | top-1 | answered right | answer precision | handoff recall "
        "| p50 ms | p99 ms | build s | train s | peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for protocol in protocols:
        for method in (m for m in methods if _applies(protocol, m)):
            r = _run(args, protocol, method)
            print(
                f"| {protocol} | {method} | {r['top1']:.1%} | {r['in_scope_accuracy']:.1%} "
                f"| {r['answer_precision']:.1%} | {r['handoff_recall']:.1%} "
                f"| {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['build_s']:.2f} "
                f"| {r['train_s']:.2f} | {r['peak_rss_mb']:.0f} |",
                flush=True,
            )
    if sizes:
        print()
        print("| variants | method | p50 ms | p99 ms | build s | train s | peak RSS MB |")
        print("|---|---|---|---|---|---|---|")
    for size in sizes:
        # The calibrated variant searches exactly as the default one does.
        for method in (m for m in methods if m not in {"helpline-calibrated", "previous-own"}):
            r = _run(args, f"scale-{size}", method)
            print(
                f"| {int(r['variants']):,} | {method} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
                f"| {r['build_s']:.2f} | {r['train_s']:.2f} | {r['peak_rss_mb']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
