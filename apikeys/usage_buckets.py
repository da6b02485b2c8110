"""A key's usage in one period (an hour or a day): what charts, the API and pages show.

Pure data, no I/O: `usage.py` counts and stores, `selectors.py` reads, `charts.py` draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class UsageBucket:
    """Requests made with one key in the period starting at `start` (UTC).

    `accepted` passed authentication (the view may still have refused them: a missing
    scope is the view's 403, not the key's); `refused` were refused because the key was
    revoked, paused or expired, or its creator can no longer act; `limited` were answered
    429 by the key's rate limits.
    """

    start: datetime
    accepted: int = 0
    refused: int = 0
    limited: int = 0

    @property
    def total(self) -> int:
        return self.accepted + self.refused + self.limited


def summed(buckets: Sequence[UsageBucket]) -> UsageBucket:
    """The buckets added up, as one bucket starting with the first (an empty list: zeros)."""
    start = buckets[0].start if buckets else datetime.min
    return UsageBucket(
        start=start,
        accepted=sum(b.accepted for b in buckets),
        refused=sum(b.refused for b in buckets),
        limited=sum(b.limited for b in buckets),
    )
