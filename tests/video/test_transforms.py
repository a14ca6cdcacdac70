"""pytorchvideo replacements: short-side scale, centre crop, normalise."""

import numpy as np
import torch
import torch.nn.functional as F

from swift_video_ext.video.transforms import (
    CLIP_MEAN,
    CLIP_STD,
    center_crop,
    frames_to_tensor,
    normalize,
    short_side_scale,
)


def test_short_side_scale_floor_rule_and_bilinear():
    video = torch.rand(2, 3, 100, 150)
    out = short_side_scale(video, 30)
    assert out.shape == (2, 3, 30, 45)
    torch.testing.assert_close(out, F.interpolate(video, size=(30, 45), mode='bilinear', align_corners=False))
    assert short_side_scale(torch.rand(1, 3, 151, 100), 30).shape == (1, 3, 45, 30)  # floor(151/100*30)=45


def test_center_crop_offsets_round_half():
    video = torch.arange(1 * 1 * 7 * 9, dtype=torch.float32).view(1, 1, 7, 9)
    out = center_crop(video, 4)
    top, left = round((7 - 4) / 2), round((9 - 4) / 2)
    torch.testing.assert_close(out, video[:, :, top:top + 4, left:left + 4])


def test_normalize_per_channel():
    frames = np.full((1, 2, 2, 3), 255, dtype=np.uint8)
    out = normalize(frames_to_tensor(frames), CLIP_MEAN, CLIP_STD)
    expected = (1.0 - torch.tensor(CLIP_MEAN)) / torch.tensor(CLIP_STD)
    torch.testing.assert_close(out[0, :, 0, 0], expected)
