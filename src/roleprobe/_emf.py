"""CloudWatch Embedded Metric Format: one line with the probe's outcome.

The line is a log event like the others (``timestamp``, ``level``,
``event``) that CloudWatch Logs also turns into two metrics: ``ProbeDuration``
(milliseconds) and ``ProbeOutcome`` (a count), under the namespace
``roleprobe`` with the low-cardinality dimensions ``Outcome`` and ``Source``.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

NAMESPACE = "roleprobe"


def metric_document(
    outcome: str, source: str, duration_ms: int, now_ms: int
) -> dict[str, Any]:
    """Return the EMF document for one probe."""
    return {
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Outcome", "Source"]],
                    "Metrics": [
                        {"Name": "ProbeDuration", "Unit": "Milliseconds"},
                        {"Name": "ProbeOutcome", "Unit": "Count"},
                    ],
                }
            ],
        },
        "Outcome": outcome,
        "Source": source,
        "ProbeDuration": duration_ms,
        "ProbeOutcome": 1,
        "event": "probe_metrics",
        "level": "info",
        "timestamp": datetime.fromtimestamp(now_ms / 1000, UTC)
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z"),
    }


def line(outcome: str, source: str, duration_ms: int) -> str:
    """Return the EMF line for a probe that ends now."""
    doc = metric_document(outcome, source, duration_ms, time.time_ns() // 1_000_000)
    return json.dumps(doc)
