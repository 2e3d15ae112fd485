"""The write path's canonical JSON (codec.canonical) is byte for byte what the rfc8785 package writes, for
every JSON value: its fast path may never change a fingerprint, a payload or a hash."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from custody_ledger.ledger import codec

# Text from every plane, controls, quotes, backslashes, U+2028, lone surrogates and the BMP's private area
# (whose code points sort after the surrogate pairs' code units in UTF-16 but before them by code point).
TEXT = st.text(st.characters(), max_size=12) | st.sampled_from(
    ["", '"', "\\", "\x00\x1f\x7f", "\b\f\n\r\t", "\u2028\u2029", "\ud800", "\ue000", "\U0001f600", "é"])
SCALARS = (st.none() | st.booleans() | st.integers(-(2**60), 2**60) | TEXT
           | st.floats(allow_nan=False, allow_infinity=False))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                      max_leaves=20)


def _jcs(value: Any) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(value)
    except Exception as error:
        return type(error)


def _ours(value: Any) -> bytes | type[Exception]:
    try:
        return codec.canonical(value)
    except Exception as error:
        return type(error)


@settings(max_examples=3000)
@given(VALUES)
def test_canonical_is_rfc8785_byte_for_byte(value: Any) -> None:
    assert _ours(value) == _jcs(value)


@pytest.mark.parametrize("value", [
    {"\ue000": 1, "\U0001f600": 2},  # UTF-16 order puts the emoji (a surrogate pair) first
    2**53, -(2**53), 1.0, 1e21, [0.1, -0.0], "\ud800", {"a": "\x01"},
])
def test_the_values_the_fast_path_must_leave_to_the_package(value: Any) -> None:
    assert _ours(value) == _jcs(value)
