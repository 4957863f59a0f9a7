"""Every exception roleprobe raises on purpose, and every exit status."""

from __future__ import annotations

EX_OK = 0
EX_USAGE = 2
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_NOPERM = 77
EX_CONFIG = 78
EX_CANNOT_EXECUTE = 126
EX_NOT_FOUND = 127


def signal_status(signum: int) -> int:
    """Return the exit status of a process ended by *signum*."""
    return 128 + signum


class UsageError(Exception):
    """The command line cannot be understood."""


class ConfigError(Exception):
    """A setting has a value roleprobe cannot use."""

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"{setting}: {reason}")
        self.setting = setting
        self.reason = reason


class Refused(Exception):
    """The configuration can never work: asking again will not help."""


class Retryable(Exception):
    """An attempt failed in a way that asking again may fix."""


class TimedOut(Retryable):
    """An attempt ran out of time."""


class InvalidAnswer(Retryable):
    """A source answered, but not with credentials the SDK could use."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"invalid answer: {detail}")


class GaveUp(Exception):
    """Attempts or time ran out; carries the last reason and the count."""

    def __init__(self, reason: str, tries: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tries = tries


#: AWS error codes that may be logged: an answer's body is never logged, and a
#: code is taken from it only when it is one of these.
KNOWN_CODES = frozenset(
    {
        # the ECS agent and the EKS Pod Identity agent
        "InvalidIdInRequest",
        "NoIdInRequest",
        "NoCredentialsAssociated",
        "CredentialsUninitialized",
        "InternalServerError",
        "InvalidRequest",
        # STS, SSO and AWS APIs in general
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "IDPCommunicationError",
        "IDPRejectedClaim",
        "IncompleteSignature",
        "InternalError",
        "InternalFailure",
        "InvalidAction",
        "InvalidClientTokenId",
        "InvalidIdentityToken",
        "InvalidRequestException",
        "MalformedPolicyDocument",
        "MissingAuthenticationToken",
        "OptInRequired",
        "PackedPolicyTooLarge",
        "RegionDisabledException",
        "RequestExpired",
        "ResourceNotFoundException",
        "ServiceUnavailable",
        "SignatureDoesNotMatch",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "UnauthorizedException",
        "UnrecognizedClientException",
    }
)


def known_code(code: object) -> str | None:
    """Return *code* if it is a known AWS error code, else None."""
    return code if isinstance(code, str) and code in KNOWN_CODES else None
