"""The store's JSON columns read back on SQLite: exactly what :func:`json.loads` gives."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.store.core_units import json_loads

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 4, max_value=2**70)
    | st.floats()
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(_VALUES)
def test_a_stored_value_reads_back_as_json_reads_it(value: object) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        # repr tells 1 from 1.0 and shows NaN, and keeps the keys' order.
        assert repr(json_loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize(
    "text",
    ['"\\ud800"', "NaN", "-Infinity", "1e400", "123456789012345678901234567890", '{"a":1,"a":2}'],
)
def test_what_orjson_refuses_or_reads_otherwise_is_read_by_json(text: str) -> None:
    assert repr(json_loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["{", "", "[1,]"])
def test_a_malformed_text_raises_as_json_does(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json_loads(text)
