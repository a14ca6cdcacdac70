"""VideoInstruct-100K (Video-ChatGPT): ``{"video_id", "q", "a"}`` rows over a folder of videos.

``swift sft --dataset videoinstruct100k`` with ``VIDEOINSTRUCT100K_PATH=/data/VideoInstruct_Dataset.json`` and
``VIDEO_ROOT=/data/videos`` (default: the json's folder). The video of a row is ``<VIDEO_ROOT>/<video_id>.<ext>``
with any usual extension (also looked up under ``<VIDEO_ROOT>/videos/``); rows without a video are skipped and
counted. Rows become ``{"messages": [user "<video>{q}", assistant "{a}"], "videos": [path]}``.
"""

from __future__ import annotations

import os
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

    def prepare_dataset(self, dataset):
        self._index = VideoIndex(self.root or video_root(os.environ.get(PATH_ENV)))
        return dataset

    def preprocess(self, row: dict[str, Any]) -> dict[str, Any] | None:
        video_id, question, answer = row.get('video_id'), row.get('q'), row.get('a')
        if not video_id or question is None or answer is None:
            return self.skip('rows without video_id/q/a', repr({k: row.get(k) for k in ('video_id', 'q', 'a')}))
        path = self._index.find(str(video_id))
        if path is None:
            return self.skip('videos not found', f'{video_id} under {self._index.root}')
        return {'messages': [{'role': 'user', 'content': f'<video>{str(question).strip()}'},
                             {'role': 'assistant', 'content': str(answer).strip()}],
                'videos': [str(path)]}

