"""Temporal grounding data: Charades-STA and ActivityNet Captions as Q/A rows whose answer states a span.

Answer format (one decimal, seconds from the start of the video)::

    From 24.3 to 30.4 seconds.

Question (``GROUNDING_QUESTION``)::

    <video>Find the moment in the video when: "{sentence}". Give its start and end time in seconds.

- ``charades_sta``: ``CHARADES_STA_PATH`` = the annotation text file, lines ``<vid> <start> <end>##<sentence>``
  (e.g. ``charades_sta_train.txt``); videos ``<VIDEO_ROOT>/<vid>.mp4`` (any usual extension).
- ``activitynet_captions``: ``ACTIVITYNET_CAPTIONS_PATH`` = ``train.json``/``val_1.json``, a dict
  ``{vid: {"duration", "timestamps": [[s, e], …], "sentences": […]}}``; one row per (span, sentence); spans are
  clipped to the duration.

Malformed lines are errors naming the file and line; rows whose video is missing or whose span is empty are skipped
and counted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .base import SkippingPreprocessor, VideoIndex, video_root

GROUNDING_QUESTION = ('<video>Find the moment in the video when: "{sentence}". '
                      'Give its start and end time in seconds.')
CHARADES_NAME, CHARADES_ENV = 'charades_sta', 'CHARADES_STA_PATH'
ACTIVITYNET_NAME, ACTIVITYNET_ENV = 'activitynet_captions', 'ACTIVITYNET_CAPTIONS_PATH'


def format_span(start: float, end: float) -> str:
    return f'From {start:.1f} to {end:.1f} seconds.'


def read_charades_sta(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows ``{video_id, start, end, sentence}`` from ``vid start end##sentence`` lines."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding='utf-8').splitlines(), start=1):
        if not line.strip():
            continue
        head, separator, sentence = line.partition('##')
        parts = head.split()
        try:
            if not separator or len(parts) != 3 or not sentence.strip():
                raise ValueError
            rows.append({'video_id': parts[0], 'start': float(parts[1]), 'end': float(parts[2]),
                         'sentence': sentence.strip(), 'duration': None})
        except ValueError:
            raise ValueError(f'{path}:{number}: expected "<vid> <start> <end>##<sentence>", got {line!r}') from None
    return rows


def read_activitynet_captions(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows ``{video_id, start, end, sentence, duration}``, one per annotated span."""
    data = json.loads(Path(path).read_text(encoding='utf-8'))
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a json object {{video_id: {{duration, timestamps, sentences}}}}')
    rows = []
    for video_id, entry in data.items():
        spans, sentences = entry.get('timestamps'), entry.get('sentences')
        if not isinstance(spans, list) or not isinstance(sentences, list) or len(spans) != len(sentences):
            raise ValueError(f'{path}: {video_id}: "timestamps" and "sentences" must be lists of equal length')
        duration = entry.get('duration')
        for (start, end), sentence in zip(spans, sentences, strict=True):
            if duration is not None:
                start, end = max(0.0, float(start)), min(float(duration), float(end))
            rows.append({'video_id': video_id, 'start': float(start), 'end': float(end),
                         'sentence': str(sentence).strip(), 'duration': duration})
    return rows


class GroundingPreprocessor(SkippingPreprocessor):
    """``{video_id, start, end, sentence}`` rows → grounding Q/A with the video resolved under VIDEO_ROOT."""

    def __init__(self, dataset_label: str, path_env: str, question: str = GROUNDING_QUESTION, **kwargs):
        super().__init__(**kwargs)
        self.dataset_label = dataset_label
        self.path_env = path_env
        self.question = question
        self._index: VideoIndex | None = None

    @property
    def index(self) -> VideoIndex:
        root = video_root(os.environ.get(self.path_env))
        if self._index is None or self._index.root != root:
            self._index = VideoIndex(root)
        return self._index

    def row_problem(self, row: dict[str, Any]) -> tuple[str, str] | None:
        if not row['end'] > row['start']:
            return 'empty spans', f'{row["video_id"]} [{row["start"]}, {row["end"]}]'
        if self.index.find(row['video_id']) is None:
            return 'videos not found', f'{row["video_id"]} under {self.index.root}'
        return None

    def format_row(self, row: dict[str, Any]) -> dict[str, Any]:
        return {'messages': [{'role': 'user', 'content': self.question.format(sentence=row['sentence'])},
                             {'role': 'assistant', 'content': format_span(row['start'], row['end'])}],
                'videos': [str(self.index.find(row['video_id']))]}
