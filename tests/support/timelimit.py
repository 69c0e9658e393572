"""A wall-clock limit for one block of test code (SIGALRM; the main thread of a POSIX process).

It guards against hangs (an unbounded compile), never measures speed: the limits are
far above the normal time, which tests print instead where it matters.
"""

from __future__ import annotations

import contextlib
import signal


class TimeLimitExceeded(AssertionError):
    pass


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "the block"):
    def expired(_signum, _frame):
        raise TimeLimitExceeded(f"{what} ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
