"""Retry and polling policies (CONTRACT.md §5): plain data plus the arithmetic of their delays."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRY_STATUSES: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})
"""HTTP statuses worth sending the same request again for; every other 4xx is final."""


@dataclass(frozen=True)
class RetryConfig:
    """How often and how long to wait before sending a failed request again.

    Attempt ``n`` (0 for the first retry) waits ``min(base_delay * backoff_factor**n, max_delay)``
    plus up to ``jitter`` (a fraction) of that; a ``Retry-After`` from the server replaces the
    computed delay (jitter still added, so the client never comes back earlier than asked).
    A ``Retry-After`` longer than ``max_retry_after`` is not waited for: the error is raised at
    once, carrying ``retry_after``. Nor is a retry that would end past ``max_total_wait`` (the
    retry budget) since the request's first attempt began, counting the attempts' own time and
    the sleeps: the last error is raised instead.
    ``random`` (uniform in [0, 1)) is the jitter's source.
    """

    max_retries: int = 3
    base_delay: float = 1.0
    backoff_factor: float = 2.0
    max_delay: float = 10.0
    jitter: float = 0.1
    retry_statuses: frozenset[int] = RETRY_STATUSES
    max_retry_after: float = 60.0
    max_total_wait: float = 15.0
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if min(self.base_delay, self.max_delay, self.jitter, self.max_total_wait) < 0:
            raise ValueError("base_delay, max_delay, jitter and max_total_wait must be >= 0")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            base = max(0.0, retry_after)
        else:
            base = min(self.base_delay * self.backoff_factor**attempt, self.max_delay)
        return base + base * self.jitter * self.random()


@dataclass(frozen=True)
class PollingConfig:
    """How to wait for an asynchronous job: intervals from ``initial_interval`` growing by
    ``backoff_factor`` up to ``max_interval``; give up after ``max_wait_time`` seconds."""

    initial_interval: float = 1.0
    backoff_factor: float = 1.5
    max_interval: float = 10.0
    max_wait_time: float = 300.0

    def __post_init__(self) -> None:
        if self.initial_interval <= 0 or self.max_interval <= 0 or self.backoff_factor < 1:
            raise ValueError("intervals must be > 0 and backoff_factor >= 1")
        if self.max_wait_time < 0:
            raise ValueError(f"max_wait_time must be >= 0, got {self.max_wait_time}")

    def intervals(self) -> Iterator[float]:
        """The endless sequence of pauses between two polls: 1, 1.5, 2.25, ... 10, 10, ..."""
        interval = min(self.initial_interval, self.max_interval)
        while True:
            yield interval
            interval = min(interval * self.backoff_factor, self.max_interval)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent or
    unreadable, 0 for a date in the past."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


RetryPolicy = RetryConfig
"""Former name of `RetryConfig`."""
PollPolicy = PollingConfig
"""Former name of `PollingConfig`."""
