"""How the long-running commands stop: SIGTERM or SIGINT, cleanly, with exit code 0.

systemd, Docker and Kubernetes stop a service with SIGTERM; a terminal sends SIGINT. Both
set one flag the command's loop watches, so the command leaves its ``with`` blocks in
order (OPA child stopped, port released, store closed) and exits 0. A SIGINT that was
ignored when the command started (a background job of a non-interactive shell, ``nohup``)
stays ignored, as the shell asked; SIGTERM works either way.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

__all__ = ["run_until_stopped", "stop_signals"]


@contextlib.contextmanager
def stop_signals() -> Iterator[threading.Event]:
    """Yield an event set by SIGTERM or SIGINT; the previous handlers come back on exit."""
    stop = threading.Event()
    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        stop.set()

    wanted = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        wanted.append(signal.SIGINT)
    previous = {signum: signal.signal(signum, handler) for signum in wanted}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def run_until_stopped(
    stop: threading.Event, *, tick: Callable[[], bool] | None = None, period: float = 0.5
) -> bool:
    """Wait until ``stop`` is set (True), or until ``tick`` returns False (False).

    ``tick`` runs every ``period`` seconds: a health check of the child, a bundle reload.
    """
    while not stop.wait(period):
        if tick is not None and not tick():
            return False
    return True
