"""Transport: one direct HTTP request, read and decoded within a cap.

Every answer roleprobe reads, from every endpoint, comes through here: the
raw bytes are capped as received and again as decoded (a compressed answer
cannot grow past the cap either, however its encodings are nested).
"""

from __future__ import annotations

import zlib
from typing import NamedTuple

import httpx

from roleprobe import _version
from roleprobe._credentials import MAX_ANSWER
from roleprobe._errors import InvalidAnswer, Refused, Retryable, TimedOut

USER_AGENT = f"roleprobe/{_version.VERSION}"


class Answer(NamedTuple):
    """An HTTP answer: status, headers (decoded body's), body."""

    status: int
    body: bytes
    headers: dict[str, str]

    def __repr__(self) -> str:
        """Show the status only: a body may hold secrets."""
        return f"Answer(status={self.status})"


def request(
    method: str,
    url: str,
    headers: dict[str, str],
    timeout: float,
    *,
    body: bytes | None = None,
    proxies: bool = False,
    verify: bool | str = True,
) -> Answer:
    """Return the answer to one request; redirects are not followed.

    *proxies* lets the proxy variables apply (as botocore applies them to
    AWS APIs and IMDS, never to the container endpoint).  Failures raise
    Retryable (TimedOut, InvalidAnswer) or Refused, with reasons that name
    the scheme, host and port but never a path or query.
    """
    shown = where(url)
    try:
        with (
            httpx.Client(
                trust_env=proxies,
                follow_redirects=False,
                verify=verify if url[:6].lower() == "https:" else False,
                timeout=timeout,
            ) as client,
            client.stream(method, url, headers=headers, content=body) as response,
        ):
            raw = _read_capped(response)
            return Answer(response.status_code, _decode(response, raw), _kept(response))
    except httpx.TimeoutException:
        raise TimedOut(f"{shown}: timed out after {timeout:.3g} s") from None
    except httpx.ConnectError as e:
        raise Retryable(f"cannot connect to {shown}: {_errno_text(e)}") from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
        raise Retryable(f"{shown}: connection dropped before a full answer") from None
    except httpx.HTTPError as e:
        raise Retryable(f"{shown}: request failed: {type(e).__name__}") from None
    except httpx.InvalidURL:
        raise Refused("the endpoint URL is not valid") from None
    except UnicodeEncodeError:
        raise Refused(
            "a header value is not valid (the authorization token?)"
        ) from None


def where(url: str) -> str:
    """Return scheme://host:port of *url*, never its path or query."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "the endpoint"
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme, 0)
    host = parsed.host
    if ":" in host:
        host = f"[{host}]"
    return f"{parsed.scheme}://{host}:{port}"


def _read_capped(response: httpx.Response) -> bytes:
    """Read at most MAX_ANSWER raw bytes; a larger answer is invalid."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER:
        raise InvalidAnswer("larger than 1 MiB")
    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk
        if len(body) > MAX_ANSWER:
            raise InvalidAnswer("larger than 1 MiB")
    return bytes(body)


def _decode(response: httpx.Response, raw: bytes) -> bytes:
    """Undo the answer's Content-Encoding, each step capped at MAX_ANSWER."""
    codings = [
        c.strip().lower()
        for c in response.headers.get("content-encoding", "").split(",")
        if c.strip()
    ]
    body = raw
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, zlib.MAX_WBITS | 16)
        elif coding == "deflate":
            try:
                body = _inflate(body, zlib.MAX_WBITS)
            except InvalidAnswer:
                body = _inflate(body, -zlib.MAX_WBITS)
        else:
            raise InvalidAnswer(f"unsupported Content-Encoding {coding[:32]!r}")
    return body


def _inflate(data: bytes, wbits: int) -> bytes:
    """Decompress *data*, refusing more than MAX_ANSWER bytes of output."""
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, MAX_ANSWER + 1)
    except zlib.error:
        raise InvalidAnswer("compressed body is corrupt") from None
    if len(out) > MAX_ANSWER or inflater.unconsumed_tail:
        raise InvalidAnswer("larger than 1 MiB once decompressed")
    return out


def _kept(response: httpx.Response) -> dict[str, str]:
    """Return the headers that still describe the decoded body."""
    dropped = {"content-encoding", "content-length", "transfer-encoding"}
    return {k: v for k, v in response.headers.items() if k.lower() not in dropped}


def _errno_text(e: httpx.ConnectError) -> str:
    """Return the OS reason of a failed connect, without any URL."""
    cause = e.__context__ or e.__cause__
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__context__ or cause.__cause__
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return "connection failed"
