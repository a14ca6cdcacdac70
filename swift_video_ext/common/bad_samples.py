"""Accounting for the rows ms-swift skips: unusable videos, rows longer than ``--max_length``.

Rows are counted, not attempts: ms-swift's ``Template.encode`` tries a failing row three times, and a row may be
fetched again later (the next epoch, or as another row's substitute); each row counts once. In training a warning
names each file the first time one of its rows fails (in inference the caller reports the row: ``swift infer``
answers it with an error, see :mod:`.infer_check`). At the end of ``swift sft`` the summary is logged and written to
``skipped_samples.json`` in the run's output folder (:func:`write_summary`).

A row is bad when its video cannot be used, when ms-swift's template cannot encode it at all, or when its text has
more ``<video>`` tags than it has videos (:func:`check_media_tags`: the tag would be trained as text, with no frames).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter

from ..logging_utils import get_logger

SUMMARY_FILE = 'skipped_samples.json'

_rows: dict[str, tuple[str, str]] = {}  # row key -> (source, reason)
_files: Counter = Counter()  # source -> rows skipped


def row_key(row) -> str:
    """A stable identity for a dataset row (a hash of its content)."""
    if isinstance(row, dict):
        text = json.dumps(row, sort_keys=True, default=str)
    else:
        text = repr(row)
    return hashlib.sha1(text.encode('utf-8', 'replace')).hexdigest()


def reason_kind(reason: str) -> str:
    """The kind of a reason, for counting: its text before any detail (``truncated: ...`` → ``truncated``)."""
    return re.split(r'[:(;]', reason, maxsplit=1)[0].strip() or reason


class BadRowError(ValueError):
    """A row that cannot be trained or answered as written; the message names the row and the reason."""

    def __init__(self, source: str, reason: str):
        self.source = str(source)
        self.reason = reason
        super().__init__(f'{self.source}: {reason}')


def record_bad_sample(source: str, reason: str, row=None, *, training: bool = True) -> int:
    """Count a skipped row (once, however often it is tried); in ``training`` warn once per file. Returns the rows
    so far.

    ``row`` identifies the row (any JSON-able value, e.g. the dataset row); without it the source stands for it.
    """
    key = row_key(row) if row is not None else row_key(['source', source])
    if key not in _rows:
        _rows[key] = (str(source), reason)
        first_for_file = source not in _files
        _files[source] += 1
        if first_for_file and training:
            get_logger().warning(f'skipped a sample: {source}: {reason} ({len(_rows)} rows skipped so far, '
                                 f'{len(_files)} distinct files; ms-swift leaves the row out of training)')
    return len(_rows)


def record_encode_error(error: Exception, inputs, *, training: bool) -> int:
    """Count a row the template could not encode: a :class:`~swift_video_ext.video.VideoDecodeError` or
    :class:`BadRowError` by its source and reason, anything else by the row's first video and the error."""
    if isinstance(getattr(error, 'source', None), str) and isinstance(getattr(error, 'reason', None), str):
        source, reason = error.source, error.reason
    else:
        source, reason = describe_row(inputs), f'{type(error).__name__}: {error}'
    return record_bad_sample(source, reason, row=inputs, training=training)


def _tag_count(text, tag: str) -> int:
    return text.count(tag) if isinstance(text, str) else 0


def check_media_tags(inputs, tag: str = '<video>', key: str = 'videos') -> None:
    """Raise :class:`BadRowError` when the row's messages (and system) hold more ``tag`` than it has ``key`` items.

    ``inputs``: ms-swift's ``StdTemplateInputs`` (or a dict). ms-swift pairs tags and videos in order; a tag left
    without a video stays in the prompt as text and the row trains with no frames. Fewer tags than videos is
    ms-swift's to handle (it adds the missing tags).
    """
    get = inputs.get if isinstance(inputs, dict) else lambda name: getattr(inputs, name, None)
    texts = [message.get('content') for message in get('messages') or [] if isinstance(message, dict)]
    tags = sum(_tag_count(text, tag) for text in [get('system'), *texts])
    media = len(get(key) or [])
    if tags > media:
        raise BadRowError(describe_row(inputs), f'more {tag} tags than {key} ({tags} tags, {media} {key}; '
                                                f'"{key}" needs one per tag)')


def skipped_samples() -> dict[str, int]:
    """Sources of skipped rows in this process and how many rows each cost."""
    return dict(_files)


def reset() -> None:
    """Forget every count (tests, or a second run in one process)."""
    _rows.clear()
    _files.clear()
    _over_length.clear()


def summary() -> dict:
    """Rows skipped, distinct files, rows per reason kind, and per file its rows and first reason."""
    reasons = Counter(reason_kind(reason) for _, reason in _rows.values())
    first_reason: dict[str, str] = {}
    for source, reason in _rows.values():
        first_reason.setdefault(source, reason)
    return {'rows_skipped': len(_rows), 'distinct_files': len(_files), 'reasons': dict(reasons.most_common()),
            'files': {source: {'rows': rows, 'reason': first_reason[source]} for source, rows in _files.most_common()},
            'rows_over_max_length': len(_over_length)}


def log_summary() -> dict:
    """Log :func:`summary` in one line (a warning when anything was skipped); returns it."""
    result = summary()
    if not result['rows_skipped'] and not result['rows_over_max_length']:
        get_logger().info('skipped samples: none')
        return result
    reasons = ', '.join(f'{kind}: {n}' for kind, n in result['reasons'].items()) or 'none'
    get_logger().warning(f'skipped samples: {result["rows_skipped"]} rows with unusable media from '
                         f'{result["distinct_files"]} distinct files ({reasons}); '
                         f'{result["rows_over_max_length"]} rows over --max_length')
    return result


def write_summary(output_dir: str | os.PathLike) -> str:
    """Log the summary and write it as ``skipped_samples.json`` in ``output_dir``; returns the file's path."""
    result = log_summary()
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, SUMMARY_FILE)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(result, f, indent=2)
    return path


_over_length: Counter = Counter()


def record_over_length(row: str, reason: str, max_length: int | None) -> int:
    """Count a training row dropped for its length and warn (once per row) with its name; returns the rows."""
    first_time = row not in _over_length
    _over_length[row] += 1
    total = len(_over_length)
    if first_time:
        get_logger().warning(f'row longer than --max_length {max_length}: {row}: {reason} ({total} rows so far; '
                             'ms-swift substitutes another row). '
                             '`swift-video plan` lists them all and suggests a frame setting')
    return total


def over_length_rows() -> dict[str, int]:
    """Rows dropped for their length in this process and how often they were tried."""
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


def describe_row(inputs) -> str:
    """A row's name in messages: its first video or image, else the start of its first message."""
    get = inputs.get if isinstance(inputs, dict) else lambda key: getattr(inputs, key, None)
    for key in ('videos', 'images'):
        media = get(key) or []
        if media:
            first = media[0]
            if isinstance(first, dict):
                first = first.get('path') or '<bytes>'
            return first if isinstance(first, str) else f'<{type(first).__name__}>'
    messages = get('messages') or []
    text = messages[0].get('content', '') if messages and isinstance(messages[0], dict) else ''
    return repr(str(text)[:60])
