"""Transport: one direct HTTP request with a capped read, the way roleprobe makes them all."""

from __future__ import annotations

import httpx

from roleprobe import _version
from roleprobe._credentials import MAX_ANSWER
from roleprobe._errors import InvalidAnswer, Refused, Retryable, TimedOut

USER_AGENT = f"roleprobe/{_version.VERSION}"


def request(
    method: str, url: str, headers: dict[str, str], timeout: float
) -> tuple[int, bytes]:
    """Return (status, body) of one direct request; the body is capped."""
    try:
        with (
            httpx.Client(
                trust_env=False,
                follow_redirects=False,
                verify=url.startswith("https:"),
                timeout=timeout,
            ) as client,
            client.stream(method, url, headers=headers) as response,
        ):
            return response.status_code, _read_capped(response)
    except httpx.TimeoutException:
        raise TimedOut(f"timed out after {timeout:g} s") from None
    except httpx.ConnectError as e:
        raise Retryable(f"cannot connect: {_errno_text(e)}") from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
        raise Retryable("connection dropped before a full answer") from None
    except httpx.HTTPError as e:
        raise Retryable(f"request failed: {type(e).__name__}") from None
    except httpx.InvalidURL:
        raise Refused("the endpoint URL is not valid") from None
    except UnicodeEncodeError:
        raise Refused("the authorization token is not a valid header value") from None


def _read_capped(response: httpx.Response) -> bytes:
    """Read at most MAX_ANSWER bytes; a larger answer is invalid."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER:
        raise InvalidAnswer("larger than 1 MiB")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER:
            raise InvalidAnswer("larger than 1 MiB")
    return bytes(body)


def _errno_text(e: httpx.ConnectError) -> str:
    """Return the OS reason of a failed connect, without any URL."""
    cause = e.__context__ or e.__cause__
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__context__ or cause.__cause__
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return "connection failed"
