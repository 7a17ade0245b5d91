"""The replay's figures next to the direct simulation's and the baselines', in one table."""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchmarks.wait.report import ESTIMATORS, LABELS, Result, mean_wait_s, score

#: A recorded wait equals the simulated one when they differ by less than this (the
#: store keeps microseconds; the simulation's seconds are floats).
SAME_WAIT_S = 0.001


@dataclass(frozen=True, slots=True)
class Replayed:
    """One scenario run twice on the same customers: directly and through the product.

    Attributes:
        direct: ``estimate_wait`` on the state the simulation builds.
        product: the same customers quoted by ``DeskStatus`` from the store; the
            baselines are the direct run's (they do not go through the product).
        promises: the range each scored customer was told (as stored with the handoff),
            in seconds, by customer.
        recorded_waits: each claimed customer's wait as the store recorded it.
        seconds: how long the replay took.
    """

    direct: Result
    product: Result
    promises: dict[int, tuple[int, int]]
    recorded_waits: dict[int, float]
    seconds: float

    def waits_as_simulated(self) -> bool:
        """Whether the store recorded every served customer's simulated wait."""
        return all(
            abs(self.recorded_waits.get(c, -1.0) - wait) < SAME_WAIT_S
            for c, (_, wait) in zip(self.direct.served, self.direct.pairs, strict=True)
        )

    def promises_kept(self) -> float:
        """Share of the served customers told a range whose wait fell inside it."""
        told = [
            (self.promises[c], wait)
            for c, (_, wait) in zip(self.product.served, self.product.pairs, strict=True)
            if c in self.promises
        ]
        return sum(1 for (low, high), wait in told if low <= wait <= high) / max(len(told), 1)

    def quote_gap_s(self) -> float:
        """Mean absolute difference between the product's and the direct point estimates."""
        gaps = [
            abs(p.ours - d.ours)
            for (p, _), (d, _) in zip(self.product.pairs, self.direct.pairs, strict=True)
        ]
        return sum(gaps) / max(len(gaps), 1)


@dataclass(frozen=True, slots=True)
class Agreement:
    """How far the replay's figures are from the direct ones, against the sampling noise
    of the direct figures (one standard error; the same customers are scored in both)."""

    mae_gap_s: float
    mae_se_s: float
    bias_gap_s: float
    bias_se_s: float
    coverage_gap: float
    coverage_se: float

    def within_noise(self) -> bool:
        """Whether MAE, bias and coverage each differ by at most one standard error."""
        return (
            self.mae_gap_s <= self.mae_se_s
            and self.bias_gap_s <= self.bias_se_s
            and self.coverage_gap <= self.coverage_se
        )


def agreement(replayed: Replayed) -> Agreement:
    """The replay's distance from the direct run in MAE, bias and 80%-range coverage."""
    direct, product = score(replayed.direct, "ours"), score(replayed.product, "ours")
    errors = [p.ours - wait for p, wait in replayed.direct.pairs]
    n = max(len(errors), 1)
    coverage = direct.coverage or 0.0
    return Agreement(
        mae_gap_s=abs(product.mae_s - direct.mae_s),
        mae_se_s=_sd([abs(e) for e in errors]) / math.sqrt(n),
        bias_gap_s=abs(product.bias_s - direct.bias_s),
        bias_se_s=_sd(errors) / math.sqrt(n),
        coverage_gap=abs((product.coverage or 0.0) - coverage),
        coverage_se=math.sqrt(coverage * (1 - coverage) / n),
    )


def _sd(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.2f}"


def format_replay(results: list[Replayed]) -> str:
    """The comparison table, then how the replay was checked."""
    baselines = [e for e in ESTIMATORS if e != "ours"]
    lines = [
        "MAE and bias in minutes; ours twice: direct (`estimate_wait` on the simulation's "
        "state, with as much history as the product reads) and replay (quoted by "
        "`DeskStatus` from the store).",
        "",
        "| scenario | served | mean wait | MAE direct | MAE replay | "
        + " | ".join(f"MAE {LABELS[e]}" for e in baselines)
        + " | bias direct | bias replay | 80% covers direct | 80% covers replay "
        "| told range kept | quote gap | within noise |",
        "|---|---:|---:|---:|---:|"
        + "---:|" * len(baselines)
        + "---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        direct, product = score(r.direct, "ours"), score(r.product, "ours")
        mean = mean_wait_s(r.direct)
        lines.append(
            f"| {r.direct.scenario.name} | {len(r.direct.pairs)} | {_minutes(mean)} "
            f"| {_minutes(direct.mae_s)} | {_minutes(product.mae_s)} | "
            + " | ".join(_minutes(score(r.direct, e).mae_s) for e in baselines)
            + f" | {direct.bias_s / mean:+.1%} | {product.bias_s / mean:+.1%} "
            f"| {direct.coverage or 0:.1%} | {product.coverage or 0:.1%} "
            f"| {r.promises_kept():.1%} | {r.quote_gap_s() / mean:.1%} "
            f"| {'yes' if agreement(r).within_noise() else 'NO'} |"
        )
    recorded = all(r.waits_as_simulated() for r in results)
    lines += [
        "",
        "Bias is a share of the mean wait. Told range kept: the served customers whose wait "
        "fell inside the range they read (rounded outwards, as stored with the handoff). "
        "Quote gap: the mean absolute difference between the replay's and the direct point "
        "estimate for the same customer, as a share of the mean wait. Within noise: the "
        "replay's MAE, bias and coverage each differ from the direct ones by at most one "
        "standard error of the direct figure.",
        "",
        "The store recorded every served customer's simulated wait: "
        + ("yes." if recorded else "NO (the replay did not drive the store faithfully)."),
        "Replay time: " + ", ".join(f"{r.seconds:.0f} s" for r in results) + ".",
    ]
    return "\n".join(lines)
