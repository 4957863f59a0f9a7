"""Settings: defaults, valid values, and a named error for every bad one."""

import pytest

from roleprobe._errors import ConfigError
from roleprobe._settings import Settings, load, log_format


def test_defaults() -> None:
    assert load({}) == Settings()
    assert load({}).timeout == 5.0
    assert load({}).attempts == 6
    assert load({}).deadline == 30.0


def test_valid_values() -> None:
    s = load(
        {
            "EXPECTED_ROLE_ARN": " app , arn:aws:iam::123456789012:role/x ",
            "ROLEPROBE_ON_MISMATCH": "WARN",
            "ROLEPROBE_TIMEOUT": "0.25",
            "ROLEPROBE_ATTEMPTS": "1",
            "ROLEPROBE_DEADLINE": "2",
            "ROLEPROBE_VERIFY": "never",
            "ROLEPROBE_LOG_FORMAT": "console",
            "ROLEPROBE_EMF": "true",
        }
    )
    assert s.expected is not None
    assert len(s.expected) == 2
    assert s.expected_text == " app , arn:aws:iam::123456789012:role/x "
    assert (s.on_mismatch, s.timeout, s.attempts, s.deadline) == ("warn", 0.25, 1, 2.0)
    assert (s.verify, s.log_format, s.emf) == ("never", "console", True)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ROLEPROBE_TIMEOUT", "abc"),
        ("ROLEPROBE_TIMEOUT", "0"),
        ("ROLEPROBE_TIMEOUT", "-1"),
        ("ROLEPROBE_TIMEOUT", "nan"),
        ("ROLEPROBE_TIMEOUT", "inf"),
        ("ROLEPROBE_TIMEOUT", ""),
        ("ROLEPROBE_DEADLINE", "0"),
        ("ROLEPROBE_DEADLINE", "soon"),
        ("ROLEPROBE_ATTEMPTS", "0"),
        ("ROLEPROBE_ATTEMPTS", "-3"),
        ("ROLEPROBE_ATTEMPTS", "2.5"),
        ("ROLEPROBE_ATTEMPTS", "four"),
        ("ROLEPROBE_ON_MISMATCH", "ignore"),
        ("ROLEPROBE_VERIFY", "sometimes"),
        ("ROLEPROBE_LOG_FORMAT", "xml"),
        ("ROLEPROBE_EMF", "yes"),
        ("EXPECTED_ROLE_ARN", ""),
        ("EXPECTED_ROLE_ARN", "arn:aws:iam::123456789012:role/"),
        ("EXPECTED_ROLE_ARN", "a,,b"),
    ],
)
def test_invalid_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as e:
        load({name: value})
    assert e.value.setting == name
    assert e.value.reason
    assert "\n" not in e.value.reason


def test_long_values_are_cut_in_reasons() -> None:
    with pytest.raises(ConfigError) as e:
        load({"ROLEPROBE_TIMEOUT": "x" * 10_000})
    assert len(e.value.reason) < 200


def test_log_format_falls_back_to_json() -> None:
    assert log_format({"ROLEPROBE_LOG_FORMAT": "xml"}) == "json"
    assert log_format({"ROLEPROBE_LOG_FORMAT": "Console"}) == "console"
    assert log_format({}) == "json"
