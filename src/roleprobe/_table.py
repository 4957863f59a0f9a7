"""``roleprobe --check`` for people: the chain as ``aws configure list`` shows it."""

from __future__ import annotations

from roleprobe._verdict import Resolution, Verdict


def render(found: Resolution, verdict: Verdict, expected: str | None) -> str:
    """Return a table of the chain's links, then the identity and the verdict."""
    rows = [("SOURCE", "STATE", "DETAIL")]
    rows.extend((link.source, link.state, link.detail) for link in found.links)
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{s:<{widths[0]}}  {t:<{widths[1]}}  {d}".rstrip() for s, t, d in rows]
    lines.append("")
    lines.append(f"sdk:       {found.sdk} (from {found.sdk_detected_from})")
    if found.found:
        identity = found.identity_arn or found.role_arn or "unknown"
        told = f" (told by {found.verified_by})" if found.verified_by else ""
        lines.append(f"source:    {found.source}")
        lines.append(f"identity:  {identity}{told}")
        if found.identity_arn is None and found.identity_unknown:
            lines.append(f"           {found.identity_unknown}")
    else:
        lines.append(f"source:    {found.source} (no credentials)")
        lines.append(f"reason:    {found.failure}")
    if expected is not None:
        lines.append(f"expected:  {expected} -> {verdict.outcome}")
    status = 0 if verdict.exit_status is None else verdict.exit_status
    lines.append(f"check:     {'ok' if status == 0 else f'failed, exit {status}'}")
    return "\n".join(lines) + "\n"
