"""Retry with exponential backoff, full jitter and a per-cycle sleep budget
(:class:`RetryBudget` raises instead of sleeping past it).
"""

from __future__ import annotations

import logging
import random as _random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import GoogleSyncError, RetryBudgetExhausted, classify, parse_retry_after

__all__ = [
    "RetryBudget",
    "RetryBudgetExhausted",
    "RetryPolicy",
    "call_with_retry",
    "parse_retry_after",
]

_logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait between attempts.

    ``max_attempts`` counts the first try. The wait before retry *n* (1-based)
    is ``uniform(0, min(max_delay, base_delay * 2 ** (n - 1)))`` with full
    jitter, or the cap itself without jitter. A server ``Retry-After`` replaces
    the computed wait (the server knows best), the budget still applies.
    ``random`` is injectable for deterministic tests.
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 32.0
    jitter: bool = True
    random: Callable[[], float] = field(default=_random.random, compare=False, repr=False)

    def __post_init__(self):
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, retry_number: int) -> float:
        """Computed wait before retry ``retry_number`` (1 = first retry)."""
        exponent = max(0, retry_number - 1)
        # Cap the exponent so huge attempt numbers cannot overflow a float.
        cap = min(self.max_delay, self.base_delay * (2 ** min(exponent, 62)))
        if not self.jitter:
            return cap
        return cap * self.random()

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Wait before retry ``retry_number``: ``Retry-After`` if given, else backoff."""
        if retry_after is not None:
            return max(0.0, float(retry_after))
        return self.backoff(retry_number)


class RetryBudget:
    """Total sleep time allowed in one user's sync cycle.

    ``sleep`` is injectable so tests run instantly yet can assert the waits
    (``sleeps`` records every granted wait). Thread-safe.
    """

    def __init__(self, seconds: float, *, sleep: Callable[[float], None] = time.sleep):
        if seconds < 0:
            raise ValueError("budget must not be negative")
        self.seconds = float(seconds)
        self._sleep = sleep
        self._spent = 0.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    @property
    def spent(self) -> float:
        return self._spent

    @property
    def remaining(self) -> float:
        return max(0.0, self.seconds - self._spent)

    def wait(self, seconds: float, error: GoogleSyncError | None = None) -> None:
        """Sleep ``seconds`` if the budget covers it, else raise without sleeping."""
        seconds = max(0.0, float(seconds))
        with self._lock:
            if seconds > self.remaining:
                raise RetryBudgetExhausted(error, requested=seconds, remaining=self.remaining)
            self._spent += seconds
            self.sleeps.append(seconds)
        if seconds:
            self._sleep(seconds)


def call_with_retry(
    func: Callable[[], T],
    policy: RetryPolicy,
    budget: RetryBudget,
    *,
    operation: str | None = None,
    stats: dict | None = None,
    retry_if: Callable[[GoogleSyncError], bool] | None = None,
) -> T:
    """Call ``func`` until it succeeds, retrying retryable errors.

    Errors are classified with :func:`classify` (``operation`` helps it, e.g.
    ``"list"`` or ``"delete"``); unknown exceptions propagate unchanged.
    ``retry_if`` can narrow which retryable errors are retried; ``stats``
    counts ``api_calls`` (each attempt) and ``retries``. Raises the
    classified error when it is not retryable or attempts are used up, and
    :class:`RetryBudgetExhausted` when the next wait does not fit the budget.
    """
    attempt = 0
    while True:
        attempt += 1
        if stats is not None:
            stats["api_calls"] += 1
        try:
            return func()
        except Exception as exc:
            error = classify(exc, operation=operation)
            if error is None:
                raise
            retry = error.retryable and (retry_if is None or retry_if(error))
            if not retry or attempt >= policy.max_attempts:
                if error is exc:
                    raise
                raise error from exc
            delay = policy.delay(attempt, getattr(error, "retry_after", None))
            try:
                budget.wait(delay, error)
            except RetryBudgetExhausted as exhausted:
                raise exhausted from exc
            _logger.info(
                "Retrying %s after %s (attempt %d, waited %.2fs)",
                operation or "request",
                error,
                attempt + 1,
                delay,
            )
            if stats is not None:
                stats["retries"] += 1
