"""Child processes that never outlive the Python process that started them.

On Linux the child asks the kernel for a parent-death signal (``prctl(PR_SET_PDEATHSIG,
SIGTERM)``) between ``fork`` and ``exec``, so it is told to stop even when its parent dies
by ``SIGKILL`` and runs no clean-up at all. The kernel sends that signal when the *thread*
that forked the child exits, not the process, so children started from any thread other
than the main one are forked by one long-lived daemon thread, which lives as long as the
process. Elsewhere (macOS, Windows) only the usual clean-up at exit applies.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import IO, Any

__all__: list[str] = []  # internal: spawn, terminate

_PR_SET_PDEATHSIG = 1

_prctl: Callable[..., int] | None = None
if sys.platform.startswith("linux"):  # pragma: no branch - the CI runs on Linux
    with contextlib.suppress(OSError, AttributeError):
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        _prctl = _libc.prctl
        _prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        _prctl.restype = ctypes.c_int


def _die_with(parent: int) -> Callable[[], None] | None:
    """The ``preexec_fn`` that ties the child to ``parent`` (``None`` where unsupported)."""
    prctl = _prctl
    if prctl is None:
        return None

    def preexec() -> None:  # runs in the child, after fork, before exec
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


_Job = tuple[Callable[[], subprocess.Popen[bytes]], "Future[subprocess.Popen[bytes]]"]
_jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
_spawner: threading.Thread | None = None
_spawner_lock = threading.Lock()


def _serve_jobs() -> None:
    while True:
        start, result = _jobs.get()
        try:
            result.set_result(start())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            result.set_exception(exc)


def _on_long_lived_thread(start: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    """Run ``start`` on the main thread (if that is this one) or on the spawner thread."""
    if threading.current_thread() is threading.main_thread() or _prctl is None:
        return start()
    global _spawner  # noqa: PLW0603 - one spawner thread per process
    with _spawner_lock:
        if _spawner is None or not _spawner.is_alive():
            _spawner = threading.Thread(target=_serve_jobs, name="trustpolicy-spawner", daemon=True)
            _spawner.start()
    result: Future[subprocess.Popen[bytes]] = Future()
    _jobs.put((start, result))
    return result.result()


def spawn(cmd: Sequence[str], *, log: IO[bytes], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start ``cmd`` with its output in ``log``, in its own session, tied to this process.

    Its own session: a Ctrl-C at the terminal reaches only this process, which then stops
    the child in order. Tied: the child gets SIGTERM if this process dies, however it dies.
    """
    preexec = _die_with(os.getpid())

    def start() -> subprocess.Popen[bytes]:
        kwargs: dict[str, Any] = {"preexec_fn": preexec} if preexec is not None else {}
        return subprocess.Popen(  # preexec_fn only calls prctl and getppid
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            **kwargs,
        )

    return _on_long_lived_thread(start)


def terminate(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM, then SIGKILL after ``timeout``; reap the process either way."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(5)
