"""Time per search, on the sample knowledge and at scale, and a check that results still hold.

Usage (from the repository root)::

    python benchmarks/knowledge/search_speed.py [--rounds 5] [--bases sample,10000]
                                                [--compare PATH] [--data DIR]

``sample``: every message of the sample knowledge's cases (``examples/it-helpdesk/knowledge``,
English and Danish), searched in every language (a message whose language is unknown) and in
the language detected from its words (as the service searches when it knows the
conversation's language). A number: the scale protocol of ``benchmarks/knowledge/run.py``, a
base of that many questions (10 per article, from Banking77's ``train.csv``) searched with
every message of its ``dev.csv`` in the detected language; Banking77 is read from the folder
given with ``--data DIR`` or ``HELPLINE_EVAL_DATA`` (``benchmarks/knowledge/eval_data.py``).
The article classifier is trained
first, and one unmeasured round warms the caches as a running service has them.

Each search is timed twice: the process's CPU time, which a busy machine disturbs less, and
wall-clock time, which is what a customer waits (the issue's p99 target). The load average
is printed beside the figures.

``--compare PATH`` measures another checkout of the code too (a worktree of an older
commit), round by round alternating with this tree's, so that both see the same machine
load. Each side searches in a process of its own, importing the product from its own tree;
the messages, the bases' data and the installed dependencies are the same.

The sample's results are then compared with the record that
``tests/knowledge/test_index_results.py`` pins; the script fails if they differ.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "it-helpdesk" / "knowledge"
RECORD = ROOT / "tests" / "knowledge" / "sample_search_results.json"
# As in the test: other CPUs' BLAS kernels round the float32 embeddings differently.
TOLERANCE = 1e-4
#: Questions per article of a scale base, as in run.py's scale protocol.
QUESTIONS_PER_ARTICLE = 10


def _worker(code: Path, bases: Sequence[str], banking77: Path | None) -> None:
    """Build the bases with the product code of ``code``, then search on request.

    Reads one command a line from stdin: ``BASE MODE`` (``all`` or ``detected``) runs one
    round of that base's messages and answers with a JSON line of the CPU and wall
    microseconds of each search; ``check`` compares the sample with the record.
    """
    sys.path.insert(0, str(code))
    from knowledge.index import SearchIndex
    from knowledge.language import detect_language
    from knowledge.loader import case_files, load_cases, load_knowledge

    indexes: dict[str, SearchIndex] = {}
    messages: dict[str, list[tuple[str, str | None]]] = {}
    for base in bases:
        if base == "sample":
            knowledge = load_knowledge(SAMPLE).knowledge
            texts = [
                c.text for path in case_files(SAMPLE) for c in load_cases(path, knowledge=knowledge)
            ]
        else:
            from benchmarks.knowledge.banking77 import knowledge_base

            if banking77 is None:
                raise SystemExit(f"base {base}: the worker was started without Banking77")
            # run.py's scale protocol: the same seed, the same articles.
            rng = random.Random(0)
            train = _texts(banking77 / "train.csv")
            articles = int(base) // QUESTIONS_PER_ARTICLE
            knowledge = knowledge_base(
                {
                    f"topic-{i:06d}": rng.sample(train, QUESTIONS_PER_ARTICLE - 1)
                    for i in range(max(1, articles))
                }
            )
            texts = _texts(banking77 / "dev.csv")
        indexes[base] = SearchIndex.build(knowledge, training="now")
        messages[base] = [(text, detect_language(text)) for text in texts]
        for text, language in messages[base]:
            indexes[base].search(text, language=language)
    print("ready", flush=True)
    for line in sys.stdin:
        command = line.split()
        if command == ["check"]:
            print(json.dumps(_check(indexes["sample"])), flush=True)
            continue
        base, mode = command
        index = indexes[base]
        cpu, wall = [], []
        for text, language in messages[base]:
            start_cpu, start_wall = time.process_time_ns(), time.perf_counter_ns()
            index.search(text, language=language if mode == "detected" else None)
            cpu.append((time.process_time_ns() - start_cpu) / 1000)
            wall.append((time.perf_counter_ns() - start_wall) / 1000)
        print(json.dumps({"cpu": cpu, "wall": wall}), flush=True)


def _texts(path: Path) -> list[str]:
    """The ``text`` column of a Banking77 file.

    Read here rather than with the benchmarks' reader: a worker imports ``benchmarks`` from
    the tree it measures, which may predate that reader.
    """
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def _check(index: Any) -> str | None:
    """Why the sample's results differ from the record, or ``None`` if they do not."""
    worst = 0.0
    for recorded in json.loads(RECORD.read_text(encoding="utf-8")):
        found = index.search(recorded["text"])
        expected = recorded["candidates"]
        names = [[c.article.id, c.article.lang, c.matched] for c in found]
        if names != [row[:3] for row in expected]:
            return f"different candidates for {recorded['text']!r}"
        for candidate, row in zip(found, expected, strict=True):
            worst = max(worst, abs(candidate.score - row[3]), abs(candidate.similarity - row[4]))
    if worst > TOLERANCE:
        return f"scores differ from the record by up to {worst:.3g}"
    return None


class _Worker:
    """A worker process searching with one tree's code."""

    def __init__(self, code: Path, bases: Sequence[str], banking77: Path | None) -> None:
        command = [sys.executable, __file__, "--worker", str(code), "--bases", ",".join(bases)]
        if banking77 is not None:
            command += ["--banking77", str(banking77)]
        self.code = code
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )

    def ask(self, command: str) -> Any:
        stdin, stdout = self._pipes()
        stdin.write(command + "\n")
        stdin.flush()
        return json.loads(stdout.readline())

    def wait_ready(self) -> None:
        if self._pipes()[1].readline().strip() != "ready":
            raise SystemExit(f"the search of {self.code} failed to start")

    def close(self) -> None:
        self._pipes()[0].close()
        self.process.wait()

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        stdin, stdout = self.process.stdin, self.process.stdout
        if stdin is None or stdout is None:
            raise RuntimeError("the worker was started without pipes")
        return stdin, stdout


def _row(name: str, cpu: list[float], wall: list[float]) -> str:
    cq = statistics.quantiles(cpu, n=100)
    wq = statistics.quantiles(wall, n=100)
    return (
        f"| {name} | {statistics.median(cpu):.0f} | {cq[89]:.0f} | {cq[98]:.0f} |"
        f" {statistics.fmean(cpu):.0f} | {statistics.median(wall):.0f} | {wq[98]:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="searches of every message")
    parser.add_argument(
        "--bases", default="sample", help="'sample' and/or scale sizes, e.g. sample,10000"
    )
    parser.add_argument(
        "--compare", type=Path, default=None, help="another checkout of the code to alternate with"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="the folder of Banking77, for scale bases (default: $HELPLINE_EVAL_DATA)",
    )
    parser.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--banking77", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    bases = [base for base in args.bases.split(",") if base]
    if args.worker is not None:
        _worker(args.worker, bases, args.banking77)
        return
    banking77 = None
    if any(base.isdigit() for base in bases):
        # Imported here: a worker must import the product from its own tree first.
        from benchmarks.knowledge import eval_data

        banking77 = eval_data.located("banking77", args.data)
    if any(base != "sample" and not base.isdigit() for base in bases):
        parser.error(f"--bases {args.bases}: 'sample' or numbers of questions")
    if args.compare is not None and not (args.compare / "knowledge" / "index.py").is_file():
        parser.error(f"--compare {args.compare}: not a checkout of this code")

    trees = [ROOT] if args.compare is None else [args.compare.resolve(), ROOT]
    workers = [_Worker(tree, bases, banking77) for tree in trees]
    for worker in workers:
        worker.wait_ready()
    runs = [(base, mode) for base in bases for mode in _modes(base)]
    costs: dict[tuple[str, str, Path], tuple[list[float], list[float]]] = {
        (base, mode, tree): ([], []) for base, mode in runs for tree in trees
    }
    loads = [os.getloadavg()[0]]
    for base, mode in runs:
        for _ in range(args.rounds):
            for worker in workers:
                answer = worker.ask(f"{base} {mode}")
                cpu, wall = costs[base, mode, worker.code]
                cpu += answer["cpu"]
                wall += answer["wall"]
    loads.append(os.getloadavg()[0])
    problem = workers[-1].ask("check") if "sample" in bases else None
    for worker in workers:
        worker.close()

    print(f"load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end")
    print("microseconds per search (CPU time; wall-clock time):")
    print("| base, searched in, code | CPU median | CPU p90 | CPU p99 | CPU mean |", end="")
    print(" wall median | wall p99 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for base, mode in runs:
        for tree in trees:
            label = "this tree" if tree == ROOT else str(tree)
            name = f"{_label(base)}, {_MODES[mode]}, {label}"
            print(_row(name, *costs[base, mode, tree]))
    if problem is not None:
        sys.exit(problem)
    if "sample" in bases:
        print("sample results: as recorded")


_MODES = {"all": "every language", "detected": "the detected language"}


def _modes(base: str) -> tuple[str, ...]:
    # A scale base has one language: searching it in every language is the same search.
    return ("all", "detected") if base == "sample" else ("detected",)


def _label(base: str) -> str:
    return "sample" if base == "sample" else f"{int(base):,} questions"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
