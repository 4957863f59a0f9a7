"""``roleprobe --check`` for people: the chain as ``aws configure list`` shows it."""

from __future__ import annotations

import re

from roleprobe._verdict import Resolution, Verdict

_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def escape(text: str) -> str:
    """Show control characters (ANSI escapes, newlines, bidi marks) as escapes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def render(found: Resolution, verdict: Verdict, expected: str | None) -> str:
    """Return a table of the chain's links, then the identity and the verdict."""
    rows = [("SOURCE", "STATE", "DETAIL")]
    rows.extend((link.source, link.state, escape(link.detail)) for link in found.links)
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{s:<{widths[0]}}  {t:<{widths[1]}}  {d}".rstrip() for s, t, d in rows]
    lines.append("")
    lines.append(f"sdk:       {found.sdk} (from {found.sdk_detected_from})")
    if found.found:
        identity = escape(found.identity_arn or found.role_arn or "unknown")
        told = f" (told by {found.verified_by})" if found.verified_by else ""
        lines.append(f"source:    {found.source}")
        lines.append(f"identity:  {identity}{told}")
        if found.identity_arn is None and found.identity_unknown:
            lines.append(f"           {escape(found.identity_unknown)}")
    else:
        lines.append(f"source:    {found.source} (no credentials)")
        lines.append(f"reason:    {escape(found.failure or '')}")
    if expected is not None:
        lines.append(f"expected:  {escape(expected)} -> {verdict.outcome}")
    status = 0 if verdict.exit_status is None else verdict.exit_status
    lines.append(f"check:     {'ok' if status == 0 else f'failed, exit {status}'}")
    return "\n".join(lines) + "\n"
