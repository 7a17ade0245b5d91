"""Scores of the wait estimators and the markdown tables the benchmark prints."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.wait.scenarios import Scenario

#: Estimator names in report order; ours first.
ESTIMATORS = ("ours", "queue_length", "last_to_enter", "last_10")

LABELS = {
    "ours": "ours (Erlang-A, roster)",
    "queue_length": "queue length / service rate",
    "last_to_enter": "last to enter service",
    "last_10": "mean of last 10 waits",
}


@dataclass(frozen=True, slots=True)
class Prediction:
    """What each estimator said when a customer joined the queue (seconds)."""

    ours: float
    low: float
    high: float
    queue_length: float
    last_to_enter: float
    last_10: float

    def point(self, estimator: str) -> float:
        """The point prediction of ``estimator`` (one of :data:`ESTIMATORS`)."""
        points = {
            "ours": self.ours,
            "queue_length": self.queue_length,
            "last_to_enter": self.last_to_enter,
            "last_10": self.last_10,
        }
        return points[estimator]


@dataclass(frozen=True, slots=True)
class Result:
    """One scenario's scored customers: (prediction, actual wait) of everyone served.

    ``served`` holds the simulated customers' numbers in the order of ``pairs``.
    """

    scenario: Scenario
    pairs: tuple[tuple[Prediction, float], ...]
    arrivals: int
    microseconds_per_estimate: float
    served: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Score:
    """Accuracy of one estimator in one scenario."""

    mae_s: float
    bias_s: float
    within_25: float
    coverage: float | None


def score(result: Result, estimator: str) -> Score:
    """Mean absolute error, bias, share within +-25% and (ours only) range coverage."""
    n = len(result.pairs)
    if n == 0:
        return Score(float("nan"), float("nan"), float("nan"), None)
    errors = [p.point(estimator) - w for p, w in result.pairs]
    within = sum(1 for (_, w), e in zip(result.pairs, errors, strict=True) if abs(e) <= 0.25 * w)
    coverage = None
    if estimator == "ours":
        coverage = sum(1 for p, w in result.pairs if p.low <= w <= p.high) / n
    return Score(
        mae_s=sum(abs(e) for e in errors) / n,
        bias_s=sum(errors) / n,
        within_25=within / n,
        coverage=coverage,
    )


def mean_wait_s(result: Result) -> float:
    """Mean actual wait of the served customers."""
    return sum(w for _, w in result.pairs) / max(len(result.pairs), 1)


def targets(result: Result) -> dict[str, bool]:
    """Which of the issue's targets ours meets in this scenario."""
    scores = {e: score(result, e) for e in ESTIMATORS}
    ours = scores["ours"]
    met = {"lowest MAE": all(ours.mae_s < s.mae_s for e, s in scores.items() if e != "ours")}
    if result.scenario.stationary:
        met["bias within 10% of mean wait"] = abs(ours.bias_s) <= 0.10 * mean_wait_s(result)
    coverage = ours.coverage if ours.coverage is not None else 0.0
    met["coverage 75-85%"] = 0.75 <= coverage <= 0.85
    return met


def format_report(results: list[Result]) -> str:
    """One markdown table per scenario, then a summary of the targets."""
    lines: list[str] = []
    for result in results:
        mean = mean_wait_s(result)
        served = len(result.pairs)
        lines += [
            f"### {result.scenario.name}",
            "",
            f"{result.arrivals} arrivals scored, {served} served "
            f"({served / max(result.arrivals, 1):.0%}), mean wait of the served "
            f"{mean / 60:.2f} min; ours took {result.microseconds_per_estimate:.0f} us "
            "per estimate.",
            "",
            "| estimator | MAE (min) | bias (min) | bias / mean wait | within +-25% "
            "| 80% range covers |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for estimator in ESTIMATORS:
            s = score(result, estimator)
            coverage = "" if s.coverage is None else f"{s.coverage:.1%}"
            lines.append(
                f"| {LABELS[estimator]} | {s.mae_s / 60:.2f} | {s.bias_s / 60:+.2f} "
                f"| {s.bias_s / mean:+.1%} | {s.within_25:.1%} | {coverage} |"
            )
        lines.append("")
    lines += ["### Targets", "", "| scenario | target | met |", "|---|---|---|"]
    for result in results:
        for target, ok in targets(result).items():
            lines.append(f"| {result.scenario.name} | {target} | {'yes' if ok else 'NO'} |")
    return "\n".join(lines)
