"""botocore itself: the SDK's own credentials, and STS GetCallerIdentity.

The only module that imports botocore, and only when a source does not tell
its role itself or is not asked by roleprobe alone: importing botocore costs
more start-up time than everything else together.  Profiles that assume a
role, SSO, credential_process and the files are resolved by the same code the
application's SDK runs, so the answer is the application's answer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from typing import Any

from roleprobe import _version
from roleprobe._credentials import Credentials
from roleprobe._errors import Refused, Retryable, known_code

_FALLBACK_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who STS says the caller is."""

    arn: str
    account: str | None


def _session(timeout: float) -> Any:
    """Return a botocore session whose HTTP and processes roleprobe bounds.

    Every AWS API call it makes (STS, SSO, sign-in) goes through roleprobe's
    transport, which caps answers as received and decoded; every
    credential_process runs in its own process group with capped output.
    """
    import botocore.credentials  # noqa: PLC0415 - deferred on purpose
    import botocore.session  # noqa: PLC0415

    from roleprobe._children import CappedPopen  # noqa: PLC0415

    botocore.credentials.ProcessProvider.__init__.__defaults__ = (CappedPopen,)
    session = botocore.session.Session()
    session.register("before-send", partial(_send, timeout=timeout))
    return session


class _Body:
    """The raw body of an answer, as botocore's AWSResponse reads it."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs: Any) -> list[bytes]:
        """Return the body in one piece."""
        return [self._data]


def _send(request: Any, timeout: float, **_kwargs: Any) -> Any:
    """Send one botocore request through roleprobe's capped transport."""
    import botocore.awsrequest  # noqa: PLC0415

    from roleprobe._http import request as http_request  # noqa: PLC0415

    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {
        k: v.decode("latin-1") if isinstance(v, bytes) else str(v)
        for k, v in request.headers.items()
    }
    ca_bundle = os.environ.get("AWS_CA_BUNDLE")
    answer = http_request(
        request.method,
        request.url,
        headers,
        timeout,
        body=body or None,
        proxies=True,
        verify=ca_bundle or True,
    )
    headers_in = botocore.awsrequest.HTTPHeaders()
    for name, value in answer.headers.items():
        headers_in[name] = value
    return botocore.awsrequest.AWSResponse(
        request.url, answer.status, headers_in, _Body(answer.body)
    )


def sdk_credentials(timeout: float) -> Credentials:
    """Return the credentials botocore resolves, once."""
    import botocore.exceptions  # noqa: PLC0415 - deferred on purpose

    try:
        found = _session(timeout).get_credentials()
        frozen = found.get_frozen_credentials() if found is not None else None
    except (Retryable, Refused):
        raise
    except (
        botocore.exceptions.CredentialRetrievalError,
        botocore.exceptions.ConnectionError,
        botocore.exceptions.HTTPClientError,
    ) as e:
        raise Retryable(
            f"the SDK could not get credentials: {type(e).__name__}"
        ) from None
    except botocore.exceptions.ClientError as e:
        raise Retryable(f"the SDK could not get credentials: {error_code(e)}") from None
    except Exception as e:
        # Any other BotoCoreError, or e.g. ValueError on a setting botocore
        # cannot parse: the application's SDK fails the same way.
        raise Refused(f"the SDK cannot get credentials: {type(e).__name__}") from None
    if (
        found is None
        or frozen is None
        or not frozen.access_key
        or not frozen.secret_key
    ):
        raise Refused("the SDK found no credentials")
    return Credentials(
        access_key_id=frozen.access_key,
        secret_access_key=frozen.secret_key,
        token=frozen.token,
        account_id=getattr(frozen, "account_id", None),
    )


def caller_identity(credentials: Credentials, timeout: float) -> Identity:
    """Ask STS once who *credentials* belong to; raise Retryable on failure."""
    import botocore.config  # noqa: PLC0415 - deferred on purpose
    import botocore.exceptions  # noqa: PLC0415
    import botocore.parsers  # noqa: PLC0415

    session = _session(timeout)
    try:
        session.get_scoped_config()
    except botocore.exceptions.ProfileNotFound:
        # The SDK will fail on this profile; still find out who these are.
        session.set_config_variable("profile", "default")
    # botocore reads AWS_DEFAULT_REGION and the profile; AWS_REGION (which ECS
    # and Lambda set) picks the regional endpoint when botocore has none, so
    # that a private subnet with an STS VPC endpoint needs no internet.
    region = (
        session.get_config_variable("region")
        or os.environ.get("AWS_REGION")
        or _FALLBACK_REGION
    )
    try:
        client: Any = session.create_client(
            "sts",
            region_name=region,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.token,
            config=botocore.config.Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"total_max_attempts": 1},
                user_agent_extra=f"roleprobe/{_version.VERSION}",
            ),
        )
    except (
        botocore.exceptions.UnknownServiceError,
        botocore.exceptions.DataNotFoundError,
    ) as e:
        raise Refused(
            f"botocore has no STS model (left out of this image?): {type(e).__name__}"
        ) from None
    except (botocore.exceptions.BotoCoreError, ValueError) as e:
        raise Refused(
            f"botocore cannot make an STS client: {type(e).__name__}"
        ) from None
    try:
        answer = client.get_caller_identity()
    except (Retryable, Refused):
        raise
    except botocore.exceptions.ClientError as e:
        raise Retryable(f"STS GetCallerIdentity failed: {error_code(e)}") from None
    except (
        botocore.exceptions.ConnectTimeoutError,
        botocore.exceptions.ReadTimeoutError,
    ):
        raise Retryable(
            f"STS GetCallerIdentity timed out after {timeout:g} s"
        ) from None
    except botocore.exceptions.EndpointConnectionError:
        raise Retryable("STS GetCallerIdentity: cannot connect") from None
    except botocore.exceptions.BotoCoreError as e:
        raise Retryable(f"STS GetCallerIdentity failed: {type(e).__name__}") from None
    except (botocore.parsers.ResponseParserError, KeyError, ValueError, TypeError):
        # botocore's parser meeting an answer that is not STS XML
        raise Retryable("STS GetCallerIdentity: the answer is not STS XML") from None
    arn = answer.get("Arn")
    if not isinstance(arn, str) or not arn:
        raise Retryable("STS GetCallerIdentity answered without an Arn")
    account = answer.get("Account")
    return Identity(arn=arn, account=account if isinstance(account, str) else None)


def error_code(error: Any) -> str:
    """Return a botocore ClientError's code if it is a known one, else the status.

    The code comes from the answer's body, which is never logged as it is.
    """
    code = known_code(error.response.get("Error", {}).get("Code"))
    if code is not None:
        return code
    return f"HTTP {error.response.get('ResponseMetadata', {}).get('HTTPStatusCode')}"
