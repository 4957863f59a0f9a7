"""The EMF line, checked against the rules of CloudWatch's EMF specification.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from conftest import Runner, ecs_env
from fakes import TASK_ROLE_ARN, EcsAgent, Status
from roleprobe._emf import metric_document

UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
    "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
    "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
    "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
    "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def emf_errors(doc: Any) -> list[str]:
    """Return the ways *doc* breaks the EMF specification (empty: valid)."""
    errors: list[str] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("_aws"), dict):
        return ["root must be an object with an _aws object"]
    meta = doc["_aws"]
    ts = meta.get("Timestamp")
    if not isinstance(ts, int) or isinstance(ts, bool) or ts <= 0:
        errors.append("_aws.Timestamp must be a positive integer (ms since epoch)")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*errors, "_aws.CloudWatchMetrics must be a non-empty array"]
    for d in directives:
        ns = d.get("Namespace")
        if not isinstance(ns, str) or not 1 <= len(ns) <= 255:
            errors.append("Namespace must be a string of 1 to 255 characters")
        for dim_set in d.get("Dimensions", []):
            if not isinstance(dim_set, list) or len(dim_set) > 30:
                errors.append("a DimensionSet must be an array of at most 30 names")
                continue
            for name in dim_set:
                if not isinstance(doc.get(name), str):
                    errors.append(
                        f"dimension {name!r} must be a string member of the root"
                    )
                elif not 1 <= len(doc[name]) <= 1024:
                    errors.append(
                        f"dimension value {name!r} must be 1 to 1024 characters"
                    )
        metrics = d.get("Metrics")
        if not isinstance(metrics, list) or not 1 <= len(metrics) <= 100:
            errors.append("Metrics must be an array of 1 to 100 definitions")
            continue
        for m in metrics:
            name = m.get("Name")
            if not isinstance(name, str) or not 1 <= len(name) <= 255:
                errors.append("a metric Name must be a string of 1 to 255 characters")
                continue
            value = doc.get(name)
            numbers = value if isinstance(value, list) else [value]
            if (
                not numbers
                or len(numbers) > 100
                or not all(
                    isinstance(v, int | float) and not isinstance(v, bool)
                    for v in numbers
                )
            ):
                errors.append(f"metric {name!r} must be a number member of the root")
            if "Unit" in m and m["Unit"] not in UNITS:
                errors.append(f"metric {name!r} has an unknown Unit {m['Unit']!r}")
    if len(json.dumps(doc)) > 256 * 1024:
        errors.append("an EMF event must be at most 256 KB")
    return errors


def test_the_validator_catches_broken_documents() -> None:
    good = metric_document("verified", "container-role", 12, 1_700_000_000_000)
    assert emf_errors(good) == []
    broken = json.loads(json.dumps(good))
    broken["_aws"]["Timestamp"] = "now"
    del broken["Source"]
    broken["ProbeDuration"] = "12"
    broken["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = "ms"
    assert len(emf_errors(broken)) == 4


@pytest.mark.parametrize("outcome", ["resolved", "verified", "mismatch", "unavailable"])
def test_every_outcome_is_valid_emf(outcome: str) -> None:
    doc = metric_document(outcome, "container-role", 3, int(time.time() * 1000))
    assert emf_errors(doc) == []
    assert doc["Outcome"] == outcome
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Outcome", "Source"]]


@pytest.mark.parametrize(
    ("env", "outcome", "status"),
    [
        ({"EXPECTED_ROLE_ARN": TASK_ROLE_ARN}, "verified", 0),
        ({"EXPECTED_ROLE_ARN": "other"}, "mismatch", 77),
        ({}, "resolved", 0),
    ],
)
def test_the_real_line_is_valid_emf(
    run: Runner, ecs: EcsAgent, env: dict[str, str], outcome: str, status: int
) -> None:
    before = int(time.time() * 1000)
    r = run("--", "true", env=ecs_env(ecs, ROLEPROBE_EMF="true", **env))
    assert r.status == status
    assert r.names[-1] == "probe_metrics"
    doc = r.event("probe_metrics")
    assert emf_errors(doc) == []
    assert (doc["Outcome"], doc["Source"]) == (outcome, "container-role")
    assert before <= doc["_aws"]["Timestamp"] <= int(time.time() * 1000)
    assert doc["ProbeDuration"] >= 0
    assert doc["ProbeOutcome"] == 1


def test_emf_line_when_unavailable(run: Runner, ecs: EcsAgent) -> None:
    ecs.set_faults(Status(503))
    env = ecs_env(
        ecs, ROLEPROBE_EMF="true", ROLEPROBE_ATTEMPTS="1", EXPECTED_ROLE_ARN="x"
    )
    r = run("--", "true", env=env)
    assert r.status == 69
    assert r.event("probe_metrics")["Outcome"] == "unavailable"


def test_no_emf_line_by_default(run: Runner, ecs: EcsAgent) -> None:
    r = run("--", "true", env=ecs_env(ecs))
    assert "probe_metrics" not in r.names
