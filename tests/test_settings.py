"""Typed settings: each type reads what a user writes, refuses the rest saying what it expected."""

from __future__ import annotations

import pytest
from connect_hub.manifest import Setting, SettingType
from connect_hub.settings import SettingValueError, read_value
from pydantic import ValidationError


@pytest.mark.parametrize(
    ("kind", "value", "read"),
    [
        (SettingType.TEXT, "hello", "hello"),
        (SettingType.SECRET, "s3cr3t", "s3cr3t"),
        (SettingType.URL, "https://shop.example/", "https://shop.example"),
        (SettingType.URL, "http://127.0.0.1:8090", "http://127.0.0.1:8090"),
        (SettingType.INTEGER, 5, 5),
        (SettingType.INTEGER, "5", 5),
        (SettingType.NUMBER, 2, 2.0),
        (SettingType.NUMBER, "0.5", 0.5),
        (SettingType.BOOLEAN, True, True),
        (SettingType.BOOLEAN, "no", False),
        (SettingType.DURATION, 90, 90.0),
        (SettingType.DURATION, "500ms", 0.5),
        (SettingType.DURATION, "5m", 300.0),
        (SettingType.DURATION, "2h", 7200.0),
        (SettingType.DURATION, "1d", 86400.0),
        (SettingType.LIST, ["a", "b"], ["a", "b"]),
        (SettingType.MAPPING, {"awaiting-pickup": "processing"}, {"awaiting-pickup": "processing"}),
    ],
)
def test_a_value_that_fits_is_read_as_its_type(kind: SettingType, value: object, read: object) -> None:
    assert read_value(kind, value) == read
    assert type(read_value(kind, value)) is type(read)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (SettingType.TEXT, 12, "expected text, got 12"),
        (SettingType.URL, "ftp://x.example", "expected an http(s) URL such as https://example.com, got 'ftp://x.example'"),
        (SettingType.INTEGER, "fifty", "expected an integer, got 'fifty'"),
        (SettingType.INTEGER, True, "expected an integer, got true"),
        (SettingType.NUMBER, "nan", "expected a number, got 'nan'"),
        (SettingType.BOOLEAN, "maybe", "expected true or false, got 'maybe'"),
        (SettingType.DURATION, "5 minutes", "expected a duration such as 30s, 5m or 2h, got '5 minutes'"),
        (SettingType.LIST, "a,b", "expected a list of texts, got 'a,b'"),
        (SettingType.MAPPING, {"a": 1}, "expected a mapping of texts to texts, got a mapping"),
    ],
)
def test_a_value_that_does_not_fit_says_what_was_expected(kind: SettingType, value: object, message: str) -> None:
    with pytest.raises(SettingValueError) as caught:
        read_value(kind, value)
    assert str(caught.value) == message


def test_a_secret_that_does_not_fit_is_never_shown() -> None:
    with pytest.raises(SettingValueError) as caught:
        read_value(SettingType.SECRET, ["ck_live_123"])
    assert str(caught.value) == "expected a secret text"


def test_choices_and_bounds_are_checked_and_named() -> None:
    mode = Setting(name="mode", description="m", type=SettingType.CHOICE, choices=("fast", "safe"), required=False, default="safe")
    assert mode.read("fast") == "fast"
    with pytest.raises(SettingValueError, match="expected one of fast, safe, got 'slow'"):
        mode.read("slow")
    rate = Setting(name="rate", description="r", type=SettingType.INTEGER, minimum=1, maximum=10, required=False)
    with pytest.raises(SettingValueError, match="expected an integer from 1 to 10, got 11"):
        rate.read(11)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"type": "choice"}, "a choice needs its choices"),
        ({"type": "text", "choices": ("a",)}, "only a choice or a list takes choices"),
        ({"type": "text", "minimum": 1}, "only an integer, a number or a duration takes bounds"),
        ({"type": "integer", "required": False, "default": "many"}, "the default does not fit: expected an integer, got 'many'"),
        ({"type": "integer", "default": 3}, "a required setting has no default"),
        ({"type": "secret", "required": False, "default": "x"}, "a secret has no default"),
        ({"type": "colour"}, "Input should be"),
    ],
)
def test_a_manifest_setting_that_contradicts_itself_is_refused(fields: dict, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Setting(name="s", description="d", **fields)
