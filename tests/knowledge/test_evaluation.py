"""Evaluation: the metrics of searched cases, and fitting the answer threshold."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from knowledge.article import HANDOFF, Article
from knowledge.evaluation import Trial, calibrate, score
from knowledge.index import Candidate
from tests.knowledge.articles import make_article


def _article(article_id: str) -> Article:
    return make_article(article_id)


def _trial(expected: str, best: str, top: float, seconds: float = 0.001) -> Trial:
    candidate = Candidate(_article(best), top, best, top)
    return Trial(text="q", expected=expected, candidates=(candidate,), seconds=seconds)


def _above(candidates: Sequence[Candidate], threshold: float) -> str | None:
    best = candidates[0] if candidates else None
    return best.article.id if best is not None and best.score >= threshold else None


TRIALS = [
    _trial("vpn", "vpn", 0.9, seconds=0.001),  # right answer
    _trial("vpn", "printer", 0.8, seconds=0.002),  # wrong answer
    _trial("printer", "printer", 0.3, seconds=0.003),  # right article, too unsure
    _trial(HANDOFF, "vpn", 0.2, seconds=0.004),  # handed off
    _trial(HANDOFF, "vpn", 0.7, seconds=0.100),  # answered although it should not
]


def test_the_metrics_count_outcomes_as_documented() -> None:
    metrics = score(TRIALS, _above, 0.5, build_s=1.5, peak_rss_mb=100.0)

    assert metrics.as_dict() == {
        "n": 5,
        "accuracy": pytest.approx(2 / 5),
        "in_scope_accuracy": pytest.approx(1 / 3),
        "handoff_recall": pytest.approx(1 / 2),
        "answer_precision": pytest.approx(1 / 3),
        "p50_ms": pytest.approx(3.0),
        "p99_ms": pytest.approx(100.0),
        "build_s": 1.5,
        "peak_rss_mb": 100.0,
    }


def test_no_cases_give_neutral_shares() -> None:
    metrics = score([], _above, 0.5)

    assert (metrics.n, metrics.accuracy, metrics.handoff_recall, metrics.p99_ms) == (
        0,
        1.0,
        1.0,
        0.0,
    )


def test_calibration_picks_the_middle_of_the_best_threshold_range() -> None:
    # Answering only the 0.9 case gets 3 of 5 right (it, and both handoffs); every threshold
    # in (0.8, 0.9] does that, and lower ones answer the 0.8 case wrongly.
    threshold = calibrate(TRIALS, _above)

    assert 0.8 < threshold <= 0.9
    assert score(TRIALS, _above, threshold).accuracy == pytest.approx(3 / 5)


def test_calibration_prefers_precision_between_equally_accurate_thresholds() -> None:
    trials = [_trial("vpn", "vpn", 0.9), _trial("vpn", "printer", 0.6), _trial(HANDOFF, "vpn", 0.5)]

    # Thresholds in (0.5, 0.6] and in (0.6, 0.9] both get 2 of 3 right; only the upper ones
    # give no wrong answer.
    assert 0.6 < calibrate(trials, _above) <= 0.9


def test_calibration_counts_a_wrong_answer_against_the_threshold() -> None:
    trials = [
        _trial("vpn", "vpn", 0.9),
        _trial("vpn", "printer", 0.6),
        _trial("vpn", "printer", 0.55),
        _trial("vpn", "vpn", 0.5),
    ]

    # Answering all four gets two right (the most), but at the price of two wrong answers.
    assert 0.6 < calibrate(trials, _above) <= 0.9


def test_calibration_needs_cases() -> None:
    with pytest.raises(ValueError, match="at least one case"):
        calibrate([], _above)
