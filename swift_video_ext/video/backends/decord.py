"""Optional decord backend (``pip install swift-video-ext[decord]``, x86-64 only).

Indices and timestamps come from the PyAV packet probe, so every backend samples the same frames; decord only
decodes the pixels (``VideoReader.get_batch``). A clip whose frame count decord disagrees on is refused (MP4s
with an edit list: decord counts the discarded packets as frames and maps an index to a different frame depending
on whether it got there by seeking or by decoding on, so no fixed offset lines its indices up with the probe's).

decord turns frames itself by the angle it reads from the stream (a mirror reads as a half turn) and resizes after
the turn; ``read`` undoes that turn, so it returns the stored frames like every backend and the display matrix is
applied once, after decoding, by the caller.
"""

from __future__ import annotations

import io
import math
import os

import numpy as np

from ..errors import VideoDecodeError
from ..types import VideoInfo
from .base import FrameSize
from .pyav import PyAVProbedReader


class DecordReader(PyAVProbedReader):
    name = 'decord'

    def require(self) -> None:
        import decord  # noqa: F401

    def read(self, info: VideoInfo, indices: np.ndarray, size: FrameSize | None = None) -> np.ndarray:
        import decord

        turn = self.decord_turn()
        if not size:
            return self.unturn(self.decode(info, indices, {}), turn, info)
        # decord scales the turned frame: ask for the turned size
        width, height = (size.height, size.width) if turn in (90, 270) else (size.width, size.height)
        try:
            return self.unturn(self.decode(info, indices, {'width': width, 'height': height}), turn, size)
        except decord.DECORDError:  # decord 0.6 takes padded rows as compact at some widths (16, 48 px)
            frames = self.unturn(self.decode(info, indices, {}), turn, info)
            return np.stack([_resize(frame, size) for frame in frames])

    def decode(self, info: VideoInfo, indices: np.ndarray, kwargs: dict) -> np.ndarray:
        """(T, H, W, 3) uint8 frames as decord returns them (turned, at ``kwargs``' width/height when given).

        Raises ``decord.DECORDError`` from a resized decode (the caller falls back), ``VideoDecodeError`` otherwise.
        """
        import decord

        source = self.source
        source = io.BytesIO(bytes(source)) if isinstance(source, (bytes, bytearray, memoryview)) else os.fspath(source)
        try:
            reader = decord.VideoReader(source, ctx=decord.cpu(0), num_threads=self.threads, **kwargs)
        except decord.DECORDError as error:
            raise VideoDecodeError(self.label, f'decord cannot open it: {error}') from None
        if len(reader) != info.num_frames:
            raise VideoDecodeError(self.label, f'decord counts {len(reader)} frames where a full decode gives '
                                   f'{info.num_frames}; use VIDEO_LOAD_BACKEND=pyav for this file')
        try:
            batch = reader.get_batch(np.asarray(indices, dtype=np.int64).tolist())
        except decord.DECORDError as error:  # e.g. decord2 3.4 on 96 px wide H.264 (a buffer-size check fails)
            if kwargs:
                raise
            raise VideoDecodeError(self.label, f'decord failed to decode it: {str(error)[-200:]}; '
                                   'use VIDEO_LOAD_BACKEND=pyav for this file') from None
        # decord's bridge is process-global: another library may have switched it to torch
        return batch.asnumpy() if hasattr(batch, 'asnumpy') else batch.numpy()

    def decord_turn(self) -> int:
        """Degrees decord turns this stream's frames clockwise (0, 90, 180 or 270), worked out as decord 0.6 does.

        decord takes the stream's ``rotate`` tag when it is a non-zero number, else the angle of the display matrix
        (``-av_display_rotation_get``, which reads a mirror as a half turn), wraps it into [0, 360) and truncates it
        to whole degrees; only exactly 90, 180 and 270 turn the frames.
        """
        tag = dict(self.probe_reader.stream.metadata).get('rotate', '')
        try:
            theta = float(tag) if tag else 0.0
        except ValueError:
            theta = 0.0
        if not theta:
            self.probe_reader.orientation()  # reads the display matrix (decodes one frame when none was yet)
            theta = _matrix_angle(getattr(self.probe_reader, '_matrix', None))
        if math.isnan(theta):
            return 0
        theta = math.fmod(theta, 360.0)
        theta = int(theta + 360.0 if theta < 0 else theta)
        return theta if theta in (90, 180, 270) else 0

    def unturn(self, frames: np.ndarray, turn: int, size) -> np.ndarray:
        """(T, H, W, 3) stored frames from decord's turned ones; ``size`` has the stored ``width``/``height``."""
        if turn:
            frames = np.ascontiguousarray(np.rot90(frames, turn // 90, axes=(1, 2)))  # counter-clockwise back
        if frames.shape[1:3] != (size.height, size.width):
            raise VideoDecodeError(self.label, f'decord returned {frames.shape[2]}x{frames.shape[1]} frames where '
                                   f'{size.width}x{size.height} were expected (an unexpected rotation); '
                                   'use VIDEO_LOAD_BACKEND=pyav for this file')
        return frames


def _matrix_angle(matrix: tuple[int, ...] | None) -> float:
    """Clockwise angle in degrees of an FFmpeg display matrix as ``-av_display_rotation_get`` gives it (0.0 for
    none, NaN for a degenerate one)."""
    if matrix is None:
        return 0.0
    a, b, _, c, d = (v / 65536.0 for v in matrix[:5])
    scale_x, scale_y = math.hypot(a, c), math.hypot(b, d)
    if not scale_x or not scale_y:
        return math.nan
    return math.degrees(math.atan2(b / scale_y, a / scale_x))


def _resize(frame: np.ndarray, size: FrameSize) -> np.ndarray:
    """(H, W, 3) uint8 frame resized to ``size`` with swscale (bicubic), as the PyAV backend resizes."""
    import av

    picture = av.VideoFrame.from_ndarray(frame, format='rgb24')
    return picture.to_ndarray(format='rgb24', width=size.width, height=size.height, interpolation='BICUBIC')
