"""The --check console table: what it shows, and that no value can forge a line."""

from __future__ import annotations

from roleprobe._table import render
from roleprobe._verdict import LinkView, Resolution, Verdict

HOSTILE = "arn:aws:sts::1:assumed-role/x\n\x1b[32mcheck:     ok\x1b[0m"


def test_values_cannot_forge_lines_or_colours() -> None:
    found = Resolution(
        source="env",
        identity_arn=HOSTILE,
        verified_by="sts",
        links=(LinkView("env", "winner", "AWS_ACCESS_KEY_ID\r\nforged"),),
        sdk="js",
        sdk_detected_from="shebang",
    )
    text = render(found, Verdict((), 77, "mismatch"), expected="app\x1b[2J")
    assert "\x1b" not in text
    assert "\r" not in text
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("check:")] == [
        "check:     failed, exit 77"
    ]
    assert "sdk:       js (from shebang)" in lines
