"""The one retry policy for transient database errors, bounded by attempts, by total time
and, inside a webhook request, by one deadline for the whole request.

pymongo's own retryable reads/writes are off (see connection.connect), so this is the only layer.
"""

import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from typing import NoReturn, TypeVar

import mongoengine as me
import pymongo
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_none,
)
from tenacity.stop import stop_base

from ..errors import DatabaseUnavailable
from ..observability.logs import log

T = TypeVar("T")

logger = logging.getLogger("service.db")

# Server error codes that mean "try again" (shutdown, step-down, network, time limits, and 64:
# the majority did not acknowledge within wtimeout; every write here is safe to repeat).
_TRANSIENT_CODES = {6, 7, 64, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436}


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: network, server selection, shutdown/step-down codes."""
    if isinstance(exc, ConnectionFailure):
        return True
    if isinstance(exc, OperationFailure):
        return exc.code in _TRANSIENT_CODES or exc.has_error_label("RetryableWriteError")
    return False


# The monotonic time by which the current request must be done with the database, or None.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("db_request_deadline", default=None)


@contextlib.contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Within the block, every RetryPolicy call shares one deadline ``seconds`` from now
    (an enclosing deadline that is sooner still wins)."""
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


class _DeadlinePassed(Exception):
    """The request deadline passed before an attempt could start."""


class _stop_at_deadline(stop_base):
    """Stop retrying when the next attempt would start at or after ``deadline``."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return time.monotonic() + retry_state.upcoming_sleep >= self.deadline


def _socket_timeout_seconds() -> float | None:
    """The default client's socketTimeoutMS in seconds, or None (no client, or no limit)."""
    try:
        return me.get_connection().options.pool_options.socket_timeout
    except me.connection.ConnectionFailure:
        return None


class RetryPolicy:
    """Runs a database operation with bounded retries of transient errors only.

    Raises DatabaseUnavailable when the budget (attempts and seconds) is spent, or when
    the request deadline (``request_deadline``) passes; any non-transient error
    propagates unchanged on the first occurrence.
    """

    def __init__(self, attempts: int, max_seconds: float, backoff_seconds: float) -> None:
        self.attempts = attempts
        self.max_seconds = max_seconds
        self.backoff_seconds = backoff_seconds

    def run(self, operation: Callable[[], T], what: str) -> T:
        """Call ``operation()`` under the policy; ``what`` names it in logs and errors."""
        started = time.monotonic()
        deadline = _deadline.get()
        attempt = operation if deadline is None else self._bounded(operation, deadline)
        # The first attempt runs bare: building tenacity's machinery costs more than most
        # commands on the hot path, and almost every call succeeds the first time.
        try:
            return attempt()
        except Exception as exc:
            if not is_transient(exc) or self.attempts <= 1:
                self._give_up(exc, what, started)
            first_failure = exc
        return self._retry(attempt, first_failure, what, started, deadline)

    def _retry(
        self, attempt: Callable[[], T], first_failure: Exception, what: str, started: float, deadline: float | None
    ) -> T:
        """The remaining attempts under tenacity, exactly as if it had run the first one
        (which failed with ``first_failure``): same waits, stops, logs and errors."""
        replayed = False

        def operation() -> T:
            nonlocal replayed
            if not replayed:
                replayed = True
                raise first_failure
            return attempt()

        budget_left = max(0.0, self.max_seconds - (time.monotonic() - started))
        stop = stop_after_attempt(self.attempts) | stop_after_delay(budget_left)
        if deadline is not None:
            stop = stop | _stop_at_deadline(deadline)
        retrying = Retrying(
            stop=stop,
            wait=(wait_exponential(multiplier=self.backoff_seconds, max=2) if self.backoff_seconds else wait_none()),
            retry=retry_if_exception(is_transient),
            reraise=True,
            before_sleep=lambda state: log(
                logger,
                logging.WARNING,
                "database retry",
                op=what,
                attempt=state.attempt_number,
                error=type(state.outcome.exception()).__name__ if state.outcome else None,
            ),
        )
        try:
            return retrying(operation)
        except Exception as exc:
            self._give_up(exc, what, started)

    @staticmethod
    def _give_up(exc: Exception, what: str, started: float) -> NoReturn:
        """Re-raise ``exc`` unchanged unless it means the database is unavailable (transient, or
        the deadline passed): then log it and raise DatabaseUnavailable."""
        if not (isinstance(exc, _DeadlinePassed) or is_transient(exc)):
            raise exc
        elapsed = round(time.monotonic() - started, 3)
        log(logger, logging.ERROR, "database unavailable", op=what, error=type(exc).__name__, elapsed_s=elapsed)
        raise DatabaseUnavailable(f"database unavailable during {what}") from exc

    @staticmethod
    def _bounded(operation: Callable[[], T], deadline: float) -> Callable[[], T]:
        """``operation`` as one attempt that never starts after ``deadline`` and never
        outlives it. While a whole socket timeout is left the attempt runs exactly as without
        a deadline. Inside the last socket timeout it runs under pymongo's client-side operation
        timeout (CSOT) set to the time left; CSOT is not used earlier because it replaces
        serverSelectionTimeoutMS and socketTimeoutMS with that one budget (a down database
        would be waited for instead of failing fast)."""

        def attempt() -> T:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _DeadlinePassed()
            socket_timeout = _socket_timeout_seconds()
            if socket_timeout is not None and remaining >= socket_timeout:
                return operation()
            try:
                with pymongo.timeout(remaining):
                    return operation()
            except PyMongoError as exc:
                if exc.timeout and not is_transient(exc):
                    # e.g. ExecutionTimeout: too little time left to send the command at all
                    raise pymongo.errors.NetworkTimeout(str(exc)) from exc
                raise

        return attempt
