"""PyAV backend: exact frame indexing from packet timestamps, keyframe seeking for sparse targets.

The probe demuxes packets without decoding them: their presentation timestamps, sorted, are the frames of a full
sequential decode, and their keyframe flags say where a decode may start. Reading a set of frames then seeks to the
keyframe before a target only when a keyframe lies between the decoder's position and that target, and otherwise
keeps decoding forward, so dense sampling of a short clip is one sequential pass that stops after the last target.
Frames are matched by timestamp; any disagreement with the probe falls back to a full sequential decode, so the
result always equals what a full decode gives at those indices.
"""

from __future__ import annotations

import contextlib
import io
import os
from fractions import Fraction

import numpy as np

from ..errors import VideoDecodeError
from ..log import get_logger
from ..types import VideoInfo
from .base import (
    FrameSize,
    Orientation,
    ProbeMismatch,
    ReaderBase,
    VideoSource,
    describe_unreadable,
    orientation_from_matrix,
    source_label,
)

# FFmpeg's demuxers for picture files (one picture per file: ``png_pipe``, ``jpeg_pipe``, … and ``image2``) and for
# animations (which a single frame makes a still picture too), and how messages name their codecs.
_PICTURE_FORMATS = frozenset({'image2', 'gif', 'apng'})
_PICTURE_CODECS = {'png': 'PNG', 'apng': 'PNG', 'mjpeg': 'JPEG', 'jpegls': 'JPEG-LS', 'jpeg2000': 'JPEG 2000',
                   'bmp': 'BMP', 'webp': 'WebP', 'tiff': 'TIFF', 'gif': 'GIF'}


def still_picture_reason(format_name: str, codec_name: str, num_frames: int) -> str | None:
    """Why a file of ``num_frames`` frames is not a video, when it is a still picture (an image format, ≤ 1 frame).

    An animated GIF or APNG (several frames) is a video; a one-frame H.264 MP4 is a (very short) video too.
    """
    if num_frames > 1 or not (format_name.endswith('_pipe') or format_name in _PICTURE_FORMATS):
        return None
    kind = _PICTURE_CODECS.get(codec_name, codec_name.upper())
    return (f'not a video file: a still {kind} image; give it under "images" (or as a one-item list of frame '
            'images for a one-frame video)')


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


class PyAVReader(ReaderBase):
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
        self._matrix: tuple[int, ...] | None | bool = False  # False: not seen yet (no frame decoded)

    def close(self) -> None:
        self.container.close()

    # ------------------------------------------------------------------ probe
    def probe(self) -> VideoInfo:
        """Frame timestamps from packet timestamps (no decoding); falls back to a decode for streams without pts."""
        import av

        pts, key_pts = [], []  # in decode order
        discarded = 0  # packets an MP4 edit list cuts (decoded for reference, never shown): not missing frames
        try:
            for packet in self.container.demux(self.stream):
                if packet.size == 0:
                    continue
                if packet.is_discard:
                    discarded += 1
                    if packet.is_keyframe and packet.pts is not None:
                        key_pts.append(packet.pts)  # still where a decode of the first shown frames starts
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
        self._refuse_still_picture(len(pts))
        indexed = self.stream.frames
        if indexed and len(pts) + discarded < indexed:
            raise VideoDecodeError(self.label, f'truncated: the container indexes {indexed} frames but only '
                                   f'{len(pts) + discarded} are in the file')
        frame_pts = np.unique(np.asarray(pts, dtype=np.int64))
        if len(frame_pts) != len(pts):  # duplicate timestamps: only a decode can say which frames exist
            return self.probe_by_decoding()
        if not key_pts:
            key_pts = [int(frame_pts[0])]
        reordered = bool(np.any(np.diff(np.asarray(pts, dtype=np.int64)) < 0))  # B-frames
        return self._make_info(frame_pts, np.unique(np.asarray(key_pts, dtype=np.int64)), reordered=reordered)

    def probe_by_decoding(self) -> VideoInfo:
        """Every frame of a full sequential decode, at its own presentation time (slow path, exact).

        Frames are put in presentation order; a frame without a timestamp, or repeating one already seen (corrupt
        data), is left out, since no honest time can be given for it. Only a stream where no frame carries a
        timestamp falls back to the nominal frame rate. ``decode_positions`` maps each index to the frame's
        position in the decode.
        """
        times, positions = [], []
        count = 0
        self._seek_start()
        for count, frame in enumerate(self._decode_tolerant(), start=1):
            if frame.time is not None:
                times.append(frame.time)
                positions.append(count - 1)
        if not count:
            raise VideoDecodeError(self.label, 'no decodable frame (every packet failed to decode)')
        self._refuse_still_picture(count)
        if times:
            times, positions = _presentation_order(np.asarray(times, dtype=np.float64), np.asarray(positions))
        else:  # no timestamps at all (e.g. a raw elementary stream): the nominal rate
            rate = float(self.stream.average_rate or self.stream.guessed_rate or 25)
            times, positions = np.arange(count) / rate, np.arange(count)
        self._warn_dropped(count, len(times))
        return VideoInfo(source=self.label, frame_times=times - times[0], fps=_average_fps(times, self.stream),
                         width=self.stream.codec_context.width, height=self.stream.codec_context.height,
                         exact_pts=False, decode_positions=positions.astype(np.int64))

    def _refuse_still_picture(self, num_frames: int) -> None:
        reason = still_picture_reason(self.container.format.name, self.stream.codec_context.name, num_frames)
        if reason is not None:
            raise VideoDecodeError(self.label, reason)

    def _warn_dropped(self, decoded: int, kept: int) -> None:
        if not self.skipped_packets and kept == decoded:
            return
        parts = [f'{self.skipped_packets} corrupt packets skipped'] if self.skipped_packets else []
        if kept < decoded:
            parts.append(f'{decoded - kept} decoded frames without a timestamp of their own left out')
        get_logger().warning(f'{self.label}: {"; ".join(parts)}; sampling from the {kept} frames that decode, '
                             'at their own presentation times')

    def _make_info(self, frame_pts: np.ndarray, key_pts: np.ndarray, reordered: bool) -> VideoInfo:
        time_base = Fraction(self.stream.time_base) if self.stream.time_base else Fraction(1, 1)
        times = (frame_pts - frame_pts[0]).astype(np.float64) * float(time_base)
        return VideoInfo(source=self.label, frame_times=times, fps=_average_fps(times, self.stream),
                         width=self.stream.codec_context.width, height=self.stream.codec_context.height,
                         frame_pts=frame_pts, keyframe_pts=key_pts, time_base=time_base, exact_pts=True,
                         reordered=reordered)

    def orientation(self) -> Orientation:
        """How decoded frames turn into what a player shows (the stream's display matrix).

        Read from the first decoded frame (the matrix is stream side data FFmpeg attaches to every frame); when
        nothing was decoded yet, one frame is decoded for it.
        """
        if self._matrix is False:
            self._seek_start()
            frames = self._decode_tolerant()
            next(frames, None)
            frames.close()
            if self._matrix is False:
                self._matrix = None
        return orientation_from_matrix(self._matrix)

    # ------------------------------------------------------------------ read
    def read(self, info: VideoInfo, indices: np.ndarray, size: FrameSize | None = None) -> np.ndarray:
        """(T, H, W, 3) uint8 frames at ``indices`` (positions in a full decode), optionally resized to ``size``."""
        indices = np.asarray(indices, dtype=np.int64)
        if len(indices) == 0:
            return np.zeros((0, 0, 0, 3), dtype=np.uint8)
        if info.exact_pts:
            self._choose_threading(info)
            return self._read_by_seeking(info, indices, size)  # may raise ProbeMismatch
        positions = indices if info.decode_positions is None else info.decode_positions[indices]
        return self._read_sequential(positions, size)

    def _choose_threading(self, info: VideoInfo) -> None:
        """Slice threading for streams with B-frames, frame threading otherwise.

        A frame-threaded decoder still spends time on the non-reference B-frames the read asks it to skip, and each
        seek drains its pipeline; with slice threading skipping pays off (measured in ``benchmarks/sampling.py``:
        about 1.4x faster on H.264 with B-frames, while streams of P-frames decode faster frame-threaded).
        """
        with contextlib.suppress(AttributeError, ValueError, RuntimeError):  # codec already open: keep its threads
            self.stream.thread_type = 'SLICE' if info.reordered else 'AUTO'

    def _to_rgb(self, frame, size: FrameSize | None) -> np.ndarray:
        """RGB conversion (and resize) by swscale."""
        if size is None:
            return frame.to_ndarray(format='rgb24')
        return frame.to_ndarray(format='rgb24', width=size.width, height=size.height, interpolation='BICUBIC')

    def _seek_start(self) -> None:
        self.container.seek(0, backward=True, any_frame=False)

    def _decode_tolerant(self, wanted_pts: set[int] | None = None):
        """Decoded frames from the current position; packets the decoder rejects are skipped, not fatal.

        With ``wanted_pts``, frames no other frame references (non-reference B-frames) are not decoded unless they
        are wanted: the decoder never needs them to reconstruct the others, so the wanted frames are unchanged.
        """
        import av

        context = self.stream.codec_context
        try:
            for packet in self.container.demux(self.stream):
                if wanted_pts is not None:
                    context.skip_frame = 'DEFAULT' if packet.pts is None or packet.pts in wanted_pts else 'NONREF'
                try:
                    decoded = packet.decode()
                except (av.error.InvalidDataError, av.error.UndefinedError, av.error.EOFError):
                    self.skipped_packets += 1
                    continue
                for frame in decoded:
                    if self._matrix is False:
                        self._matrix = _display_matrix(frame)
                    yield frame
        finally:
            if wanted_pts is not None:
                context.skip_frame = 'DEFAULT'

    def _read_by_seeking(self, info: VideoInfo, indices: np.ndarray, size: FrameSize | None) -> np.ndarray:
        import av

        order = np.argsort(indices, kind='stable')
        targets = info.frame_pts[indices[order]]
        wanted = {int(t) for t in targets}
        keyframes = info.keyframe_pts
        out = _FrameBuffer(len(indices), lambda frame: self._to_rgb(frame, size))
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
                    frames = self._decode_tolerant(wanted)
                for frame in frames:
                    position = frame.pts
                    if position is None:
                        raise ProbeMismatch
                    if position < target:
                        continue
                    if position > target:  # the decoder skipped the target: the probe was wrong
                        raise ProbeMismatch
                    slots = []
                    while i < len(targets) and int(targets[i]) == target:  # repeated indices share one decode
                        slots.append(int(order[i]))
                        i += 1
                    out.put(slots, frame)
                    break
                else:
                    raise ProbeMismatch  # reached the end of the stream before the target
        except av.error.FFmpegError as error:
            out.close()
            raise VideoDecodeError(self.label, f'decoding failed: {error}') from None
        except BaseException:
            out.close()
            raise
        finally:
            if frames is not None:
                frames.close()  # restores the decoder's skip setting now, not when garbage-collected
        return out.result()

    def _read_sequential(self, indices: np.ndarray, size: FrameSize | None) -> np.ndarray:
        """Frames at ``indices``, positions in a sequential decode from the start."""
        import av

        wanted: dict[int, list[int]] = {}
        for slot, index in enumerate(indices.tolist()):
            wanted.setdefault(index, []).append(slot)
        out = _FrameBuffer(len(indices), lambda frame: self._to_rgb(frame, size))
        last = max(wanted)
        self._seek_start()
        try:
            for position, frame in enumerate(self._decode_tolerant()):
                if position in wanted:
                    out.put(wanted[position], frame)
                if position >= last:
                    break
        except av.error.FFmpegError as error:
            out.close()
            raise VideoDecodeError(self.label, f'decoding failed: {error}') from None
        missing = [int(indices[slot]) for slot in out.missing()]
        if missing:
            out.close()
            raise VideoDecodeError(self.label, f'frames {missing[:5]} could not be decoded (truncated stream?)')
        return out.result()


class _FrameBuffer:
    """(T, H, W, 3) output filled by one background thread converting decoded frames to RGB while the decoder
    goes on (swscale releases the GIL); allocated once at the first frame, cheaper than stacking T arrays."""

    def __init__(self, count: int, convert):
        self.count = count
        self.convert = convert
        self.array: np.ndarray | None = None
        self.filled = np.zeros(count, dtype=bool)
        self.pending = []
        self.executor = None

    def put(self, slots: list[int], frame) -> None:
        if self.executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self.executor = ThreadPoolExecutor(max_workers=1)  # per read: safe across forked data workers
        self.pending.append((slots, self.executor.submit(self.convert, frame)))
        self.filled[slots] = True

    def result(self) -> np.ndarray:
        try:
            for slots, future in self.pending:
                rgb = future.result()
                if self.array is None:
                    self.array = np.empty((self.count, *rgb.shape), dtype=rgb.dtype)
                self.array[slots] = rgb
        finally:
            self.close()
        return self.array

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None

    def missing(self) -> list[int]:
        return np.flatnonzero(~self.filled).tolist()


def _presentation_order(times: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decoded frames sorted by presentation time; of frames sharing a time, the first decoded is kept."""
    order = np.argsort(times, kind='stable')
    times, positions = times[order], positions[order]
    keep = np.concatenate([[True], np.diff(times) > 0])
    return times[keep], positions[keep]


def _display_matrix(frame) -> tuple[int, ...] | None:
    """The frame's display matrix (9 int32), None when it has none."""
    import struct

    try:
        data = bytes(frame.side_data['DISPLAYMATRIX'])
    except KeyError:
        return None
    return struct.unpack('=9i', data[:36]) if len(data) >= 36 else None


def _average_fps(times: np.ndarray, stream) -> float:
    """Frames per second: from the timestamps when there are several frames, else the stream's nominal rate."""
    if len(times) > 1 and times[-1] > times[0]:
        return float((len(times) - 1) / (times[-1] - times[0]))
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 1.0


class PyAVProbedReader(ReaderBase):
    """A reader that takes indices and timestamps from the PyAV packet probe, so every backend samples the same
    frames, and decodes the pixels with another library: subclasses give :meth:`require` and ``read``."""

    def __init__(self, source: VideoSource, *, threads: int = 0):
        self.require()
        self.source = source
        self.threads = threads
        self.probe_reader = PyAVReader(source)
        self.label = self.probe_reader.label

    def require(self) -> None:
        """Import the decoding library: ``ImportError`` when its extra is not installed (before opening anything)."""
        raise NotImplementedError

    def close(self) -> None:
        self.probe_reader.close()

    def probe(self) -> VideoInfo:
        return self.probe_reader.probe()
