"""Optional torchcodec backend (``pip install swift-video-ext[torchcodec]``; needs FFmpeg shared libraries).

Indices and timestamps come from the PyAV packet probe; torchcodec decodes the pixels in exact seek mode with all
FFmpeg threads. Resizing happens after decoding (PIL bicubic).
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import VideoDecodeError
from ..types import VideoInfo
from .base import FrameSize
from .images import resize_frames
from .pyav import PyAVProbedReader


class TorchCodecReader(PyAVProbedReader):
    name = 'torchcodec'

    def require(self) -> None:
        from torchcodec.decoders import VideoDecoder  # noqa: F401

    def read(self, info: VideoInfo, indices: np.ndarray, size: FrameSize | None = None) -> np.ndarray:
        from torchcodec.decoders import VideoDecoder

        source = self.source
        source = bytes(source) if isinstance(source, (bytearray, memoryview)) else source
        source = source if isinstance(source, bytes) else os.fspath(source)
        try:
            decoder = VideoDecoder(source, seek_mode='exact', num_ffmpeg_threads=self.threads,
                                   dimension_order='NHWC')
            if decoder.metadata.num_frames is not None and decoder.metadata.num_frames != info.num_frames:
                raise VideoDecodeError(self.label, f'torchcodec counts {decoder.metadata.num_frames} frames where '
                                       f'a full decode gives {info.num_frames}; use VIDEO_LOAD_BACKEND=pyav')
            frames = decoder.get_frames_at(indices=np.asarray(indices, dtype=np.int64).tolist()).data.numpy()
        except (RuntimeError, ValueError) as error:
            raise VideoDecodeError(self.label, f'torchcodec failed: {error}') from None
        return resize_frames(frames, size)
