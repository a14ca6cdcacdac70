"""Kinetics-style frame-sequence data: the ``kinetic_3K.json`` format and the frame extraction that writes it.

Row format (a json list; image paths relative to an image root)::

    {"messages": [
        {"role": "user", "content": [{"type": "image", "image": "frames/<clip_id>/frame_1.jpg"}, … frame_4 …,
                                     {"type": "text", "text": "Please analyze the sequence of frames …"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "<action description>"}]}]}

``swift sft --dataset kinetics_frames`` with ``KINETICS_FRAMES_PATH`` = the json and ``KINETICS_FRAMES_ROOT`` = the
image root (default: the json's folder). Every frame is checked; a row with a missing frame is skipped and counted,
with its name. Rows become ``{"messages": [user "<image>…<image>{text}", assistant "{answer}"], "images": [...]}``
with the frames in order. Rows written by ``swift-video extract-frames --as-video`` (``"videos": [frame folder]``)
load the same way and become one frame-sequence video each.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .base import SkippingPreprocessor

DATASET_NAME, PATH_ENV, ROOT_ENV = 'kinetics_frames', 'KINETICS_FRAMES_PATH', 'KINETICS_FRAMES_ROOT'
QUESTION = 'Please analyze the sequence of frames from this video. What specific action or event is happening?'


def image_root() -> Path:
    root = os.environ.get(ROOT_ENV)
    if root:
        return Path(root).expanduser()
    path = os.environ.get(PATH_ENV)
    return Path(path).resolve().parent if path else Path.cwd()


def _parts(content) -> tuple[list[str], str]:
    """(image paths, joined text) of a message content (a string or a list of typed parts)."""
    if isinstance(content, str):
        return [], content
    images, texts = [], []
    for part in content or []:
        kind = part.get('type')
        if kind in ('image', 'image_url'):
            value = part.get('image') or part.get('image_url')
            images.append(value['url'] if isinstance(value, dict) else value)
        elif kind == 'text':
            texts.append(part.get('text') or '')
    return images, ''.join(texts)


class KineticsFramesPreprocessor(SkippingPreprocessor):
    """The card's frame-sequence rows → ms-swift rows; frames resolved against the image root and checked."""

    dataset_label = DATASET_NAME

    def resolve(self, path: str) -> Path:
        return Path(path) if os.path.isabs(path) else image_root() / path

    def split_row(self, row: dict[str, Any]):
        messages = row.get('messages') or []
        user = next((m for m in messages if m.get('role') == 'user'), None)
        assistant = next((m for m in messages if m.get('role') == 'assistant'), None)
        if user is None or assistant is None:
            return None
        frames, question = _parts(user.get('content'))
        _, answer = _parts(assistant.get('content'))
        videos = row.get('videos') or []
        return frames, videos if isinstance(videos, list) else [videos], question, answer

    def row_problem(self, row: dict[str, Any]) -> tuple[str, str] | None:
        parts = self.split_row(row)
        if parts is None or not parts[3].strip():
            return 'rows without a user turn and an answer', repr(row)[:200]
        frames, videos, _, _ = parts
        if not frames and not videos:
            return 'rows without frames', repr(row)[:200]
        missing = [f for f in frames if not self.resolve(f).is_file()]
        missing += [v for v in videos if not self.resolve(v).exists()]
        if missing:
            return 'rows with missing frames', ', '.join(str(self.resolve(m)) for m in missing[:4])
        return None

    def format_row(self, row: dict[str, Any]) -> dict[str, Any]:
        frames, videos, question, answer = self.split_row(row)
        tags = '<image>' * len(frames) + '<video>' * len(videos)
        formatted = {'messages': [{'role': 'user', 'content': tags + question},
                                  {'role': 'assistant', 'content': answer.strip()}]}
        if frames:
            formatted['images'] = [str(self.resolve(f)) for f in frames]
        if videos:
            formatted['videos'] = [str(self.resolve(v)) for v in videos]
        return formatted


def frames_row(frame_paths: list[str], answer: str, question: str = QUESTION) -> dict:
    """A row in the card's format."""
    content = [{'type': 'image', 'image': p} for p in frame_paths] + [{'type': 'text', 'text': question}]
    return {'messages': [{'role': 'user', 'content': content},
                         {'role': 'assistant', 'content': [{'type': 'text', 'text': answer}]}]}


def video_row(frame_folder: str, answer: str, question: str = QUESTION) -> dict:
    """The same sample as one frame-sequence video (a folder of frames)."""
    return {'messages': [{'role': 'user', 'content': [{'type': 'text', 'text': question}]},
                         {'role': 'assistant', 'content': [{'type': 'text', 'text': answer}]}],
            'videos': [frame_folder]}


def write_json(path: Path, rows: list[dict]) -> None:
    path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
