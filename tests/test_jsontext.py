"""JSON text through orjson: the same bytes as the standard library's compact form, and what
orjson refuses read and written by the standard library instead of failing."""

from __future__ import annotations

import json
import math

import pytest
from connect_hub import jsontext

SHOP_PAGE = [
    {"id": 7, "name": "Müsli “Crunchy” – 500 g", "price": "4.99", "regular_price": "", "weight": 0.5,
     "meta_data": [{"key": "_x", "value": {"nested": [1, 2.25, None, True, False]}}], "tags": [], "dimensions": {}},
    {"id": 8, "name": "\u2028 line separator, emoji \U0001f600, tab\t", "stock_quantity": -3, "ratio": 1e16},
]


def test_writes_the_bytes_of_the_standard_librarys_compact_json() -> None:
    assert jsontext.dumps(SHOP_PAGE) == json.dumps(SHOP_PAGE, ensure_ascii=False, separators=(",", ":")).encode()


def test_reads_what_it_wrote() -> None:
    assert jsontext.loads(jsontext.dumps(SHOP_PAGE)) == SHOP_PAGE


def test_a_small_float_may_be_written_otherwise_but_reads_back_the_same() -> None:
    small = [1e-05, 1.5e-07, 5e-324, 0.1 + 0.2]
    assert json.loads(jsontext.dumps(small)) == small


def test_an_integer_beyond_64_bits_is_written_whole() -> None:
    assert jsontext.dumps({"n": 2**70}) == b'{"n":1180591620717411303424}'


def test_what_orjson_refuses_to_read_is_read_as_the_standard_library_reads_it() -> None:
    assert math.isnan(jsontext.loads(b"[NaN]")[0])
    assert jsontext.loads(b'"\\ud800"') == "\ud800"


def test_text_that_is_not_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        jsontext.loads(b"<html>502 Bad Gateway</html>")
    with pytest.raises(ValueError):
        jsontext.loads(b"\xff\xfe")


def test_what_json_cannot_hold_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        jsontext.dumps({"at": object()})
