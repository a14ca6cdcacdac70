"""Subtitles (.srt, .vtt, .ass via pysubs2) aligned to sampled frame timestamps."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SUBTITLE_EXTENSIONS = ('.srt', '.vtt', '.en.vtt', '.en.srt', '.ass')


class SubtitleError(ValueError):
    """A subtitle file that cannot be read; the message names the file and the reason."""

    def __init__(self, path: str, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f'{path}: {reason}')


@dataclass(frozen=True)
class SubtitleCue:
    start: float  # seconds
    end: float  # seconds
    text: str


class Subtitles:
    """Cues sorted by start time, with lookups by sampled frame timestamps (seconds)."""

    def __init__(self, cues: Sequence[SubtitleCue], source: str = ''):
        self.cues = sorted((c for c in cues if c.text.strip()), key=lambda c: (c.start, c.end))
        self.source = source

    @classmethod
    def load(cls, path: str | os.PathLike) -> Subtitles:
        import pysubs2

        path = os.fspath(path)
        if not os.path.isfile(path):
            raise SubtitleError(path, 'subtitle file not found')
        try:
            subs = pysubs2.load(path, encoding='utf-8')
        except (pysubs2.exceptions.Pysubs2Error, UnicodeDecodeError, ValueError) as error:
            raise SubtitleError(path, f'not a readable .srt/.vtt/.ass file ({error})') from None
        cues = [SubtitleCue(e.start / 1000.0, e.end / 1000.0, ' '.join(e.plaintext.split()))
                for e in subs if not e.is_comment]
        return cls(cues, source=path)

    @staticmethod
    def find_next_to(video: str | os.PathLike) -> Path | None:
        """A subtitle file beside the video with the same stem (``clip.srt``, ``clip.vtt``, ``clip.en.vtt`` …)."""
        video = Path(video)
        for extension in SUBTITLE_EXTENSIONS:
            candidate = video.with_name(video.stem + extension)
            if candidate.is_file():
                return candidate
        return None

    def active_at(self, t: float) -> str:
        """Text of the cues showing at ``t`` seconds (start ≤ t ≤ end), joined by spaces."""
        return ' '.join(c.text for c in self.cues if c.start <= t <= c.end)

    def active_per_frame(self, timestamps: Sequence[float]) -> list[str]:
        return [self.active_at(float(t)) for t in timestamps]

    def new_per_frame(self, timestamps: Sequence[float]) -> list[str]:
        """For each sampled frame, the text that appeared since the previous sampled frame.

        Frame i gets the cues overlapping ``(t[i-1], t[i]]`` (frame 0: everything up to ``t[0]``) that no earlier
        frame got, so every cue is emitted once, at the first sampled frame at or after it started.
        """
        emitted: set[int] = set()
        texts, previous = [], float('-inf')
        for t in timestamps:
            t = float(t)
            new = [i for i, c in enumerate(self.cues) if i not in emitted and c.start <= t and c.end > previous]
            emitted.update(new)
            texts.append(' '.join(self.cues[i].text for i in new))
            previous = t
        return texts

    def __len__(self) -> int:
        return len(self.cues)
