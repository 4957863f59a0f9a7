"""Test-only guard, loaded into every Python subprocess the tests start.

The network rule: tests talk to loopback only.  A connect anywhere else ends
the process at once with status 99 and a loud line, so a slip cannot pass
quietly.  Tests inside their own network namespace may allow more addresses
in NETGUARD_ALLOW (comma-separated), which exist only on that
namespace's loopback.
"""

import ipaddress
import os
import socket

_ALLOWED = frozenset(filter(None, os.environ.get("NETGUARD_ALLOW", "").split(",")))
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _check(sock: socket.socket, address: object) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = str(address[0]).split("%")[0]  # type: ignore[index]
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and host not in _ALLOWED:
        os.write(2, f"NETGUARD VIOLATION: connect to {host} refused\n".encode())
        os._exit(99)


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _connect_ex(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
