"""PyAV backend: exact frame indexing from packet timestamps, keyframe seeking for sparse targets.

The probe demuxes packets without decoding them: their presentation timestamps, sorted, are the frames of a full
sequential decode, and their keyframe flags say where a decode may start. Reading a set of frames then seeks to the
keyframe before a target only when a keyframe lies between the decoder's position and that target, and otherwise
keeps decoding forward, so dense sampling of a short clip is one sequential pass that stops after the last target.
Frames are matched by timestamp; any disagreement with the probe falls back to a full sequential decode, so the
result always equals what a full decode gives at those indices.
"""

from __future__ import annotations

import io
import os
from fractions import Fraction

import numpy as np

from ...logging_utils import get_logger
from ..errors import VideoDecodeError
from ..types import VideoInfo
from .base import FrameSize, ProbeMismatch, VideoSource, describe_unreadable, source_label


def _open_container(source: VideoSource, label: str):
    import av

    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise VideoDecodeError(label, 'empty input (0 bytes)')
        target = io.BytesIO(bytes(source))
    else:
        path = os.fspath(source)
        if not os.path.exists(path):
            raise VideoDecodeError(label, 'file not found')
        if os.path.isdir(path):
            raise VideoDecodeError(label, 'is a directory, not a video file')
        if os.path.getsize(path) == 0:
            raise VideoDecodeError(label, 'file is empty (0 bytes)')
        target = path
    try:
        return av.open(target, mode='r', metadata_errors='ignore')
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise VideoDecodeError(label, describe_unreadable(source, error)) from None


class PyAVReader:
    """Reads one video with PyAV. Use as a context manager; ``probe()`` then ``read(info, indices)``."""

    name = 'pyav'

    def __init__(self, source: VideoSource, *, threads: int = 0):
        self.label = source_label(source)
        self.container = _open_container(source, self.label)
        if not self.container.streams.video:
            kinds = sorted({s.type for s in self.container.streams}) or ['no']
            self.close()
            raise VideoDecodeError(self.label, f'no video stream ({"/".join(kinds)} streams only; audio-only file?)')
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = 'AUTO'
        self.stream.thread_count = threads
        self.skipped_packets = 0

    def __enter__(self) -> PyAVReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.container.close()

    # ------------------------------------------------------------------ probe
    def probe(self) -> VideoInfo:
        """Frame timestamps from packet timestamps (no decoding); falls back to a decode for streams without pts."""
        import av

        pts, key_pts = [], []
        try:
            for packet in self.container.demux(self.stream):
                if packet.size == 0 or packet.is_discard:
                    continue
                if packet.pts is None:
                    return self.probe_by_decoding()
                pts.append(packet.pts)
                if packet.is_keyframe:
                    key_pts.append(packet.pts)
        except av.error.FFmpegError as error:
            raise VideoDecodeError(self.label, f'truncated or corrupt stream after {len(pts)} packets: {error}') \
                from None
        if not pts:
            raise VideoDecodeError(self.label, 'no decodable frame (the video stream holds no frames)')
        indexed = self.stream.frames
        if indexed and len(pts) < indexed:
            raise VideoDecodeError(self.label, f'truncated: the container indexes {indexed} frames but only '
                                   f'{len(pts)} are in the file')
        frame_pts = np.unique(np.asarray(pts, dtype=np.int64))
        if len(frame_pts) != len(pts):  # duplicate timestamps: only a decode can say which frames exist
            return self.probe_by_decoding()
        if not key_pts:
            key_pts = [int(frame_pts[0])]
        return self._make_info(frame_pts, np.unique(np.asarray(key_pts, dtype=np.int64)), exact=True)

    def probe_by_decoding(self) -> VideoInfo:
        """Timestamps of every frame of a full sequential decode (slow path, exact by construction)."""
        times = []
        self._seek_start()
        for frame in self._decode_tolerant():
            times.append(frame.time if frame.time is not None else len(times))
        if not times:
            raise VideoDecodeError(self.label, 'no decodable frame (every packet failed to decode)')
        if self.skipped_packets:
            get_logger().warning(f'{self.label}: {self.skipped_packets} corrupt packets skipped; sampling from '
                                 f'the {len(times)} frames that decode')
        times = np.asarray(times, dtype=np.float64)
        if np.any(np.diff(times) <= 0):  # no usable timestamps: use the nominal rate
            rate = float(self.stream.average_rate or self.stream.guessed_rate or 25)
            times = np.arange(len(times)) / rate
        return VideoInfo(source=self.label, frame_times=times - times[0], fps=_average_fps(times, self.stream),
                         width=self.stream.codec_context.width, height=self.stream.codec_context.height,
                         exact_pts=False)

    def _make_info(self, frame_pts: np.ndarray, key_pts: np.ndarray, exact: bool) -> VideoInfo:
        time_base = Fraction(self.stream.time_base) if self.stream.time_base else Fraction(1, 1)
        times = (frame_pts - frame_pts[0]).astype(np.float64) * float(time_base)
        return VideoInfo(source=self.label, frame_times=times, fps=_average_fps(times, self.stream),
                         width=self.stream.codec_context.width, height=self.stream.codec_context.height,
                         frame_pts=frame_pts, keyframe_pts=key_pts, time_base=time_base, exact_pts=exact)

    # ------------------------------------------------------------------ read
    def read(self, info: VideoInfo, indices: np.ndarray, size: FrameSize | None = None) -> np.ndarray:
        """(T, H, W, 3) uint8 frames at ``indices`` (positions in a full decode), optionally resized to ``size``."""
        indices = np.asarray(indices, dtype=np.int64)
        if len(indices) == 0:
            return np.zeros((0, 0, 0, 3), dtype=np.uint8)
        if info.exact_pts:
            return self._read_by_seeking(info, indices, size)  # may raise ProbeMismatch
        return self._read_sequential(indices, size)

    def _to_rgb(self, frame, size: FrameSize | None) -> np.ndarray:
        if size is None:
            return frame.to_ndarray(format='rgb24')
        return frame.to_ndarray(format='rgb24', width=size.width, height=size.height, interpolation='BICUBIC')

    def _seek_start(self) -> None:
        self.container.seek(0, backward=True, any_frame=False)

    def _decode_tolerant(self):
        """Decoded frames from the current position; packets the decoder rejects are skipped, not fatal."""
        import av

        for packet in self.container.demux(self.stream):
            try:
                yield from packet.decode()
            except (av.error.InvalidDataError, av.error.UndefinedError, av.error.EOFError):
                self.skipped_packets += 1

    def _read_by_seeking(self, info: VideoInfo, indices: np.ndarray, size: FrameSize | None) -> np.ndarray:
        import av

        order = np.argsort(indices, kind='stable')
        targets = info.frame_pts[indices[order]]
        keyframes = info.keyframe_pts
        out: list[np.ndarray | None] = [None] * len(indices)
        position = None  # pts of the last decoded frame, None before the first seek
        frames = None
        i = 0
        try:
            while i < len(targets):
                target = int(targets[i])
                k = np.searchsorted(keyframes, target, side='right') - 1
                keyframe = int(keyframes[k]) if k >= 0 else int(info.frame_pts[0])
                if position is None or keyframe > position:
                    self.container.seek(keyframe, backward=True, any_frame=False, stream=self.stream)
                    frames = self._decode_tolerant()
                for frame in frames:
                    position = frame.pts
                    if position is None:
                        raise ProbeMismatch
                    if position < target:
                        continue
                    if position > target:  # the decoder skipped the target: the probe was wrong
                        raise ProbeMismatch
                    rgb = self._to_rgb(frame, size)
                    while i < len(targets) and int(targets[i]) == target:  # repeated indices share one decode
                        out[order[i]] = rgb
                        i += 1
                    break
                else:
                    raise ProbeMismatch  # reached the end of the stream before the target
        except av.error.FFmpegError as error:
            raise VideoDecodeError(self.label, f'decoding failed: {error}') from None
        return np.stack(out)

    def _read_sequential(self, indices: np.ndarray, size: FrameSize | None) -> np.ndarray:
        import av

        wanted: dict[int, list[int]] = {}
        for slot, index in enumerate(indices.tolist()):
            wanted.setdefault(index, []).append(slot)
        out: list[np.ndarray | None] = [None] * len(indices)
        last = max(wanted)
        self._seek_start()
        try:
            for position, frame in enumerate(self._decode_tolerant()):
                if position in wanted:
                    rgb = self._to_rgb(frame, size)
                    for slot in wanted[position]:
                        out[slot] = rgb
                if position >= last:
                    break
        except av.error.FFmpegError as error:
            raise VideoDecodeError(self.label, f'decoding failed: {error}') from None
        missing = [int(indices[s]) for s, f in enumerate(out) if f is None]
        if missing:
            raise VideoDecodeError(self.label, f'frames {missing[:5]} could not be decoded (truncated stream?)')
        return np.stack(out)


def _average_fps(times: np.ndarray, stream) -> float:
    """Frames per second: from the timestamps when there are several frames, else the stream's nominal rate."""
    if len(times) > 1 and times[-1] > times[0]:
        return float((len(times) - 1) / (times[-1] - times[0]))
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 1.0
