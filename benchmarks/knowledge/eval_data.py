"""The public evaluation data sets the knowledge benchmarks read: Banking77 and CLINC150.

Neither is part of the repository. Download them, split them as below, and give the
benchmarks their folder with ``--data DIR`` or the ``HELPLINE_EVAL_DATA`` environment
variable (the option wins). The folder holds::

    banking77/train.csv   banking77/dev.csv
    clinc150/train.csv    clinc150/dev.csv

Every file is UTF-8 CSV with a header row and the columns ``text,category`` (the query and
its intent).

- ``banking77/``: Banking77, customer-service queries from online banking in 77 intents
  (Casanueva et al., "Efficient Intent Detection with Dual Sentence Encoders", NLP4ConvAI
  2020; released by PolyAI under CC BY 4.0, github.com/PolyAI-LDN/task-specific-datasets).
  Its original training split (10,003 queries) divided with a fixed seed: ``dev.csv`` holds
  20 queries of each intent (1,540), ``train.csv`` the other 8,463.
- ``clinc150/``: CLINC150, queries to a personal assistant in 150 intents plus queries that
  belong to none (Larson et al., "An Evaluation Dataset for Intent Classification and
  Out-of-Scope Prediction", EMNLP 2019; CC BY 3.0, github.com/clinc/oos-eval,
  ``data_full.json``). Its original training split divided with ``random.Random(150)``:
  ``train.csv`` holds 80 queries of each intent (12,000), ``dev.csv`` the other 20 of each
  and the 100 out-of-scope training queries, whose category is ``oos`` (3,100).

The original validation and test splits are not used: the figures in docs/knowledge.md are
measured on ``dev.csv``, and nothing is tuned on anything else.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

#: The environment variable naming the data folder when ``--data`` is not given.
ENVIRONMENT = "HELPLINE_EVAL_DATA"
#: The data sets: their folder in the data folder and their name.
DATA_SETS = {"banking77": "Banking77", "clinc150": "CLINC150"}
FILES = ("train.csv", "dev.csv")
COLUMNS = ("text", "category")


class MissingEvalData(SystemExit):
    """A benchmark needs a data set that is not where it was told to look.

    A ``SystemExit``: the benchmarks are scripts, and their user is told what to put where
    (the message goes to stderr, the exit status is 1), not shown a stack trace.
    """


def data_folder(option: Path | None) -> Path | None:
    """The data folder: ``--data`` if given, else ``HELPLINE_EVAL_DATA``, else none."""
    if option is not None:
        return option
    named = os.environ.get(ENVIRONMENT)
    return Path(named) if named else None


def located(data_set: str, option: Path | None) -> Path:
    """The folder of one data set, checked: both files there, with the expected columns.

    Args:
        data_set: A key of :data:`DATA_SETS` (``banking77`` or ``clinc150``).
        option: The ``--data`` option, if given.

    Returns:
        The data set's folder (``DIR/banking77``), holding ``train.csv`` and ``dev.csv``.

    Raises:
        MissingEvalData: No data folder was given, or a file is missing or has other columns.
    """
    root = data_folder(option)
    expected = (
        f"{DATA_SETS[data_set]} ({data_set}/train.csv and {data_set}/dev.csv, "
        f"columns {','.join(COLUMNS)}; see benchmarks/knowledge/eval_data.py)"
    )
    if root is None:
        raise MissingEvalData(
            f"this benchmark needs {expected}: give their folder with --data DIR "
            f"or {ENVIRONMENT}=DIR"
        )
    for name in FILES:
        path = root / data_set / name
        if not path.is_file():
            raise MissingEvalData(f"no {path}: the data folder {root} must hold {expected}")
        with path.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh), [])
        if tuple(header[: len(COLUMNS)]) != COLUMNS:
            raise MissingEvalData(
                f"{path} starts with {','.join(header) or 'nothing'}, "
                f"not the columns {','.join(COLUMNS)}"
            )
    return root / data_set


def read_rows(path: Path) -> list[tuple[str, str]]:
    """The ``text,category`` rows of one of the data sets' CSV files."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row["text"], row["category"]) for row in csv.DictReader(fh)]
