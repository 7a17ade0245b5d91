"""The wait benchmark runs end to end and reports every estimator in every scenario."""

from __future__ import annotations

import pytest

from benchmarks.wait.report import ESTIMATORS, LABELS, format_report
from benchmarks.wait.scenarios import Scenario, all_scenarios
from benchmarks.wait.simulate import main, run


@pytest.fixture(scope="module")
def report() -> str:
    scenarios = all_scenarios(hours=3, days=1)
    return format_report([run(s, seed=7) for s in scenarios])


@pytest.mark.parametrize("scenario", all_scenarios(hours=3, days=1), ids=lambda s: s.name)
def test_every_scenario_has_a_table(report: str, scenario: Scenario) -> None:
    assert f"### {scenario.name}\n" in report


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_every_estimator_has_a_row_per_scenario(report: str, estimator: str) -> None:
    rows = [line for line in report.splitlines() if line.startswith(f"| {LABELS[estimator]} |")]
    assert len(rows) == len(all_scenarios(hours=3, days=1))


def test_the_same_seed_gives_the_same_predictions_and_waits() -> None:
    scenario = all_scenarios(hours=3, days=1)[-1]
    assert run(scenario, seed=7).pairs == run(scenario, seed=7).pairs


def test_scores_only_customers_arriving_after_the_warmup() -> None:
    scenario = all_scenarios(hours=3, days=1)[0]
    result = run(scenario, seed=7)
    assert 0 < len(result.pairs) <= result.arrivals


def test_main_prints_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--hours", "3", "--days", "1", "--seed", "7"])
    assert "### Targets" in capsys.readouterr().out
