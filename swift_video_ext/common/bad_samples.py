"""Accounting for training samples ms-swift skips: unusable videos, rows longer than ``--max_length``."""

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


_over_length: Counter = Counter()


def record_over_length(row: str, reason: str, max_length: int | None) -> int:
    """Count a training row dropped for its length and warn (once per row) with its name; returns the total."""
    first_time = row not in _over_length
    _over_length[row] += 1
    total = sum(_over_length.values())
    if first_time:
        get_logger().warning(f'row longer than --max_length {max_length}: {row}: {reason} ({total} so far, '
                             f'{len(_over_length)} distinct rows; ms-swift substitutes another row). '
                             f'`swift-video plan` lists them all and suggests a frame setting')
    return total


def over_length_rows() -> dict[str, int]:
    """Rows dropped for their length in this process and how often."""
    return dict(_over_length)


_bad_subtitles: Counter = Counter()


def record_bad_subtitles(path: str, reason: str) -> int:
    """Count an unreadable subtitle file (its row is used without subtitles) and warn once per file; returns the
    running total."""
    first_time = path not in _bad_subtitles
    _bad_subtitles[path] += 1
    total = sum(_bad_subtitles.values())
    if first_time:
        get_logger().warning(f'unreadable subtitle file, its row is used without subtitles: {path}: {reason} '
                             f'({total} so far, {len(_bad_subtitles)} distinct files)')
    return total


def bad_subtitle_files() -> dict[str, int]:
    """Subtitle files that could not be read in this process and how often."""
    return dict(_bad_subtitles)
