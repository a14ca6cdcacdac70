"""Subtitles (.srt, .vtt; .ass via pysubs2) aligned to sampled frame timestamps.

Files are decoded with the first encoding that works (UTF-8 with or without BOM, UTF-16 with a BOM, cp1252,
latin-1). A file that decodes but holds no cue (garbage, binary) raises :class:`SubtitleError` naming the file.
Each cue keeps its text as written (``raw``: lines joined by ``\\n``, ``<…>`` cue tags removed, spacing kept, as
webvtt-py 0.4.6 gives it) and a whitespace-collapsed ``text`` for generic use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SUBTITLE_EXTENSIONS = ('.srt', '.vtt', '.en.vtt', '.en.srt', '.ass')
ENCODINGS = ('utf-8-sig', 'cp1252', 'latin-1')
_TIMING = re.compile(r'^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{3})')
_CUE_TAG = re.compile('<.*?>')


class SubtitleError(ValueError):
    """A subtitle file that cannot be read; the message names the file and the reason."""

    def __init__(self, path: str, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f'{path}: {reason}')


@dataclass(frozen=True)
class SubtitleCue:
    start: float  # seconds
    end: float  # seconds
    text: str  # whitespace collapsed
    raw: str | None = None  # as written: lines joined by '\n', cue tags removed (None: same as ``text``)

    @property
    def raw_text(self) -> str:
        return self.text if self.raw is None else self.raw


def _seconds(stamp: str) -> float:
    """``[h:]mm:ss.mmm`` (or ``,mmm``) → seconds, summed as h·3600 + m·60 + s + ms/1000 (webvtt-py's order)."""
    clock, millis = stamp[:-4], int(stamp[-3:])
    parts = [int(p) for p in clock.split(':')]
    hours, minutes, seconds = ([0] * (3 - len(parts)) + parts)
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def decode_subtitle_bytes(data: bytes, path: str) -> str:
    """Text of a subtitle file: UTF-16 when it has a UTF-16 BOM, else the first of :data:`ENCODINGS` that decodes."""
    if data.startswith((b'\xff\xfe', b'\xfe\xff')):
        return data.decode('utf-16')
    if b'\x00' in data:
        raise SubtitleError(path, 'binary data (NUL bytes), not a subtitle file')
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SubtitleError(path, f'cannot decode as any of {", ".join(ENCODINGS)}')  # unreachable: latin-1 decodes all


def parse_cues(text: str) -> list[SubtitleCue]:
    """Cues of .srt/.vtt text in file order: blocks separated by blank lines, each with a ``a --> b`` line."""
    cues = []
    for block in re.split(r'\n[ \t]*\n', text.replace('\r\n', '\n').replace('\r', '\n')):
        lines = block.strip('\n').split('\n')
        timing = next((i for i, line in enumerate(lines) if _TIMING.match(line)), None)
        if timing is None:
            continue
        start, end = _TIMING.match(lines[timing]).groups()
        raw = _CUE_TAG.sub('', '\n'.join(lines[timing + 1:]))
        cues.append(SubtitleCue(_seconds(start), _seconds(end), ' '.join(raw.split()), raw))
    return cues


def _parse_ass(text: str, path: str) -> list[SubtitleCue]:
    import pysubs2

    try:
        subs = pysubs2.SSAFile.from_string(text, format_='ass')
    except (pysubs2.exceptions.Pysubs2Error, ValueError) as error:
        raise SubtitleError(path, f'not a readable .ass file ({error})') from None
    return [SubtitleCue(e.start / 1000.0, e.end / 1000.0, ' '.join(e.plaintext.split()), e.plaintext)
            for e in subs if not e.is_comment]


class Subtitles:
    """Cues sorted by start time, with lookups by sampled frame timestamps (seconds).

    ``file_cues`` keeps every cue in file order (empty ones included), for rules that walk the file as written.
    """

    def __init__(self, cues: Sequence[SubtitleCue], source: str = ''):
        self.file_cues = list(cues)
        self.cues = sorted((c for c in cues if c.text.strip()), key=lambda c: (c.start, c.end))
        self.source = source

    @classmethod
    def load(cls, path: str | os.PathLike) -> Subtitles:
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise SubtitleError(path, 'subtitle file not found')
        with open(path, 'rb') as file:
            data = file.read()
        text = decode_subtitle_bytes(data, path)
        cues = _parse_ass(text, path) if path.lower().endswith(('.ass', '.ssa')) else parse_cues(text)
        if not cues and text.strip() and not text.lstrip('\ufeff').startswith('WEBVTT'):
            raise SubtitleError(path, 'no subtitle cues found (not a readable .srt/.vtt file)')
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
