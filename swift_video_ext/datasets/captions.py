"""Video captioning with an instruction pool (MiniGPT4-Video's stage 2, usable by every model type).

``swift sft --dataset video_captions`` with ``VIDEO_CAPTIONS_PATH`` = a json list in any of these row formats and
``VIDEO_ROOT`` = the videos:

- CMD (Condensed Movies): ``{"image_id": "<video id>", "caption": "..."}`` → ``<VIDEO_ROOT>/<id>.<ext>``;
- WebVid: ``{"videoid": "...", "name": "<caption>", "page_dir": "..."}`` → ``<VIDEO_ROOT>/<page_dir>/<videoid>.<ext>``;
- generic: ``{"video": "<path, absolute or under VIDEO_ROOT>", "caption": "..."}``.

Each row gets one instruction drawn from ``INSTRUCTION_POOL`` (seeded, so reruns draw the same), as the reference
stage-2 datasets do. Subtitles are picked up by the templates that use them (``<id>.en.vtt`` next to the video or
under ``SUBTITLE_ROOT``; WebVid has none, as in the original).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .base import SkippingPreprocessor, VideoIndex, video_root

DATASET_NAME, PATH_ENV = 'video_captions', 'VIDEO_CAPTIONS_PATH'
# MiniGPT4-Video stage-2 prompts (the same list for CMD and WebVid).
INSTRUCTION_POOL = (
    'Describe this video.', 'Provide a concise depiction of this video.', 'Present a description of this video.',
    'Summarize this video.', 'Generate video caption:', 'Generate video description:',
    'Write a description for the video.', 'Provide a description of what is presented in the video.',
    'Describe the content of the video.', 'Can you explain what you see in the video?',
    'Could you describe what you perceive in the video?', 'Please provide a depiction of the video.',
    'Illustrate what is happening in the video.',
)


class VideoCaptionPreprocessor(SkippingPreprocessor):
    dataset_label = DATASET_NAME

    def __init__(self, instructions: tuple[str, ...] = INSTRUCTION_POOL, **kwargs):
        super().__init__(**kwargs)
        self.instructions = instructions
        self._indexes: dict[Path, VideoIndex] = {}

    def _index(self, folder: Path) -> VideoIndex:
        if folder not in self._indexes:
            self._indexes[folder] = VideoIndex(folder)
        return self._indexes[folder]

    def locate(self, row: dict[str, Any]) -> tuple[Path | None, str | None, str]:
        """(video path or None, caption, name for messages) of a row in any supported format."""
        root = video_root(os.environ.get(PATH_ENV))
        if row.get('videoid') is not None:  # WebVid
            folder = root / str(row.get('page_dir') or '')
            return self._index(folder).find(str(row['videoid'])), row.get('name'), f'{row["videoid"]} under {folder}'
        if row.get('image_id') is not None:  # CMD
            return self._index(root).find(str(row['image_id'])), row.get('caption'), f'{row["image_id"]} under {root}'
        video = row.get('video') or row.get('videos')  # ms-swift renames a "video" column to "videos"
        if isinstance(video, (list, tuple)):
            video = video[0] if video else None
        if video:
            path = Path(video) if os.path.isabs(video) else root / video
            return (path if path.is_file() else None), row.get('caption'), str(path)
        return None, row.get('caption'), repr(row)

    def row_problem(self, row: dict[str, Any]) -> tuple[str, str] | None:
        path, caption, name = self.locate(row)
        if not caption or not str(caption).strip():
            return 'rows without a caption', name
        if path is None:
            return 'videos not found', name
        return None

    def format_row(self, row: dict[str, Any]) -> dict[str, Any]:
        path, caption, _ = self.locate(row)
        instruction = self.instructions[self.random_state.randint(len(self.instructions))]
        return {'messages': [{'role': 'user', 'content': f'<video>{instruction}'},
                             {'role': 'assistant', 'content': str(caption).strip()}],
                'videos': [str(path)]}
