"""Frame transforms shared by the model processors, written here instead of importing pytorchvideo.

pytorchvideo 0.1.5 cannot import its transforms on torchvision >= 0.17; the three operations video models use
from it (normalise, short-side scale, centre crop) are a few lines of torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def frames_to_tensor(frames: np.ndarray, scale: bool = True) -> torch.Tensor:
    """(T, H, W, 3) uint8 → (T, 3, H, W) float32 in [0, 1] (in [0, 255] with ``scale=False``)."""
    video = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    return video.div_(255.0) if scale else video


def normalize(video: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """Per-channel ``(x - mean) / std`` on (T, 3, H, W)."""
    mean_t = torch.tensor(mean, dtype=video.dtype, device=video.device).view(1, -1, 1, 1)
    std_t = torch.tensor(std, dtype=video.dtype, device=video.device).view(1, -1, 1, 1)
    return (video - mean_t) / std_t


def short_side_scale(video: torch.Tensor, size: int, interpolation: str = 'bilinear') -> torch.Tensor:
    """Resize (T, C, H, W) so the short side is ``size``; the long side becomes ``floor(long / short * size)``.

    Same rule as pytorchvideo's ``ShortSideScale`` (``align_corners=False``, no antialiasing).
    """
    _, _, height, width = video.shape
    if width < height:
        new_w, new_h = size, int(np.floor(height / width * size))
    else:
        new_w, new_h = int(np.floor(width / height * size)), size
    return F.interpolate(video, size=(new_h, new_w), mode=interpolation, align_corners=False)


def center_crop(video: torch.Tensor, size: int) -> torch.Tensor:
    """Crop (T, C, H, W) to (T, C, size, size) around the centre (offsets ``round((H - size) / 2)``)."""
    _, _, height, width = video.shape
    if height < size or width < size:
        raise ValueError(f'frames of {height}x{width} are smaller than the {size}x{size} crop')
    top, left = int(round((height - size) / 2.0)), int(round((width - size) / 2.0))
    return video[:, :, top:top + size, left:left + size]
