"""Fakes of the AWS services roleprobe asks, for its end-to-end tests.

Each fake is an HTTP server that behaves like the real service, answers with
planted secrets (see `Secrets`) and follows a script of faults, one consumed
per request, the last one repeating.  Use one in process::

    with EcsAgent(faults=[Status(503), Ok()]) as ecs:
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = ecs.credentials_url

or as a process, which prints ``READY <port>`` once listening and runs until
SIGTERM::

    python tests/fakes.py ecs --host 127.0.0.1 --port 0 --fault status:503

`start_fake` is the one way to start such a process and wait until it
listens; `read_records` the one way to read what it recorded (``--record``).
Shell scripts (namespaces, containers) use ``fakes.py --detach ...``, which
is `start_fake` on the command line: it returns once the fake listens,
printing ``READY <port> <pid>``, and leaves it running with its stderr.

The servers bind 127.0.0.1 unless told otherwise; only tests inside a network
namespace of their own may give them another address.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import secrets as _random
import select
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, BinaryIO, ClassVar, Self, TypeAlias, TypedDict, Unpack, cast
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

ACCOUNT_ID = "111122223333"
TASK_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/roleprobe-fake-task-role"
INSTANCE_ROLE_NAME = "roleprobe-fake-instance-role"
CALLER_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/roleprobe-fake-role/fake-session"
EXPIRATION = "2030-01-01T00:00:00Z"
STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
POD_IDENTITY_HOSTS = ("169.254.170.23", "fd00:ec2::23")

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
XML = "text/xml"
HTML = "text/html"


# -- Secrets ---------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    """Unique values a fake plants in its answers; none may ever be logged.

    Every value contains ``SECRET``.  `derive` makes more of them (STS hands
    out derived credentials), each containing the original value, so checking
    `all_values` also catches the derived ones.
    """

    access_key_id: str
    secret_access_key: str
    session_token: str
    task_id: str
    auth_token: str
    imds_token: str
    web_identity_token: str
    body_marker: str

    @classmethod
    def generate(cls) -> Self:
        """Return fresh random values."""
        return cls(
            access_key_id="SECRETAKIA" + _random.token_hex(8).upper(),
            secret_access_key="SECRET-secret-" + _random.token_hex(16),
            session_token="SECRET-token-" + _random.token_hex(24),
            task_id="SECRET-task-" + _random.token_hex(8),
            auth_token="SECRET-auth-" + _random.token_hex(12),
            imds_token="SECRET-imds-" + _random.token_hex(12),
            web_identity_token="SECRET-jwt-" + _random.token_hex(12),
            body_marker="SECRET-body-" + _random.token_hex(8),
        )

    def all_values(self) -> tuple[str, ...]:
        """Return every secret value, for asserting none appears in output."""
        return tuple(asdict(self).values())

    def derive(self, suffix: str) -> Self:
        """Return secrets that each contain this one's value plus *suffix*."""
        values = {name: value + suffix for name, value in asdict(self).items()}
        return type(self)(**values)

    def to_json(self) -> str:
        """Return the values as JSON, for ``fakes.py --secrets``."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Return secrets from `to_json`'s output."""
        return cls(**json.loads(text))


# -- Faults ----------------------------------------------------------------


@dataclass(frozen=True)
class Ok:
    """Answer as the healthy service would."""


@dataclass(frozen=True)
class Status:
    """Answer *code*; with no body, with the service's own error for it."""

    code: int
    body: str | bytes | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Stall:
    """Wait *seconds* (less if the server stops), then answer normally."""

    seconds: float


@dataclass(frozen=True)
class Drop:
    """Close the connection without any answer."""


@dataclass(frozen=True)
class Garbage:
    """Answer 200 with a body that is neither JSON nor XML."""


@dataclass(frozen=True)
class Huge:
    """Answer 200 with a valid answer padded to exactly *nbytes*."""

    nbytes: int = 2 * 1024 * 1024
    chunked: bool = False


@dataclass(frozen=True)
class Redirect:
    """Answer a redirect to *location*."""

    location: str
    code: int = 302


@dataclass(frozen=True)
class Trickle:
    """Answer normally, the body one byte at a time over *total_seconds*."""

    total_seconds: float


@dataclass(frozen=True)
class NotAnObject:
    """Answer 200 with a JSON list holding the normal answer."""


@dataclass(frozen=True)
class MissingField:
    """Answer normally without the field (at any depth) called *name*."""

    name: str


# Hostile answers: what a broken or malicious endpoint can send.


@dataclass(frozen=True)
class Encoded:
    """Answer normally, the body compressed with each of *encodings* in turn.

    ``Encoded(("gzip", "gzip"))`` sends ``Content-Encoding: gzip, gzip``.
    """

    encodings: tuple[str, ...]


@dataclass(frozen=True)
class Bomb:
    """Answer 200 with a body of *encodings* that decodes to *gib* GiB of zeros.

    A few KiB to a few MiB on the wire.  The innermost layer's checksum is
    wrong, which a decoder can notice only after decoding all of it.
    """

    encodings: tuple[str, ...] = ("gzip",)
    gib: int = 4


@dataclass(frozen=True)
class Endless:
    """Answer 200 with a body that never ends, as fast as the client reads.

    *framing*: ``chunked``, ``close`` (no length, ends only with the
    connection) or ``lying`` (a Content-Length of a terabyte).
    """

    framing: str = "chunked"


@dataclass(frozen=True)
class ShortLength:
    """Answer 200 whose Content-Length counts 100 bytes of a 2 MiB body."""


@dataclass(frozen=True)
class SlowHeaders:
    """Send the status line, then header bytes one per *interval*, forever."""

    interval: float


@dataclass(frozen=True)
class Dribble:
    """Send the headers, then a chunked body one byte per *interval*, forever."""

    interval: float


@dataclass(frozen=True)
class Malformed:
    """Answer 200 with a body the service's parser may choke on.

    *kind*: ``deep`` (nesting a million levels deep, under 1 MiB),
    ``bignum`` (numbers of 500,000 digits and 1e999999), ``utf8`` (the
    normal answer with invalid UTF-8 in its strings).
    """

    kind: str


Fault: TypeAlias = (
    Ok
    | Status
    | Stall
    | Drop
    | Garbage
    | Huge
    | Redirect
    | Trickle
    | NotAnObject
    | MissingField
    | Encoded
    | Bomb
    | Endless
    | ShortLength
    | SlowHeaders
    | Dribble
    | Malformed
)

MALFORMED = ("deep", "bignum", "utf8")
FRAMINGS = ("chunked", "close", "lying")
ENCODINGS = ("gzip", "deflate")


def parse_fault(spec: str) -> Fault:
    """Return the fault a command-line spec such as ``status:503`` names."""
    name, _, arg = spec.partition(":")
    simple: dict[str, Callable[[], Fault]] = {
        "ok": Ok,
        "drop": Drop,
        "garbage": Garbage,
        "not-an-object": NotAnObject,
        "short-length": ShortLength,
    }
    with_arg: dict[str, Callable[[str], Fault]] = {
        "status": lambda a: Status(int(a)),
        "stall": lambda a: Stall(float(a)),
        "huge": lambda a: Huge(int(a)),
        "huge-chunked": lambda a: Huge(int(a), chunked=True),
        "redirect": Redirect,
        "trickle": lambda a: Trickle(float(a)),
        "missing-field": MissingField,
        "encoded": lambda a: Encoded(_encodings(a)),
        "bomb": lambda a: Bomb(_encodings(a)),
        "endless": lambda a: Endless(_one_of(a, FRAMINGS)),
        "slow-headers": lambda a: SlowHeaders(float(a)),
        "dribble": lambda a: Dribble(float(a)),
        "malformed": lambda a: Malformed(_one_of(a, MALFORMED)),
    }
    try:
        if name in simple and not arg:
            return simple[name]()
        if name in with_arg and arg:
            return with_arg[name](arg)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(
        f"bad fault {spec!r}: use ok, drop, garbage, not-an-object, status:CODE, "
        "stall:SECONDS, huge:NBYTES, huge-chunked:NBYTES, redirect:URL, "
        "trickle:SECONDS, missing-field:NAME, short-length, encoded:ENC[,ENC...], "
        "bomb:ENC[,ENC...], endless:chunked|close|lying, slow-headers:SECONDS, "
        "dribble:SECONDS or malformed:deep|bignum|utf8 (ENC: gzip or deflate)"
    )


def _one_of(word: str, allowed: Sequence[str]) -> str:
    if word not in allowed:
        raise ValueError(word)
    return word


def _encodings(spec: str) -> tuple[str, ...]:
    return tuple(_one_of(w.strip(), ENCODINGS) for w in spec.split(","))


def encode(body: bytes, encodings: Sequence[str]) -> bytes:
    """Return *body* compressed with each of *encodings* (gzip, deflate) in turn."""
    for name in encodings:
        body = gzip.compress(body) if name == "gzip" else zlib.compress(body)
    return body


def bomb(encodings: Sequence[str], gib: int) -> bytes:
    """Return a `Bomb` body: *gib* GiB of zeros in *encodings*, built in moments.

    Every MiB is compressed alone (a full flush resets the dictionary), so
    one compressed MiB repeated is the whole stream.
    """
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    mib = raw.compress(bytes(1 << 20)) + raw.flush(zlib.Z_FULL_FLUSH)
    stream = mib * (gib << 10) + b"\x03\x00"  # an empty final block
    wrong_check = b"\0\0\0\0"
    if encodings[0] == "gzip":
        head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
        body = head + stream + wrong_check + b"\0\0\0\0"  # size mod 2**32
    else:
        body = b"\x78\xda" + stream + wrong_check
    return encode(body, encodings[1:])


def malformed(kind: str, normal: bytes, *, xml: bool) -> bytes:
    """Return a `Malformed` body; *normal* is the healthy answer (JSON or XML)."""
    if kind == "deep":
        if xml:
            return b"<a>" * 130_000 + b"</a>" * 130_000
        return b'{"a":' * 80_000 + b"1" + b"}" * 80_000
    if kind == "bignum":
        digits = b"9" * 500_000
        if xml:
            return b"<GetCallerIdentityResponse><Account>" + digits + b"</Account>"
        return b'{"AccessKeyId": ' + digits + b', "Expiration": 1e999999}'
    return normal.replace(b"SECRET", b"\xff\xfeSECRET\xc3")


def _endless(framing: str) -> Callable[[BinaryIO, threading.Event], None]:
    """Return a writer of an `Endless` answer."""

    def write(out: BinaryIO, stopping: threading.Event) -> None:
        length = {
            "chunked": "Transfer-Encoding: chunked\r\n",
            "close": "Connection: close\r\n",
        }.get(framing, "Content-Length: 1000000000000\r\n")
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {JSON}\r\n{length}\r\n"
        out.write(head.encode())
        piece = b'{"AccessKeyId": "' + b"x" * 65519
        if framing == "chunked":
            piece = b"%x\r\n%s\r\n" % (len(piece), piece)
        while not stopping.is_set():
            out.write(piece)

    return write


def _slowly(head: bytes, interval: float, then: bytes) -> Callable[..., None]:
    """Return a writer of *head* at once, then *then* a byte per *interval*, forever."""

    def write(out: BinaryIO, stopping: threading.Event) -> None:
        out.write(head)
        out.flush()
        while True:
            for i in range(len(then)):
                if stopping.wait(interval):
                    return
                out.write(then[i : i + 1])
                out.flush()

    return write


# -- Requests and answers --------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request a fake received."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    time: float = field(default_factory=time.monotonic)

    def header(self, name: str) -> str | None:
        """Return the header called *name* (any case), or None."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    @property
    def params(self) -> dict[str, str]:
        """The query and form parameters (first values)."""
        return _params(self)

    @property
    def action(self) -> str | None:
        """The STS Action parameter, or None."""
        return self.params.get("Action")

    @classmethod
    def from_json(cls, line: str) -> Self:
        """Return the request `to_json` wrote as *line*."""
        doc = json.loads(line)
        return cls(
            doc["method"],
            doc["path"],
            doc["headers"],
            doc["body"].encode(),
            doc["time"],
        )

    def to_json(self) -> str:
        """Return the request as one JSON line (the body as text)."""
        return json.dumps(
            {
                "method": self.method,
                "path": self.path,
                "headers": dict(self.headers),
                "body": self.body.decode("utf-8", "replace"),
                "time": self.time,
            }
        )


@dataclass(frozen=True)
class Answer:
    """What a fake sends back."""

    status: int
    body: bytes
    content_type: str | None
    headers: Mapping[str, str] = field(default_factory=dict)
    chunked: bool = False
    #: Writes the whole answer itself, status line included (hostile faults).
    writer: Callable[[BinaryIO, threading.Event], None] | None = None


def _json_bytes(doc: object) -> bytes:
    return json.dumps(doc).encode()


def _without(doc: object, name: str) -> object:
    """Return *doc* without the key *name* at any depth."""
    if isinstance(doc, dict):
        return {k: _without(v, name) for k, v in doc.items() if k != name}
    return doc


# -- The server machinery --------------------------------------------------


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that belongs to one fake."""

    daemon_threads = True

    def __init__(self, fake: FakeServer, host: str, port: int) -> None:
        self.fake = fake
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the address."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.fake.host
        self.server_port = self.server_address[1]

    def handle_error(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: Any,
    ) -> None:
        """Stay quiet about clients that went away; report anything else."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the fake, then applies its fault."""

    protocol_version = "HTTP/1.1"
    server_version = "roleprobe-fake"
    timeout = 30  # an idle keep-alive connection does not hold a thread forever

    @property
    def fake(self) -> FakeServer:
        return cast(_Server, self.server).fake

    def setup(self) -> None:
        super().setup()
        self.fake._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.fake._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: the fakes' requests are recorded instead."""

    def log_error(self, format: str, *args: Any) -> None:
        """Keep what could not be parsed as a request (see `FakeServer.errors`)."""
        self.fake._error(format % args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = self.fake._record(
            self.command, self.path, dict(self.headers.items()), body
        )
        answer, trickle = self.fake._respond(request)
        if answer is None:
            self.close_connection = True
            return
        if answer.writer is not None:
            self.close_connection = True
            answer.writer(self.wfile, self.fake._stopping)
            return
        self.send_response(answer.status)
        if answer.content_type is not None:
            self.send_header("Content-Type", answer.content_type)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif answer.headers.get("Content-Length") is None:
            self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if answer.chunked:
            for start in range(0, len(answer.body), 65536):
                chunk = answer.body[start : start + 65536]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif trickle is not None and answer.body:
            pause = trickle / len(answer.body)
            for i in range(len(answer.body)):
                self.wfile.write(answer.body[i : i + 1])
                if self.fake._stopping.wait(pause):
                    self.close_connection = True
                    return
        else:
            self.wfile.write(answer.body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = _serve


class ServerOptions(TypedDict, total=False):
    """The keyword arguments every fake takes (see `FakeServer`)."""

    faults: Sequence[Fault]
    secrets: Secrets | None
    host: str
    port: int
    faults_on: str | None
    on_request: Callable[[RecordedRequest], None] | None


class FakeServer:
    """What all fakes share: start, stop, a fault script, recorded requests."""

    #: Content types of the service's success and error answers.
    content_type: ClassVar[str] = JSON
    error_content_type: ClassVar[str] = JSON

    def __init__(
        self,
        *,
        faults: Sequence[Fault] = (),
        secrets: Secrets | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        faults_on: str | None = None,
        on_request: Callable[[RecordedRequest], None] | None = None,
    ) -> None:
        """Configure the fake; `start` (or ``with``) makes it listen.

        *faults_on*, a path prefix, limits the script to matching requests:
        the others are answered normally and consume no fault.
        """
        self.secrets = secrets if secrets is not None else Secrets.generate()
        self.host = host
        self._port = port
        self._faults_on = faults_on
        self._on_request = on_request
        self._lock = threading.Lock()
        self._script: list[Fault] = list(faults)
        self._next = 0
        self._requests: list[RecordedRequest] = []
        self._errors: list[str] = []
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Life cycle

    def start(self) -> Self:
        """Listen and serve on a daemon thread."""
        if self._server is not None:
            raise RuntimeError("already started")
        self._stopping.clear()
        self._server = _Server(self, self.host, self._port)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; cut stalled and trickling answers and idle connections."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with self._lock:
            connections = dict(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join()
        give_up = time.monotonic() + 2.0  # the handlers are daemons anyway
        for handler in connections.values():
            handler.join(max(0.0, give_up - time.monotonic()))

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Where it is

    @property
    def port(self) -> int:
        """The port listened on (the one chosen, once started on port 0)."""
        if self._server is None and self._port == 0:
            raise RuntimeError("not started: the port is not chosen yet")
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port``, without a trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # Script and records

    def set_faults(self, *faults: Fault) -> None:
        """Replace the fault script and start it from its first fault."""
        with self._lock:
            self._script = list(faults)
            self._next = 0

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def errors(self) -> list[str]:
        """What the server could not parse as a request (bad request lines...)."""
        with self._lock:
            return list(self._errors)

    def clear_requests(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self._requests.clear()

    # For subclasses: what the healthy service answers

    def respond(self, request: RecordedRequest, shape: Fault) -> Answer | None:
        """Return the healthy service's answer to *request*, None to hang up.

        *shape* is the request's fault; subclasses pass it to `document`
        for answers that carry credentials, which applies the faults that
        change a document (`Huge`, `NotAnObject`, `MissingField`).
        """
        raise NotImplementedError

    def error(self, status: int) -> Answer:
        """Return the service's own error answer for *status*."""
        raise NotImplementedError

    def document(
        self,
        doc: dict[str, object],
        shape: Fault,
        encode: Callable[[object], bytes] = _json_bytes,
    ) -> Answer:
        """Return a 200 answer carrying *doc*, changed as *shape* says."""
        match shape:
            case MissingField(name):
                doc = cast(dict[str, object], _without(doc, name))
            case NotAnObject():
                return Answer(200, _json_bytes([doc]), JSON)
            case Huge(nbytes, chunked):
                unpadded = len(encode({**doc, "Padding": ""}))
                padding = "x" * max(0, nbytes - unpadded)
                body = encode({**doc, "Padding": padding})
                return Answer(200, body, self.content_type, chunked=chunked)
        return Answer(200, encode(doc), self.content_type)

    # Used by the handler

    def _record(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> RecordedRequest:
        request = RecordedRequest(method, path, headers, body)
        with self._lock:
            self._requests.append(request)
        if self._on_request is not None:
            self._on_request(request)
        return request

    def _next_fault(self, request: RecordedRequest) -> Fault:
        if self._faults_on is not None and not request.path.startswith(self._faults_on):
            return Ok()
        with self._lock:
            if not self._script:
                return Ok()
            fault = self._script[min(self._next, len(self._script) - 1)]
            self._next += 1
            return fault

    def _respond(self, request: RecordedRequest) -> tuple[Answer | None, float | None]:
        """Return the answer (None: hang up) and the seconds to trickle it."""
        fault = self._next_fault(request)
        match fault:
            case Drop():
                return None, None
            case Stall(seconds):
                if self._stopping.wait(seconds):
                    return None, None
                return self.respond(request, Ok()), None
            case Status(code, None, _):
                return self.error(code), None
            case Status(code, body, content_type):
                raw = body.encode() if isinstance(body, str) else cast(bytes, body)
                return Answer(code, raw, content_type or self.error_content_type), None
            case Redirect(location, code):
                return Answer(code, b"", None, {"Location": location}), None
            case Garbage():
                marker = self.secrets.body_marker
                body = f"<html><body>It works! {marker}</body></html>\n".encode()
                return Answer(200, body, self.content_type), None
            case Trickle(seconds):
                return self.respond(request, Ok()), seconds
            case Encoded(encodings):
                healthy = self.respond(request, Ok())
                if healthy is None:
                    return None, None
                coding = {"Content-Encoding": ", ".join(encodings)}
                body = encode(healthy.body, encodings)
                return replace(healthy, body=body, headers=coding), None
            case Bomb(encodings, gib):
                coding = {"Content-Encoding": ", ".join(encodings)}
                body = bomb(encodings, gib)
                return Answer(200, body, self.content_type, coding), None
            case Endless(framing):
                return Answer(200, b"", None, writer=_endless(framing)), None
            case ShortLength():
                padded = b'{"Padding": "' + b"x" * (2 << 20) + b'"}'
                length = {"Content-Length": "100"}
                return Answer(200, padded, self.content_type, length), None
            case SlowHeaders(interval):
                head = b"HTTP/1.1 200 OK\r\n"
                writer = _slowly(head, interval, b"X-Pad: slow\r\n")
                return Answer(200, b"", None, writer=writer), None
            case Dribble(interval):
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Type: {self.content_type}\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n"
                ).encode()
                writer = _slowly(head, interval, b"1\r\n \r\n")
                return Answer(200, b"", None, writer=writer), None
            case Malformed(kind):
                healthy = self.respond(request, Ok())
                normal = healthy.body if healthy is not None else b""
                body = malformed(kind, normal, xml=self.content_type == XML)
                return Answer(200, body, self.content_type), None
        return self.respond(request, fault), None

    def _error(self, message: str) -> None:
        with self._lock:
            self._errors.append(message)

    def _opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections[conn] = threading.current_thread()

    def _closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.pop(conn, None)


# -- The fakes -------------------------------------------------------------

_ECS_ERRORS = {
    400: ("InvalidIdInRequest", "Credentials not found"),
    503: ("CredentialsUninitialized", "Credentials uninitialized for ID"),
}


class EcsAgent(FakeServer):
    """The ECS agent's task credentials endpoint (v2 API)."""

    def __init__(
        self,
        *,
        role_arn: str = TASK_ROLE_ARN,
        path: str | None = None,
        expiration: str = EXPIRATION,
        **options: Unpack[ServerOptions],
    ) -> None:
        """Serve *role_arn*'s credentials at *path* (``/v2/credentials/<task id>``).

        *options* are `FakeServer`'s.
        """
        super().__init__(**options)
        self.role_arn = role_arn
        self.path = path if path is not None else f"/v2/credentials/{self.task_id}"
        self.expiration = expiration

    @property
    def task_id(self) -> str:
        """The task's credentials id, a planted secret."""
        return self.secrets.task_id

    @property
    def credentials_url(self) -> str:
        """The value for ``AWS_CONTAINER_CREDENTIALS_FULL_URI``."""
        return self.url + self.path

    def respond(self, request: RecordedRequest, shape: Fault) -> Answer | None:
        """Answer the task's credentials, or the agent's error for a wrong path."""
        if request.path != self.path:
            if request.path.rstrip("/") in ("/v2/credentials", "/v1/credentials"):
                return self._error_answer(
                    400, "NoIdInRequest", "No Credential ID in the request"
                )
            return self.error(400)
        doc: dict[str, object] = {
            "RoleArn": self.role_arn,
            "AccessKeyId": self.secrets.access_key_id,
            "SecretAccessKey": self.secrets.secret_access_key,
            "Token": self.secrets.session_token,
            "Expiration": self.expiration,
        }
        return self.document(doc, shape)

    def error(self, status: int) -> Answer:
        """Return the agent's JSON error (400 InvalidIdInRequest, 503 ...)."""
        code, message = _ECS_ERRORS.get(
            status, ("InternalServerError", "Internal server error")
        )
        return self._error_answer(status, code, message)

    def _error_answer(self, status: int, code: str, message: str) -> Answer:
        text = f"CredentialsV2Request: {message} ({self.secrets.body_marker})"
        return Answer(status, _json_bytes({"code": code, "message": text}), JSON)


class PodIdentityAgent(FakeServer):
    """The EKS Pod Identity agent: ``GET /v1/credentials`` with a token."""

    error_content_type = TEXT

    def __init__(
        self,
        *,
        token: str | None = None,
        account_id: str = ACCOUNT_ID,
        expiration: str = EXPIRATION,
        check_host: bool = False,
        **options: Unpack[ServerOptions],
    ) -> None:
        """Require ``Authorization: <token>`` (default: the secrets' auth_token).

        With *check_host*, like the real agent, answer 403 unless the request's
        Host is 169.254.170.23 or fd00:ec2::23 (for network-namespace tests).
        *options* are `FakeServer`'s.
        """
        super().__init__(**options)
        self.token = token if token is not None else self.secrets.auth_token
        self.account_id = account_id
        self.expiration = expiration
        self.check_host = check_host

    @property
    def credentials_url(self) -> str:
        """The value for ``AWS_CONTAINER_CREDENTIALS_FULL_URI``."""
        return self.url + "/v1/credentials"

    def respond(self, request: RecordedRequest, shape: Fault) -> Answer | None:
        """Answer credentials without RoleArn, or the agent's plain-text error."""
        if urlsplit(request.path).path != "/v1/credentials":
            return Answer(404, b"404 page not found\n", TEXT)
        if self.check_host and _host_of(request) not in POD_IDENTITY_HOSTS:
            return self._text(
                403,
                "Access Denied. Called agent through invalid address, please use "
                f"either {list(POD_IDENTITY_HOSTS)} address",
            )
        given = request.header("Authorization")
        if not given:
            return self._text(400, "Service account token cannot be empty")
        if given != self.token:
            return self._text(
                401,
                "(InvalidTokenException): Service account token cannot be "
                "validated, fault: client",
            )
        doc: dict[str, object] = {
            "AccessKeyId": self.secrets.access_key_id,
            "SecretAccessKey": self.secrets.secret_access_key,
            "Token": self.secrets.session_token,
            "AccountId": self.account_id,
            "Expiration": self.expiration,
        }
        return self.document(doc, shape)

    def error(self, status: int) -> Answer:
        """Return a plain-text error as Go's http.Error writes it."""
        return self._text(status, f"Error fetching credentials: HTTP {status}")

    def _text(self, status: int, message: str) -> Answer:
        body = f"{message} ({self.secrets.body_marker})\n".encode()
        return Answer(status, body, TEXT, {"X-Content-Type-Options": "nosniff"})


def _host_of(request: RecordedRequest) -> str:
    """Return the request's Host header without port or brackets."""
    host = request.header("Host") or ""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


@dataclass(frozen=True)
class Identity:
    """Who STS GetCallerIdentity says the caller is."""

    arn: str
    account: str
    user_id: str

    @classmethod
    def from_arn(cls, arn: str) -> Self:
        """Return the identity of *arn*, with a made-up user id."""
        account = arn.split(":")[4]
        resource = arn.split(":", 5)[5]
        if resource.startswith("assumed-role/"):
            user_id = "AROAFAKEROLEID000000:" + resource.rsplit("/", 1)[1]
        elif resource == "root":
            user_id = account
        else:
            user_id = "AIDAFAKEUSERID000000"
        return cls(arn=arn, account=account, user_id=user_id)


@dataclass(frozen=True)
class IssuedCredentials:
    """Credentials the fake STS handed out (AssumeRole*)."""

    action: str
    role_arn: str
    session_name: str
    secrets: Secrets
    identity: Identity

    @property
    def access_key_id(self) -> str:
        """The issued access key id."""
        return self.secrets.access_key_id


_SIGV4_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")

_STS_ERRORS = {
    400: ("Sender", "ValidationError", "1 validation error detected"),
    403: ("Sender", "AccessDenied", "User is not authorized to perform this action"),
    429: ("Sender", "Throttling", "Rate exceeded"),
    500: ("Receiver", "InternalFailure", "An internal error occurred"),
    503: ("Receiver", "ServiceUnavailable", "Service is unavailable"),
}


class Sts(FakeServer):
    """The STS query API: GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity."""

    content_type = XML
    error_content_type = XML

    def __init__(
        self,
        *,
        identities: Mapping[str, Identity] | None = None,
        default_identity: Identity | None = Identity.from_arn(CALLER_ARN),  # noqa: B008
        web_identity_token: str | None = None,
        expiration: str = EXPIRATION,
        **options: Unpack[ServerOptions],
    ) -> None:
        """Answer GetCallerIdentity from *identities* by signing access key id.

        Keys not in *identities* get *default_identity*, or 403
        InvalidClientTokenId when it is None; unsigned requests get 403
        MissingAuthenticationToken.  Credentials issued by AssumeRole* are
        derived from the secrets and added to the identities as the assumed
        role.  *web_identity_token*, when set, is the only token
        AssumeRoleWithWebIdentity accepts.  The other keyword arguments are
        `FakeServer`'s.
        """
        super().__init__(**options)
        self.identities = dict(identities or {})
        self.default_identity = default_identity
        self.web_identity_token = web_identity_token
        self.expiration = expiration
        self._issued: list[IssuedCredentials] = []

    @property
    def issued(self) -> list[IssuedCredentials]:
        """The credentials handed out so far, oldest first."""
        with self._lock:
            return list(self._issued)

    @property
    def authorizations(self) -> list[str | None]:
        """Every request's Authorization header (None when unsigned)."""
        return [r.header("Authorization") for r in self.requests]

    @property
    def access_key_ids(self) -> list[str | None]:
        """The access key id every request was signed with (None when unsigned)."""
        return [signing_access_key_id(r) for r in self.requests]

    @property
    def actions(self) -> list[str | None]:
        """Every request's Action parameter."""
        return [r.action for r in self.requests]

    def respond(self, request: RecordedRequest, shape: Fault) -> Answer | None:
        """Answer the request's Action."""
        params = _params(request)
        action = params.get("Action", "")
        if action == "GetCallerIdentity":
            return self._get_caller_identity(request, shape)
        if action in ("AssumeRole", "AssumeRoleWithWebIdentity"):
            return self._assume_role(request, params, shape)
        return self._error(
            400,
            "Sender",
            "InvalidAction",
            f"Could not find operation {action} for version 2011-06-15",
        )

    def error(self, status: int) -> Answer:
        """Return STS's XML error for *status*."""
        kind, code, message = _STS_ERRORS.get(
            status, ("Receiver", "InternalFailure", "An internal error occurred")
        )
        return self._error(status, kind, code, message)

    def _get_caller_identity(self, request: RecordedRequest, shape: Fault) -> Answer:
        key = signing_access_key_id(request)
        if key is None:
            return self._error(
                403,
                "Sender",
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            )
        with self._lock:
            identity = self.identities.get(key, self.default_identity)
        if identity is None:
            return self._error(
                403,
                "Sender",
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )
        result = {
            "Arn": identity.arn,
            "UserId": identity.user_id,
            "Account": identity.account,
        }
        return self._result("GetCallerIdentity", result, shape)

    def _assume_role(
        self, request: RecordedRequest, params: dict[str, str], shape: Fault
    ) -> Answer:
        action = params["Action"]
        role_arn = params.get("RoleArn", "")
        session = params.get("RoleSessionName", "")
        parts = role_arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("role/") or not session:
            return self._error(
                400, "Sender", "ValidationError", "RoleArn or RoleSessionName invalid"
            )
        if action == "AssumeRole" and signing_access_key_id(request) is None:
            return self._error(
                403,
                "Sender",
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            )
        if action == "AssumeRoleWithWebIdentity" and (
            self.web_identity_token is not None
            and params.get("WebIdentityToken") != self.web_identity_token
        ):
            return self._error(
                400,
                "Sender",
                "InvalidIdentityToken",
                "Couldn't retrieve verification key from your identity provider",
            )
        partition, account, name = parts[1], parts[4], parts[5].rsplit("/", 1)[1]
        identity = Identity.from_arn(
            f"arn:{partition}:sts::{account}:assumed-role/{name}/{session}"
        )
        with self._lock:
            issued = IssuedCredentials(
                action=action,
                role_arn=role_arn,
                session_name=session,
                secrets=self.secrets.derive(f"X{len(self._issued) + 1}"),
                identity=identity,
            )
            self._issued.append(issued)
            self.identities[issued.access_key_id] = identity
        result: dict[str, object] = {
            "Credentials": {
                "AccessKeyId": issued.secrets.access_key_id,
                "SecretAccessKey": issued.secrets.secret_access_key,
                "SessionToken": issued.secrets.session_token,
                "Expiration": self.expiration,
            },
            "AssumedRoleUser": {"AssumedRoleId": identity.user_id, "Arn": identity.arn},
        }
        if action == "AssumeRoleWithWebIdentity":
            result["SubjectFromWebIdentityToken"] = "system:serviceaccount:app:app"
            result["Audience"] = "sts.amazonaws.com"
        return self._result(action, result, shape)

    def _result(
        self, action: str, result: Mapping[str, object], shape: Fault
    ) -> Answer:
        doc: dict[str, object] = {
            f"{action}Result": result,
            "ResponseMetadata": {"RequestId": str(uuid.uuid4())},
        }
        return self.document(
            doc, shape, lambda d: _xml_document(f"{action}Response", d)
        )

    def _error(self, status: int, kind: str, code: str, message: str) -> Answer:
        doc = {
            "Error": {
                "Type": kind,
                "Code": code,
                "Message": f"{message} ({self.secrets.body_marker})",
            },
            "RequestId": str(uuid.uuid4()),
        }
        return Answer(status, _xml_document("ErrorResponse", doc), XML)


def signing_access_key_id(request: RecordedRequest) -> str | None:
    """Return the access key id of a SigV4 Authorization header, or None."""
    found = _SIGV4_CREDENTIAL.search(request.header("Authorization") or "")
    return found.group(1) if found else None


def _params(request: RecordedRequest) -> dict[str, str]:
    """Return the query and form parameters of a request (first values)."""
    query = urlsplit(request.path).query
    form = request.body.decode("utf-8", "replace")
    merged = {**parse_qs(query), **parse_qs(form)}
    return {name: values[0] for name, values in merged.items()}


def _xml_document(root: str, doc: object) -> bytes:
    """Return *doc* as an STS XML document under *root*."""
    return f'<{root} xmlns="{STS_NAMESPACE}">{_xml(doc)}</{root}>\n'.encode()


def _xml(value: object) -> str:
    if isinstance(value, dict):
        return "".join(f"<{k}>{_xml(v)}</{k}>" for k, v in value.items())
    return escape(str(value))


_IMDS_TOKEN_TTL = "X-aws-ec2-metadata-token-ttl-seconds"
_IMDS_TOKEN = "X-aws-ec2-metadata-token"
_IMDS_CREDENTIALS = "/latest/meta-data/iam/security-credentials"
_IMDS_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class SsoPortal(FakeServer):
    """The IAM Identity Center portal's GetRoleCredentials, for one bearer token.

    The planted authorization token is the only token it accepts; it hands
    out the planted keys.
    """

    def respond(self, request: RecordedRequest, shape: Fault) -> Answer | None:
        """Hand out the planted keys to the planted token."""
        if request.header("x-amz-sso_bearer_token") != self.secrets.auth_token:
            return self.error(401)
        keys = {
            "accessKeyId": self.secrets.access_key_id,
            "secretAccessKey": self.secrets.secret_access_key,
            "sessionToken": self.secrets.session_token,
            "expiration": 1893456000000,
        }
        return Answer(200, json.dumps({"roleCredentials": keys}).encode(), JSON)

    def error(self, status: int) -> Answer:
        """The portal's JSON error."""
        return Answer(
            status, b'{"message": "Session token not found or invalid"}', JSON
        )


class Imds(FakeServer):
    """EC2 instance metadata: the IMDSv2 token and the instance role's credentials."""

    error_content_type = HTML

    def __init__(
        self,
        *,
        role_name: str | None = INSTANCE_ROLE_NAME,
        v1: bool = True,
        token_put_stalls: bool = False,
        expiration: str = EXPIRATION,
        **options: Unpack[ServerOptions],
    ) -> None:
        """Serve *role_name*'s credentials (None: no role attached, 404).

        *v1* False requires the IMDSv2 token (401 without it).
        *token_put_stalls* is the hop-limit symptom: the token PUT never
        answers while GETs still work.  The other keyword arguments are
        `FakeServer`'s.
        """
        super().__init__(**options)
        self.role_name = role_name
        self.v1 = v1
        self.token_put_stalls = token_put_stalls
        self.expiration = expiration

    @property
    def token(self) -> str:
        """The one IMDSv2 token it hands out and accepts, a planted secret."""
        return self.secrets.imds_token

    def respond(self, request: RecordedRequest, shape: Fault) -> Answer | None:
        """Answer the token PUT and the credential GETs as IMDS does."""
        path = urlsplit(request.path).path
        if path == "/latest/api/token":
            return self._token(request)
        if request.method not in ("GET", "HEAD"):
            return self.error(405)
        token = request.header(_IMDS_TOKEN)
        if (token is None and not self.v1) or (
            token is not None and token != self.token
        ):
            return self.error(401)
        if path.rstrip("/") == _IMDS_CREDENTIALS:
            if self.role_name is None:
                return self.error(404)
            return Answer(200, self.role_name.encode(), TEXT)
        if (
            self.role_name is not None
            and path == f"{_IMDS_CREDENTIALS}/{self.role_name}"
        ):
            doc: dict[str, object] = {
                "Code": "Success",
                "LastUpdated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "Type": "AWS-HMAC",
                "AccessKeyId": self.secrets.access_key_id,
                "SecretAccessKey": self.secrets.secret_access_key,
                "Token": self.secrets.session_token,
                "Expiration": self.expiration,
            }
            return self.document(doc, shape)
        return self.error(404)

    def _token(self, request: RecordedRequest) -> Answer | None:
        if request.method != "PUT":
            return self.error(405)
        if self.token_put_stalls:
            self._stopping.wait()
            return None
        ttl = request.header(_IMDS_TOKEN_TTL) or ""
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.error(400)
        return Answer(200, self.token.encode(), TEXT, {_IMDS_TOKEN_TTL: ttl})

    def error(self, status: int) -> Answer:
        """Return IMDS's small HTML error page."""
        title = f"{status} - {_IMDS_STATUS_TEXT.get(status, 'Error')}"
        body = (
            '<?xml version="1.0" encoding="iso-8859-1"?>\n'
            "<!DOCTYPE html>\n<html><head><title>"
            f"{title}</title></head><body><h1>{title}</h1>"
            f"<!-- {self.secrets.body_marker} --></body></html>\n"
        )
        return Answer(status, body.encode(), HTML)


# -- Hostile descriptors --------------------------------------------------


def full_pipe() -> tuple[int, int]:
    """Return (read end, write end) of a pipe already full: a write blocks."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(w, b"x" * 65536)
    os.set_blocking(w, True)
    return r, w


# -- Fakes as processes ----------------------------------------------------

FAKES = Path(__file__).resolve()


def read_records(path: Path) -> list[RecordedRequest]:
    """Return the requests a fake process recorded in *path* (none if absent)."""
    if not path.exists():
        return []
    return [RecordedRequest.from_json(line) for line in path.read_text().splitlines()]


@dataclass
class FakeProcess:
    """A fake running as a process of its own, listening (see `start_fake`)."""

    pid: int
    port: int
    record: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests recorded so far (needs ``record``)."""
        if self.record is None:
            raise RuntimeError("started without record=")
        return read_records(self.record)

    def stop(self) -> int | None:
        """SIGTERM the fake; return its status when it is our child."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        return None if self.process is None else self.process.wait(timeout=10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_fake(
    *argv: str,
    secrets: Secrets | None = None,
    record: Path | None = None,
    python: str = sys.executable,
    timeout: float = 20.0,
) -> FakeProcess:
    """Start ``fakes.py *argv*`` and return once it listens.

    *argv* is the fake's command line (``"ecs", "--port", "0", ...``);
    *secrets* and *record* add ``--secrets`` and ``--record``.  The fake's
    stderr is ours; raises RuntimeError when it exits or stays silent.
    """
    extra: list[str] = []
    if secrets is not None:
        extra += ["--secrets", secrets.to_json()]
    if record is not None:
        extra += ["--record", str(record)]
    proc = subprocess.Popen(
        [python, str(FAKES), *argv, *extra],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = b""
    give_up = time.monotonic() + timeout
    while not line.endswith(b"\n"):
        left = give_up - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"fake {argv[:1]} did not start in {timeout} s")
        chunk = os.read(proc.stdout.fileno(), 100)
        if not chunk:
            status = proc.wait()
            raise RuntimeError(f"fake {argv[:1]} exited with {status} before READY")
        line += chunk
    word, port = line.split()[:2]
    assert word == b"READY", line
    return FakeProcess(proc.pid, int(port), record, proc)


# -- Command line ----------------------------------------------------------

KINDS: dict[str, type[FakeServer]] = {
    "ecs": EcsAgent,
    "pod-identity": PodIdentityAgent,
    "sts": Sts,
    "imds": Imds,
}


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    common.add_argument("--port", type=int, default=0, help="default: any free one")
    common.add_argument(
        "--fault",
        dest="faults",
        action="append",
        default=[],
        type=parse_fault,
        metavar="SPEC",
        help="one fault per request, the last repeating (repeat the option)",
    )
    common.add_argument("--faults-on", metavar="PATH_PREFIX")
    common.add_argument(
        "--secrets", type=Secrets.from_json, metavar="JSON", help="Secrets.to_json()"
    )
    common.add_argument(
        "--record", type=Path, metavar="FILE", help="append each request as JSON"
    )
    common.add_argument("--expiration")
    parser = argparse.ArgumentParser(
        prog="fakes.py",
        description="Run one fake AWS service until SIGTERM; prints READY <port>.",
    )
    parser.add_argument(
        "--detach",
        action="store_true",
        help="return once the fake listens, printing READY <port> <pid>; "
        "the fake runs on until SIGTERM",
    )
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    ecs = kinds.add_parser("ecs", parents=[common], help="ECS agent")
    ecs.add_argument("--role-arn")
    ecs.add_argument("--path")
    pod = kinds.add_parser("pod-identity", parents=[common], help="EKS Pod Identity")
    pod.add_argument("--token")
    pod.add_argument("--account-id")
    pod.add_argument("--check-host", action="store_true", default=None)
    sts = kinds.add_parser("sts", parents=[common], help="STS")
    sts.add_argument("--identity-arn", help="the default identity's ARN")
    sts.add_argument("--web-identity-token")
    imds = kinds.add_parser("imds", parents=[common], help="EC2 instance metadata")
    imds.add_argument("--role-name")
    imds.add_argument("--no-v1", dest="v1", action="store_false", default=None)
    imds.add_argument("--token-put-stalls", action="store_true", default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fake named on the command line until SIGTERM or SIGINT."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = vars(_parser().parse_args(argv))
    if args.pop("detach"):
        fake = start_fake(*(a for a in argv if a != "--detach"))
        print(f"READY {fake.port} {fake.pid}", flush=True)
        return 0
    kind = KINDS[args.pop("kind")]
    record: Path | None = args.pop("record")
    identity_arn: str | None = args.pop("identity_arn", None)
    if identity_arn is not None:
        args["default_identity"] = Identity.from_arn(identity_arn)
    kwargs = {name: value for name, value in args.items() if value is not None}
    if record is not None:
        lock = threading.Lock()

        def write(request: RecordedRequest) -> None:
            with lock, record.open("a", encoding="utf-8") as f:
                f.write(request.to_json() + "\n")

        kwargs["on_request"] = write

    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with kind(**kwargs) as fake:
        print(f"READY {fake.port}", flush=True)
        while not stop.wait(0.1):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
