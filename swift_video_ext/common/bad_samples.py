"""Accounting for training samples skipped because their video cannot be used."""

from __future__ import annotations

from collections import Counter

from ..logging_utils import get_logger

_skipped: Counter = Counter()


def record_bad_sample(source: str, reason: str) -> int:
    """Count a skipped sample and warn (once per source) with its name and reason; returns the running total."""
    first_time = source not in _skipped
    _skipped[source] += 1
    total = sum(_skipped.values())
    if first_time:
        get_logger().warning(f'skipped a sample: {source}: {reason} ({total} skipped so far, '
                             f'{len(_skipped)} distinct files; ms-swift substitutes another sample)')
    return total


def skipped_samples() -> dict[str, int]:
    """Sources skipped in this process and how often."""
    return dict(_skipped)
