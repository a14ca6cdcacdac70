"""Shared pieces of the decoding backends: the reader protocol, source types, target sizes, error wording."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar, Union

if TYPE_CHECKING:
    import numpy as np

    from ..types import VideoInfo

VideoSource = Union[str, os.PathLike, bytes, bytearray, memoryview]


class VideoReader(Protocol):
    """What every backend's reader is: open on a source, ``probe()`` (indices and timestamps, no pixels), then
    ``read(info, indices, size)`` (the (T, H, W, 3) uint8 frames at those indices, stored orientation), as a context
    manager that closes the source."""

    name: str  # the backend's name (``VIDEO_LOAD_BACKEND``)
    label: str  # how messages name the source

    def probe(self) -> VideoInfo: ...

    def read(self, info: VideoInfo, indices: np.ndarray, size: FrameSize | None = None) -> np.ndarray: ...

    def close(self) -> None: ...

    def __enter__(self) -> VideoReader: ...

    def __exit__(self, *exc) -> None: ...


_Reader = TypeVar('_Reader', bound='ReaderBase')


class ReaderBase:
    """The context-manager part of :class:`VideoReader`: ``with reader:`` closes it."""

    def __enter__(self: _Reader) -> _Reader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the source (nothing to release by default)."""


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


@dataclass(frozen=True)
class Orientation:
    """How to turn decoded frames into what a player shows: transpose first, then flip rows and/or columns."""

    transpose: bool = False
    flip_rows: bool = False  # upside down
    flip_cols: bool = False  # mirrored left-right

    @property
    def identity(self) -> bool:
        return not (self.transpose or self.flip_rows or self.flip_cols)


def orientation_from_matrix(matrix: tuple[int, ...] | None) -> Orientation:
    """The display transform of an FFmpeg display matrix (9 int32, ``AV_PKT_DATA_DISPLAYMATRIX`` layout).

    The matrix maps a coded pixel (x right, y down) to the displayed one: x' = a·x + c·y, y' = b·x + d·y with
    (a, b, c, d) = matrix[0, 1, 3, 4]. Quarter turns and mirrors, the only ones cameras write, are exact; any other
    angle keeps the coded orientation (``None``: no matrix).
    """
    if matrix is None:
        return Orientation()
    a, b, _, c, d = (int(v) for v in matrix[:5])
    zero = [abs(v) < 1 << 8 for v in (a, b, c, d)]  # below 1/256 in 16.16 fixed point: rounding of cos(90°)
    if zero == [False, True, True, False]:  # x' = ±x, y' = ±y
        return Orientation(flip_rows=d < 0, flip_cols=a < 0)
    if zero == [True, False, False, True]:  # x' = ±y, y' = ±x: a transpose, then the signs
        return Orientation(transpose=True, flip_rows=b < 0, flip_cols=c < 0)
    return Orientation()


def orient_frames(frames, orientation: Orientation):
    """(T, H, W, C) frames as displayed: (T, W, H, C) after a quarter turn. A view where possible, no copy."""
    import numpy as np

    if orientation.identity:
        return frames
    if orientation.transpose:
        frames = frames.transpose(0, 2, 1, 3)
    if orientation.flip_rows:
        frames = frames[:, ::-1]
    if orientation.flip_cols:
        frames = frames[:, :, ::-1]
    return np.ascontiguousarray(frames)
