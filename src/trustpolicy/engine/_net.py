"""Addresses for the local OPA: ``HOST:PORT`` parsing, free ports, where to connect."""

from __future__ import annotations

import socket

from trustpolicy.contract._errors import ConfigError

__all__: list[str] = []  # internal: host_port, free_port, join_host, connect_host

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def host_port(addr: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a pair; ConfigError naming ``addr`` if not."""
    host, sep, port = addr.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:  # noqa: PLR2004
        raise ConfigError(f"address must be HOST:PORT (e.g. 127.0.0.1:8282), not {addr!r}")
    return host, int(port)


def join_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def connect_host(host: str) -> str:
    """Where to connect to reach a server listening on ``host`` (a wildcard means loopback)."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - a wildcard listener is reached on loopback
        return LOOPBACK
    if host == "::":
        return "[::1]"
    return join_host(host)
