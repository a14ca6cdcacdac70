"""Synthesised benchmark clips: moving texture (so decoding costs like real footage) with a frame counter."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


def write_textured_clip(path: Path, *, seconds: int, width: int, height: int, fps: int = 30, gop_seconds: int = 8,
                        bframes: int = 2) -> Path:
    """Moving random texture + a frame counter; H.264 with a fixed GOP and ``bframes`` B-frames between P-frames.

    ``b-adapt=0`` keeps every B-frame (x264 would otherwise turn most of them into P-frames on this texture); x264's
    default B-pyramid makes one B-frame of each pair a reference, as in typical web H.264.
    """
    import av

    from swift_video_ext.video.synthetic import COUNTER_BITS

    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, (height + 64, width + 64, 3), dtype=np.uint8)
    texture = (texture // 32 * 32).astype(np.uint8)  # blocky texture: realistic bitrate, fast to encode
    tmp = path.with_suffix('.tmp.mp4')
    with av.open(str(tmp), 'w') as container:
        stream = container.add_stream('libx264', rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        gop = gop_seconds * fps
        stream.codec_context.gop_size = gop
        stream.options = {'preset': 'superfast', 'crf': '23',
                          'x264-params': f'keyint={gop}:min-keyint={gop}:scenecut=0:bframes={bframes}:b-adapt=0'}
        cell = width // COUNTER_BITS
        for index in range(seconds * fps):
            dy, dx = (index * 2) % 64, (index * 3) % 64
            frame = np.ascontiguousarray(texture[dy:dy + height, dx:dx + width])
            for bit in range(COUNTER_BITS):
                frame[:height // 4, bit * cell:(bit + 1) * cell] = 255 if (index >> bit) & 1 else 0
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.rename(path)
    return path
