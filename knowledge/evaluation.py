"""Measuring the search against regression cases, and fitting the answer threshold.

A case is a customer message and the expected outcome: an article id, or ``handoff`` when
the bot should not answer. The decision rule (answer, ask back, fall back) belongs to the
bot; it comes in as a :data:`Decider`, so that these measurements use exactly the rule the
bot uses. Only an answer counts as answering: a question back ("did you mean A or B?")
answers nothing and offers a person, so it counts as a handoff.

The functions are pure apart from :func:`run_cases`, which reads the clock, and
:func:`peak_rss_mb`, which asks the operating system.
"""

from __future__ import annotations

import math
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

from knowledge.article import HANDOFF
from knowledge.index import Candidate, SearchIndex
from knowledge.language import detect_language

#: Given the ranked candidates and an answer threshold, the id of the article the bot
#: answers with, or ``None`` when it does not answer (it asks back or falls back).
Decider = Callable[[Sequence[Candidate], float], str | None]

#: Thresholds :func:`calibrate` tries: 0 to 1 in steps of 0.005.
THRESHOLD_GRID = tuple(i / 200 for i in range(201))


class CaseLike(Protocol):
    """A regression case (:class:`knowledge.loader.Case` is one)."""

    @property
    def text(self) -> str: ...

    @property
    def expected(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Trial:
    """One case searched: what the index returned and how long it took.

    Attributes:
        text: The customer's message.
        expected: An article id or ``handoff``.
        candidates: The ranked candidates.
        seconds: Wall time of the search.
    """

    text: str
    expected: str
    candidates: tuple[Candidate, ...]
    seconds: float


@dataclass(frozen=True, slots=True)
class Metrics:
    """The outcome of running regression cases (the keys of ``helpline kb eval --json``).

    Attributes:
        n: Number of cases.
        accuracy: Share of cases with the right outcome (the right article, or no answer for
            a ``handoff`` case).
        in_scope_accuracy: Share of the non-handoff cases answered with the right article.
        handoff_recall: Share of the ``handoff`` cases not answered.
        answer_precision: Right answers / answers given (1.0 when nothing was answered).
        p50_ms: Median search time per message, in milliseconds.
        p99_ms: 99th percentile search time per message, in milliseconds.
        build_s: Seconds to load and index the knowledge.
        peak_rss_mb: Peak resident memory of the process, in MB.
    """

    n: int
    accuracy: float
    in_scope_accuracy: float
    handoff_recall: float
    answer_precision: float
    p50_ms: float
    p99_ms: float
    build_s: float
    peak_rss_mb: float

    def as_dict(self) -> dict[str, float | int]:
        """The metrics as a JSON-ready mapping, in declaration order."""
        return asdict(self)


def run_cases(index: SearchIndex, cases: Sequence[CaseLike], *, limit: int = 5) -> list[Trial]:
    """Search every case's message, one at a time, timing each search.

    Each message is searched as the service searches a first message: in the language
    detected from its words, when there is one.

    Args:
        index: The search index.
        cases: The cases.
        limit: Candidates per search (the bot asks for 5).

    Returns:
        One trial per case, in order.
    """
    trials = []
    for case in cases:
        start = time.perf_counter()
        candidates = index.search(case.text, limit=limit, language=detect_language(case.text))
        seconds = time.perf_counter() - start
        trials.append(Trial(case.text, case.expected, tuple(candidates), seconds))
    return trials


def _ratio(part: int, whole: int, *, empty: float) -> float:
    return part / whole if whole else empty


def _percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def score(
    trials: Sequence[Trial],
    decider: Decider,
    threshold: float,
    *,
    build_s: float = 0.0,
    peak_rss_mb: float = 0.0,
) -> Metrics:
    """The metrics of some searched cases under one answer threshold.

    Args:
        trials: The searched cases.
        decider: The bot's decision rule.
        threshold: The answer threshold.
        build_s: Seconds it took to load and index the knowledge (reported as is).
        peak_rss_mb: Peak memory (reported as is).

    Returns:
        The metrics; shares are 1.0 when there is nothing to measure them on (no
        ``handoff`` cases gives a handoff recall of 1.0).
    """
    right = in_scope = in_scope_right = handoffs = handed_off = answers = 0
    for trial in trials:
        answered = decider(trial.candidates, threshold)
        if trial.expected == HANDOFF:
            handoffs += 1
            handed_off += answered is None
            right += answered is None
        else:
            in_scope += 1
            in_scope_right += answered == trial.expected
            right += answered == trial.expected
        answers += answered is not None
    right_answers = in_scope_right
    milliseconds = [trial.seconds * 1000.0 for trial in trials]
    return Metrics(
        n=len(trials),
        accuracy=_ratio(right, len(trials), empty=1.0),
        in_scope_accuracy=_ratio(in_scope_right, in_scope, empty=1.0),
        handoff_recall=_ratio(handed_off, handoffs, empty=1.0),
        answer_precision=_ratio(right_answers, answers, empty=1.0),
        p50_ms=_percentile(milliseconds, 0.50),
        p99_ms=_percentile(milliseconds, 0.99),
        build_s=build_s,
        peak_rss_mb=peak_rss_mb,
    )


def calibrate(trials: Sequence[Trial], decider: Decider) -> float:
    """Fit the answer threshold to some searched cases.

    The objective is the share of right outcomes (the right article, or no answer for a
    ``handoff`` case) minus the share of wrong answers, over :data:`THRESHOLD_GRID`: a wrong
    answer misleads the customer, while a needless offer of a person costs a wait, so a
    wrong answer counts against the threshold as much as a right outcome counts for it. An
    answer is then worth giving when it is right more often than not, which on Banking77
    (unseen-intent protocol) lands at about 90% answer precision. Ties go to the higher
    answer precision. Equally good thresholds form a run of grid points; the middle of the
    run is returned, so that the threshold does not sit right on the score of one case.

    Args:
        trials: The searched cases; they should include ``handoff`` cases, or the best
            threshold is simply a low one.
        decider: The bot's decision rule.

    Returns:
        The threshold.

    Raises:
        ValueError: There are no trials.
    """
    if not trials:
        raise ValueError("calibration needs at least one case")
    keys = []
    for threshold in THRESHOLD_GRID:
        metrics = score(trials, decider, threshold)
        wrong = _wrong_answers(trials, decider, threshold)
        utility = metrics.accuracy - wrong / len(trials)
        keys.append((round(utility, 12), round(metrics.answer_precision, 12)))
    best = max(keys)
    # The longest run of grid points with the best key; the first such run on a tie.
    run_start, run_length, start = 0, 0, None
    for i, key in enumerate([*keys, None]):
        if key == best and start is None:
            start = i
        elif key != best and start is not None:
            if i - start > run_length:
                run_start, run_length = start, i - start
            start = None
    middle = THRESHOLD_GRID[run_start + (run_length - 1) // 2]
    upper = THRESHOLD_GRID[run_start + run_length // 2]
    return round((middle + upper) / 2, 4)


def _wrong_answers(trials: Sequence[Trial], decider: Decider, threshold: float) -> int:
    wrong = 0
    for trial in trials:
        answered = decider(trial.candidates, threshold)
        wrong += answered is not None and answered != trial.expected
    return wrong


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
