"""Shared pieces of the decoding backends: source types, target sizes, error wording."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Union

VideoSource = Union[str, os.PathLike, bytes, bytearray, memoryview]


class ProbeMismatch(Exception):
    """The decoder produced frames the packet probe did not predict; the caller re-probes by decoding."""


@dataclass(frozen=True)
class FrameSize:
    """Output frame size in pixels."""

    width: int
    height: int


def source_label(source) -> str:
    """How a source is named in messages: its path, or ``<N bytes>`` for in-memory videos."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f'<{len(source)} bytes>'
    return os.fspath(source)


def target_size(width: int, height: int, *, shortest_edge: int | None = None,
                max_pixels: int | None = None) -> FrameSize | None:
    """Size after scaling the short side to ``shortest_edge`` and then shrinking to at most ``max_pixels``.

    Aspect ratio is kept; ``max_pixels`` only ever shrinks. Returns None when no resize is needed.
    """
    scale = 1.0
    if shortest_edge:
        scale = shortest_edge / min(width, height)
    if max_pixels and width * height * scale * scale > max_pixels:
        scale = math.sqrt(max_pixels / (width * height))
    if abs(scale - 1.0) < 1e-9:
        return None
    return FrameSize(max(1, int(round(width * scale))), max(1, int(round(height * scale))))


_SIGNATURES = (
    (4, b'ftyp', 'MP4/QuickTime'),
    (0, b'\x1a\x45\xdf\xa3', 'Matroska/WebM'),
    (0, b'RIFF', 'AVI'),
    (0, b'FLV', 'FLV'),
    (0, b'\x00\x00\x01\xba', 'MPEG-PS'),
    (0, b'OggS', 'Ogg'),
    (0, b'\x47', 'MPEG-TS'),
)


def sniff_container(head: bytes) -> str | None:
    """Container format named by the first bytes of a file, if it is one we recognise."""
    for offset, magic, name in _SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            if name == 'MPEG-TS' and (len(head) < 189 or head[188:189] != b'\x47'):
                continue
            return name
    return None


def describe_unreadable(source, error: Exception) -> str:
    """Reason text for a source FFmpeg cannot open: truncated/corrupt container vs not a video at all."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        head = bytes(source[:512])
    else:
        with open(os.fspath(source), 'rb') as f:
            head = f.read(512)
    container = sniff_container(head)
    if container:
        return f'truncated or corrupt {container} file, FFmpeg cannot open it ({error})'
    return f'not a video file: unrecognised container format ({error})'
