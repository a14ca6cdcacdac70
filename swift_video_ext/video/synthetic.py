"""Synthesised test clips (PyAV): frame counters, known event windows, odd sizes, variable frame rate.

Each frame shows its own index as a row of 12 black/white bit cells across the top of the image, large enough to
survive lossy compression, so a decoded frame tells which source frame it is (:func:`read_frame_counter`).
An optional red square is visible only during ``event`` = (start, end) seconds: ground truth for grounding data.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

COUNTER_BITS = 12


def counter_frame(index: int, width: int, height: int, *, event: bool = False) -> np.ndarray:
    """(height, width, 3) uint8 RGB frame with ``index`` drawn as bit cells and a moving gradient background."""
    y, x = np.mgrid[0:height, 0:width]
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[..., 0] = (x * 255 // max(1, width - 1) + index * 3) % 256
    frame[..., 1] = (y * 255 // max(1, height - 1)) % 256
    frame[..., 2] = (index * 7) % 256
    band = max(8, height // 4)
    cell = width // COUNTER_BITS
    for bit in range(COUNTER_BITS):
        value = 255 if (index >> bit) & 1 else 0
        frame[:band, bit * cell:(bit + 1) * cell] = value
    if event:
        side = max(8, min(width, height) // 4)
        top, left = height - side - 2, (index * 2) % max(1, width - side)
        frame[top:top + side, left:left + side] = (255, 0, 0)
    return frame


def read_frame_counter(frame: np.ndarray) -> int:
    """Inverse of :func:`counter_frame`: the index drawn in a decoded (possibly resized) RGB frame."""
    height, width = frame.shape[:2]
    band = max(2, height // 8)
    cell = width / COUNTER_BITS
    index = 0
    for bit in range(COUNTER_BITS):
        left, right = int(bit * cell + cell * 0.25), int((bit + 1) * cell - cell * 0.25)
        if frame[: band, left:right].mean() > 127:
            index |= 1 << bit
    return index


def has_event(frame: np.ndarray) -> bool:
    """True if the red event square of :func:`counter_frame` is visible in the frame."""
    red = (frame[..., 0] > 180) & (frame[..., 1] < 80) & (frame[..., 2] < 80)
    return bool(red.mean() > 0.01)


def write_counter_clip(path: str | Path, *, num_frames: int = 48, fps: float = 24.0, width: int = 160,
                       height: int = 96, codec: str = 'libx264', gop: int = 12, bframes: int = 2,
                       frame_times: Sequence[float] | None = None, event: tuple[float, float] | None = None,
                       audio: bool = False) -> Path:
    """Encode a counter clip and return its path.

    ``frame_times`` (seconds, increasing) makes a variable-frame-rate clip; otherwise frames are ``1 / fps`` apart.
    ``gop`` is the keyframe interval in frames and ``bframes`` the number of consecutive B-frames (H.264).
    """
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    times = list(frame_times) if frame_times is not None else [i / fps for i in range(num_frames)]
    time_base = Fraction(1, 1000) if frame_times is not None else Fraction(1, int(round(fps * 1000)))
    with av.open(str(path), mode='w') as container:
        rate = Fraction(fps).limit_denominator(1001)
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = 'yuv420p'
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        if codec in {'libx264', 'h264'}:
            stream.codec_context.gop_size = gop
            stream.codec_context.max_b_frames = bframes
            stream.options = {'preset': 'ultrafast' if bframes == 0 else 'veryfast', 'crf': '18',
                              'x264-params': f'keyint={gop}:min-keyint={gop}:scenecut=0:bframes={bframes}'}
        else:
            stream.codec_context.gop_size = gop
        audio_stream = container.add_stream('aac', rate=16000) if audio else None
        for index, t in enumerate(times):
            in_event = event is not None and event[0] <= t < event[1]
            frame = av.VideoFrame.from_ndarray(counter_frame(index, width, height, event=in_event), format='rgb24')
            frame.pts = int(round(t / time_base))
            frame.time_base = time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio_stream is not None:
            _write_silence(container, audio_stream, seconds=times[-1] + 1.0 / fps)
    return path


def _write_silence(container, stream, seconds: float) -> None:
    import av

    samples = int(seconds * stream.rate)
    frame = av.AudioFrame.from_ndarray(np.zeros((1, samples), dtype=np.float32), format='fltp', layout='mono')
    frame.rate = stream.rate
    frame.pts = 0
    for packet in stream.encode(frame):
        container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def write_audio_only(path: str | Path, seconds: float = 1.0) -> Path:
    """An .m4a/.mp4 file holding only an AAC audio stream."""
    import av

    path = Path(path)
    with av.open(str(path), mode='w') as container:
        stream = container.add_stream('aac', rate=16000)
        _write_silence(container, stream, seconds)
    return path


def write_frame_folder(folder: str | Path, num_frames: int, *, width: int = 64, height: int = 48,
                       pattern: str = 'frame_{}.jpg') -> list[Path]:
    """Write counter frames as images ``pattern.format(i + 1)``; returns the paths in frame order."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(num_frames):
        path = folder / pattern.format(index + 1)
        Image.fromarray(counter_frame(index, width, height)).save(path, quality=95)
        paths.append(path)
    return paths


def write_subtitles(path: str | Path, cues: Sequence[tuple[float, float, str]]) -> Path:
    """Write ``(start_s, end_s, text)`` cues as .srt or .vtt (by the file extension) with pysubs2."""
    import pysubs2

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    subs = pysubs2.SSAFile()
    for start, end, text in cues:
        subs.append(pysubs2.SSAEvent(start=int(round(start * 1000)), end=int(round(end * 1000)), text=text))
    subs.save(str(path), format_='vtt' if path.suffix.lower() == '.vtt' else 'srt')
    return path


def write_edit_list_clip(path: str | Path, *, discard: int = 1, num_frames: int = 48, fps: float = 24.0,
                         gop: int = 12, bframes: int = 2) -> Path:
    """An MP4 whose edit list hides its first ``discard`` frames, as B-frame encoders and cut tools leave them.

    A counter clip is remuxed with every timestamp moved ``discard`` frames earlier: the MP4 muxer writes an edit
    list starting at time 0, so the demuxer flags the packets before it as discard and a decode shows
    ``num_frames - discard`` frames, the first one being counter ``discard`` (the container still indexes all).
    """
    import av

    path = Path(path)
    source = write_counter_clip(path.with_name(path.stem + '_source.mp4'), num_frames=num_frames, fps=fps, gop=gop,
                                bframes=bframes)
    with av.open(str(source)) as inp, av.open(str(path), mode='w') as out:
        stream = inp.streams.video[0]
        shift = int(round(discard / (fps * stream.time_base)))  # frames → time_base units
        out_stream = out.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is None:  # the demuxer's end-of-stream flush packet
                continue
            packet.pts -= shift
            packet.dts -= shift
            packet.stream = out_stream
            out.mux(packet)
    source.unlink()
    return path


def write_damaged_clip(path: str | Path, *, num_frames: int = 40, fps: float = 25.0,
                       zeroed: Sequence[int] = (20, 21, 22, 23, 24), swapped: tuple[int, int] | None = (10, 11),
                       ) -> tuple[Path, np.ndarray]:
    """An intra-only counter clip with damage: the frames ``zeroed`` have their data zeroed (the decoder rejects
    them) and the two frames ``swapped`` carry each other's timestamps (as a broken muxer writes them).

    Returns the path and, for each counter value, the presentation time (seconds) written for its frame.
    """
    import av

    path = Path(path)
    source = write_counter_clip(path.with_name(path.stem + '_source.mp4'), num_frames=num_frames, fps=fps, gop=1,
                                bframes=0)
    times = np.arange(num_frames, dtype=np.float64) / fps
    with av.open(str(source)) as inp, av.open(str(path), mode='w') as out:
        stream = inp.streams.video[0]
        out_stream = out.add_stream_from_template(stream)
        packets = [p for p in inp.demux(stream) if p.dts is not None]
        pts = [p.pts for p in packets]
        step = int(round(1 / (fps * stream.time_base)))  # one frame in time_base units
        dts = [p.dts - step for p in packets]  # room for a timestamp one frame early (the swap)
        if swapped is not None:
            a, b = swapped
            pts[a], pts[b] = pts[b], pts[a]
            times[[a, b]] = times[[b, a]]
        for index, packet in enumerate(packets):
            if index in zeroed:
                damaged = av.Packet(bytes(packet.size))
                damaged.time_base, damaged.is_keyframe = packet.time_base, True
                packet = damaged
            packet.pts, packet.dts = pts[index], dts[index]
            packet.stream = out_stream
            out.mux(packet)
    source.unlink()
    return path, times
