"""Still images and frame lists as the ``(T, H, W, 3)`` uint8 frame arrays every model processor takes."""

from __future__ import annotations

from typing import Any

import numpy as np


def image_frames(image: Any) -> np.ndarray:
    """A still image (PIL, converted to RGB, or an ``(H, W, 3)`` array) → ``(1, H, W, 3)``: a one-frame video."""
    if hasattr(image, 'convert'):
        image = image.convert('RGB')
    return np.asarray(image)[None]


def as_frames(item: Any) -> np.ndarray:
    """An image, a list of frames (images or ``(H, W, 3)`` arrays) or a ``(T, H, W, 3)`` array → ``(T, H, W, 3)``."""
    if hasattr(item, 'convert'):
        return image_frames(item)
    if isinstance(item, (list, tuple)):
        return np.stack([image_frames(frame)[0] for frame in item])
    array = np.asarray(item)
    return array[None] if array.ndim == 3 else array


__all__ = ['as_frames', 'image_frames']
