"""Frame folders and lists of frame images, read as a video with timestamps from a given frame rate."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import VideoDecodeError
from ..types import VideoInfo
from .base import FrameSize, ReaderBase

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r'(\d+)', path.name)]


def list_frame_images(folder: str | os.PathLike) -> list[Path]:
    """Image files of a folder in natural order (frame_2 before frame_10)."""
    folder = Path(folder)
    paths = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()]
    return sorted(paths, key=_natural_key)


def resize_frames(frames: np.ndarray, size: FrameSize | None) -> np.ndarray:
    """Resize (T, H, W, 3) uint8 frames with PIL bicubic; no-op when ``size`` is None."""
    if size is None or len(frames) == 0:
        return frames
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(f).resize((size.width, size.height), Image.BICUBIC))
                     for f in frames])


TIMESTAMPS_FILE = 'timestamps.json'


class ImageSequenceReader(ReaderBase):
    """A folder of frame images, or an explicit list of image paths, at ``source_fps`` frames per second.

    A folder holding ``timestamps.json`` (a list of seconds, one per frame, as ``swift-video extract-frames`` writes)
    uses those true times instead.
    """

    name = 'images'

    def __init__(self, frames: str | os.PathLike | Sequence[str | os.PathLike], *, source_fps: float = 1.0):
        if isinstance(frames, (str, os.PathLike)):
            self.label = os.fspath(frames)
            if not os.path.isdir(frames):
                raise VideoDecodeError(self.label, 'frame folder not found')
            self.paths = list_frame_images(frames)
        else:
            self.paths = [Path(p) for p in frames]
            self.label = os.fspath(self.paths[0].parent) if self.paths else '<empty frame list>'
        if not self.paths:
            raise VideoDecodeError(self.label, 'no frame images (expected ' + '/'.join(IMAGE_EXTENSIONS) + ')')
        if source_fps is None or source_fps <= 0:
            raise ValueError(f'source_fps must be positive, got {source_fps!r}')
        self.source_fps = float(source_fps)

    def _load(self, path: Path, draft: bool = False):
        """The image as RGB; ``draft``: a JPEG decoded at reduced scale (a full check of its data, fewer pixels)."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                if draft:
                    image.draft('RGB', (max(1, image.width // 8), max(1, image.height // 8)))
                    image.load()
                    return image
                return image.convert('RGB')
        except FileNotFoundError:
            raise VideoDecodeError(os.fspath(path), 'frame image not found') from None
        except (UnidentifiedImageError, OSError) as error:
            raise VideoDecodeError(os.fspath(path), f'unreadable frame image ({error})') from None

    def _recorded_times(self) -> np.ndarray | None:
        path = Path(self.label) / TIMESTAMPS_FILE
        if not path.is_file():
            return None
        import json

        times = np.asarray(json.loads(path.read_text()), dtype=np.float64)
        if times.shape != (len(self.paths),) or np.any(np.diff(times) < 0):
            raise VideoDecodeError(str(path), f'expected {len(self.paths)} increasing timestamps, one per frame')
        return times

    def check_frames(self) -> None:
        """Decode every frame image (JPEGs at 1/8 scale, cheap) so that one unreadable frame fails the whole
        source, whichever frames a sample picks: a row is never trained on the frames that happen to read."""
        for number, path in enumerate(self.paths, start=1):
            try:
                self._load(path, draft=True)
            except VideoDecodeError as error:
                raise VideoDecodeError(error.source, f'{error.reason}: frame {number} of {len(self.paths)} in '
                                       f'{self.label}, so the whole frame source is refused') from None

    def probe(self) -> VideoInfo:
        self.check_frames()
        first = self._load(self.paths[0])
        times = self._recorded_times()
        fps = self.source_fps
        if times is None:
            times = np.arange(len(self.paths), dtype=np.float64) / self.source_fps
        elif len(times) > 1 and times[-1] > times[0]:
            fps = float((len(times) - 1) / (times[-1] - times[0]))
        return VideoInfo(source=self.label, frame_times=times, fps=fps, width=first.width, height=first.height,
                         exact_pts=True)

    def read(self, info: VideoInfo, indices: np.ndarray, size: FrameSize | None = None) -> np.ndarray:
        from PIL import Image

        frames = []
        for index in np.asarray(indices, dtype=np.int64).tolist():
            image = self._load(self.paths[index])
            if size is not None:
                image = image.resize((size.width, size.height), Image.BICUBIC)
            elif image.size != (info.width, info.height):
                raise VideoDecodeError(os.fspath(self.paths[index]), f'frame size {image.size} differs from the '
                                       f'first frame ({info.width}, {info.height}); set a resize')
            frames.append(np.asarray(image))
        return np.stack(frames)
