"""VideoInstruct-100K (Video-ChatGPT): ``{"video_id", "q", "a"}`` rows over a folder of videos.

``swift sft --dataset videoinstruct100k`` with ``VIDEOINSTRUCT100K_PATH=/data/VideoInstruct_Dataset.json`` and
``VIDEO_ROOT=/data/videos`` (default: the json's folder). The video of a row is ``<VIDEO_ROOT>/<video_id>.<ext>``
with any usual extension (also looked up under ``<VIDEO_ROOT>/videos/``); rows without a video are skipped and
counted. Rows become ``{"messages": [user "<video>{q}", assistant "{a}"], "videos": [path]}``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .base import SkippingPreprocessor, VideoIndex, video_root

DATASET_NAME = 'videoinstruct100k'
PATH_ENV = 'VIDEOINSTRUCT100K_PATH'


class VideoInstructPreprocessor(SkippingPreprocessor):
    dataset_label = DATASET_NAME

    def __init__(self, root: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.root = root
        self._index: VideoIndex | None = None

    @property
    def index(self) -> VideoIndex:
        root = Path(self.root or video_root(os.environ.get(PATH_ENV)))
        if self._index is None or self._index.root != root:
            self._index = VideoIndex(root)
        return self._index

    def row_problem(self, row: dict[str, Any]) -> tuple[str, str] | None:
        if not row.get('video_id') or row.get('q') is None or row.get('a') is None:
            return 'rows without video_id/q/a', repr({k: row.get(k) for k in ('video_id', 'q', 'a')})
        if self.index.find(str(row['video_id'])) is None:
            return 'videos not found', f'{row["video_id"]} under {self.index.root}'
        return None

    def format_row(self, row: dict[str, Any]) -> dict[str, Any]:
        path = self.index.find(str(row['video_id']))
        return {'messages': [{'role': 'user', 'content': f'<video>{str(row["q"]).strip()}'},
                             {'role': 'assistant', 'content': str(row['a']).strip()}],
                'videos': [str(path)]}
