"""Temporal grounding metrics: R@1 at IoU thresholds and mean IoU over ``swift infer`` results.

Each result row has the prediction in ``response`` and the reference in ``labels`` (our grounding preprocessors write
``"From 24.3 to 30.4 seconds."``). A span is read from text in any of these forms (the first one found wins):
``from 24.3 to 30.4``, ``24.3 - 30.4`` / ``24.3–30.4`` / ``24.3 to 30.4`` (with optional ``s``/``sec``/``seconds``),
``[24.3, 30.4]``, and clock times ``00:24.3 - 00:30.4`` / ``1:02:03 to 1:02:09``. A reversed span is put in order.
A prediction without a span scores IoU 0 and is counted as unparsable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .results import load_results  # noqa: F401  (re-exported: swift-video eval grounding/action)

_TIME = r'(?:\d+:)?\d+:\d+(?:\.\d+)?|\d+(?:\.\d+)?'
_UNIT = r'\s*(?:s|sec|secs|second|seconds)?'
_SPAN_PATTERNS = [
    re.compile(rf'from\s+({_TIME}){_UNIT}\s+(?:to|until|till|-|–)\s+({_TIME})', re.IGNORECASE),
    re.compile(rf'\[\s*({_TIME}){_UNIT}\s*,\s*({_TIME}){_UNIT}\s*\]', re.IGNORECASE),
    re.compile(rf'({_TIME}){_UNIT}\s*(?:-|–|—|to|until)\s*({_TIME})', re.IGNORECASE),
]
THRESHOLDS = (0.3, 0.5, 0.7)


def parse_time(text: str) -> float:
    """Seconds from ``12.5``, ``01:02.5`` (mm:ss) or ``1:02:03`` (hh:mm:ss)."""
    seconds = 0.0
    for part in text.split(':'):
        seconds = seconds * 60 + float(part)
    return seconds


def parse_span(text: str | None) -> tuple[float, float] | None:
    """The first (start, end) span in ``text``, in seconds and in order; None if there is none."""
    if not text:
        return None
    for pattern in _SPAN_PATTERNS:
        match = pattern.search(text)
        if match:
            start, end = parse_time(match.group(1)), parse_time(match.group(2))
            return (start, end) if start <= end else (end, start)
    return None


def temporal_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Intersection over union of two [start, end] intervals (0 when they do not overlap)."""
    intersection = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return intersection / union if union > 0 else float(a == b)


def evaluate_grounding(rows: Iterable[dict], thresholds: tuple[float, ...] = THRESHOLDS) -> dict:
    """R@1 at each IoU threshold and mIoU, in percent, over rows with a parsable reference."""
    ious, unparsable, bad_reference = [], 0, 0
    for row in rows:
        reference = parse_span(row.get('labels'))
        if reference is None:
            bad_reference += 1
            continue
        prediction = parse_span(row.get('response'))
        if prediction is None:
            unparsable += 1
            ious.append(0.0)
        else:
            ious.append(temporal_iou(prediction, reference))
    count = len(ious)
    result = {'count': count, 'unparsable_predictions': unparsable, 'rows_without_reference_span': bad_reference}
    for threshold in thresholds:
        hits = sum(iou >= threshold for iou in ious)
        result[f'R@1,IoU={threshold}'] = round(100.0 * hits / count, 2) if count else 0.0
    result['mIoU'] = round(100.0 * sum(ious) / count, 2) if count else 0.0
    return result
