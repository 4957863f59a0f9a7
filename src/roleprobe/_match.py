"""Match the identity in effect against the patterns of EXPECTED_ROLE_ARN.

The contract (CONTRACT.md, "Matching EXPECTED_ROLE_ARN") says what matches.
Where it is silent, this module decides as follows:

- Items are separated by commas and stripped with ``str.strip``.  An empty
  item (an empty value, ``","``, ``"a,,b"``, a trailing comma) is an error,
  not skipped.  A role name holding ``,`` cannot be written literally: use
  ``?`` for that character.
- ``*`` matches any run of characters, ``/`` included, and ``?`` exactly one
  character.  There is no other glob syntax and no escaping.  Everything is
  case-sensitive, the ``arn:`` prefix too: ``ARN:aws:...`` is an error.
- A full-ARN pattern has the shape of an identity STS can report:
  ``arn:P:iam::A:role/[PATH/]NAME``, ``arn:P:sts::A:assumed-role/NAME/SESSION``,
  ``arn:P:iam::A:user/[PATH/]NAME``, ``arn:P:sts::A:federated-user/NAME`` or
  ``arn:P:iam::A:root``.  Wildcards may stand in the partition, the account
  and after the resource type, never in the service, the region (always
  empty) or the resource type: ``arn:aws:iam::123456789012:*`` is an error,
  ``arn:aws:iam::123456789012:role/*`` is what to write.
- Names (role, user, federated user, session) take IAM's characters
  ``A-Za-z0-9+=,.@_-`` and wildcards, 1 to 64 of them (wildcards counted).
  Path segments are non-empty printable ASCII.  An account is 12 ASCII
  digits, or digits and at least one wildcard.  A partition is ``a-z`` and
  ``-`` (and wildcards).  An assumed-role pattern needs its session
  (``.../Name/*`` for any), which is then never compared.
- A role pattern against a role identity compares partition, account and
  the resource (``role/PATH/NAME``) each as a whole with wildcards.  That is
  the contract's whole-string comparison, except that a wildcard never
  reaches across the ``:`` between the account and the resource (which only
  makes a difference for IAM paths holding ``:``).  A pattern without a path
  (``role/Name``, ``role/*Name``) compares the name only, whatever the
  identity's path (the contract's path rule), besides matching as a whole;
  ``role/*/Name`` needs a path.
- Against an assumed-role identity the name of a role pattern is its last
  ``/`` segment, so ``role/team/*`` matches every role of its account there.
- Non-role patterns never match a role identity, nor role patterns a
  non-role identity.  An identity that has none of the shapes above, or
  holds a wildcard character in a name, matches nothing.
- ``account_of`` takes any ARN whose fifth field is 12 ASCII digits.
"""

import string
from collections.abc import Sequence
from typing import Literal, NamedTuple, cast

Kind = Literal["name", "role", "assumed-role", "user", "federated-user", "root"]

_WILD = frozenset("*?")
_NO_WILD: frozenset[str] = frozenset()
_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "+=,.@_-")
_PATH_CHARS = frozenset(map(chr, range(0x21, 0x7F))) - {"/"}
_PARTITION_CHARS = frozenset(string.ascii_lowercase + "-")
_DIGITS = frozenset(string.digits)
_MAX_NAME = 64
_SHOWN = 80
# The service whose ARNs carry each resource type.
_SERVICES: dict[str, str] = {
    "role": "iam",
    "assumed-role": "sts",
    "user": "iam",
    "federated-user": "sts",
    "root": "iam",
}
_RESOURCES = "role/..., assumed-role/..., user/..., federated-user/... or root"
_ROLES = frozenset({"role", "assumed-role"})


class PatternError(ValueError):
    """An EXPECTED_ROLE_ARN value that cannot be a pattern."""


class Pattern(NamedTuple):
    """One parsed item of EXPECTED_ROLE_ARN (internally also a parsed identity)."""

    text: str
    kind: Kind
    partition: str = ""
    account: str = ""
    resource: str = ""
    name: str = ""


def parse_expected(value: str) -> tuple[Pattern, ...]:
    """Parse a comma-separated EXPECTED_ROLE_ARN value."""
    if not value.strip():
        raise PatternError("no pattern: the value is empty")
    items = [item.strip() for item in value.split(",")]
    patterns = []
    for number, item in enumerate(items, 1):
        if not item:
            raise PatternError(f"empty pattern (item {number} of {len(items)})")
        try:
            patterns.append(_parse_item(item))
        except PatternError as err:
            raise PatternError(f"pattern {_show(item)}: {err}") from None
    return tuple(patterns)


def matches(patterns: Sequence[Pattern], identity_arn: str) -> bool:
    """Tell whether the identity ARN matches any pattern."""
    try:
        identity = _parse_arn(identity_arn, _NO_WILD)
    except PatternError:
        return False
    return any(_matches_one(pattern, identity) for pattern in patterns)


def account_of(arn: str) -> str | None:
    """Return the account id of an ARN, or None."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and _is_account(parts[4]):
        return parts[4]
    return None


def _matches_one(pattern: Pattern, identity: Pattern) -> bool:
    """Tell whether one pattern matches one parsed identity."""
    if pattern.kind == "name":
        return identity.kind in _ROLES and _glob(pattern.name, identity.name)
    if not (
        _glob(pattern.partition, identity.partition)
        and _glob(pattern.account, identity.account)
    ):
        return False
    if pattern.kind == identity.kind == "role":
        if _glob(pattern.resource, identity.resource):
            return True
        # No path in the pattern: a role's name is unique in its account, so
        # the name matches whatever path the identity came with (or without).
        unpathed = "/" not in pattern.resource.removeprefix("role/")
        return unpathed and _glob(pattern.name, identity.name)
    if pattern.kind in _ROLES and identity.kind in _ROLES:
        return _glob(pattern.name, identity.name)
    return pattern.kind == identity.kind and _glob(pattern.resource, identity.resource)


def _glob(pattern: str, text: str) -> bool:
    """Tell whether text matches pattern as a whole; ``*`` is any run, ``?`` one."""
    # Greedy matching that backtracks only to the last star: O(len * len),
    # where a regex of many stars can take exponential time.
    p = t = 0
    star, resume = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star, resume = p, t
            p += 1
        elif p < len(pattern) and pattern[p] in ("?", text[t]):
            p += 1
            t += 1
        elif star >= 0:
            resume += 1
            p, t = star + 1, resume
        else:
            return False
    return all(char == "*" for char in pattern[p:])


def _parse_item(item: str) -> Pattern:
    """Parse one stripped, non-empty item; raise PatternError with the reason."""
    if item.startswith("arn:"):
        return _parse_arn(item, _WILD)
    if item[:4].lower() == "arn:":
        raise PatternError("the 'arn:' prefix is case-sensitive: write it lower-case")
    if ":" in item:
        raise PatternError("a full ARN starts with 'arn:', and a role name has no ':'")
    if "/" in item:
        raise PatternError("a bare role name has no '/': give a path in a full ARN")
    _check_name("role name", item, _WILD)
    return Pattern(item, "name", name=item)


def _parse_arn(text: str, wild: frozenset[str]) -> Pattern:
    """Parse an identity-shaped ARN whose names may hold the characters wild."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise PatternError("expected arn:PARTITION:SERVICE::ACCOUNT:RESOURCE")
    _, partition, service, region, account, resource = parts
    if not partition or not set(partition) <= _PARTITION_CHARS | wild:
        raise PatternError(f"partition {_show(partition)} is not a-z and '-'")
    if service not in ("iam", "sts"):
        raise PatternError(f"service {_show(service)} is neither 'iam' nor 'sts'")
    if region:
        raise PatternError(f"region {_show(region)} should be empty")
    if not (_is_account(account) or _is_account_pattern(account, wild)):
        raise PatternError(f"account {_show(account)} is not 12 digits")
    kind, _, rest = resource.partition("/")
    if kind not in _SERVICES or (kind == "root" and resource != "root"):
        raise PatternError(f"resource {_show(resource)} is not {_RESOURCES}")
    if service != _SERVICES[kind]:
        raise PatternError(f"{kind} ARNs have service {_SERVICES[kind]!r}")
    name = _name_of(kind, rest, wild)
    return Pattern(text, cast(Kind, kind), partition, account, resource, name)


def _name_of(kind: str, rest: str, wild: frozenset[str]) -> str:
    """Check what follows the resource type; return the name in it."""
    if kind == "root":
        return ""
    segments = rest.split("/")
    if kind == "assumed-role":
        if len(segments) != 2:
            raise PatternError("expected assumed-role/NAME/SESSION")
        name, session = segments
        _check_name("role name", name, wild)
        _check_name("session name", session, wild)
        return name
    if kind == "federated-user" and len(segments) != 1:
        raise PatternError("expected federated-user/NAME")
    *path, name = segments
    for segment in path:
        if not segment:
            raise PatternError("the path has an empty segment")
        if not set(segment) <= _PATH_CHARS:
            raise PatternError(f"path segment {_show(segment)} is not printable ASCII")
    _check_name(kind.replace("-", " ") + " name", name, wild)
    return name


def _check_name(what: str, name: str, wild: frozenset[str]) -> None:
    """Raise PatternError unless name is 1 to 64 IAM name characters or wild."""
    if not name:
        raise PatternError(f"the {what} is empty")
    if len(name) > _MAX_NAME:
        raise PatternError(f"the {what} is longer than {_MAX_NAME} characters")
    allowed = _NAME_CHARS | wild
    for char in name:
        if char not in allowed:
            raise PatternError(f"the {what} holds {char!r}, which IAM does not allow")


def _is_account(text: str) -> bool:
    """Tell whether text is a 12-digit account id."""
    return len(text) == 12 and set(text) <= _DIGITS


def _is_account_pattern(text: str, wild: frozenset[str]) -> bool:
    """Tell whether text is digits and at least one of the wildcards wild."""
    chars = set(text)
    return bool(chars & wild) and chars <= _DIGITS | wild


def _show(text: str) -> str:
    """Quote user text for a one-line message, cut short when long."""
    if len(text) > _SHOWN:
        return repr(text[:_SHOWN]) + "..."
    return repr(text)
