"""Credentials from botocore itself, for sources roleprobe does not ask alone.

Profiles that assume a role, SSO, credential_process and the files are
resolved by the same code the application's SDK runs, so the answer is the
application's answer.  botocore is imported only here, only when needed.
"""

from __future__ import annotations

from roleprobe._endpoint import Credentials, Refused
from roleprobe._retry import Retryable
from roleprobe._sts import error_code


def sdk_credentials(timeout: float) -> Credentials:
    """Return the credentials botocore resolves, once."""
    del timeout  # bounded by the caller's thread; botocore has its own
    import botocore.exceptions  # noqa: PLC0415 - deferred on purpose
    import botocore.session  # noqa: PLC0415

    try:
        found = botocore.session.Session().get_credentials()
        frozen = found.get_frozen_credentials() if found is not None else None
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
