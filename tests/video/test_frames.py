"""Still images and frame lists → (T, H, W, 3) uint8 frames: the one conversion every template and processor uses."""

import numpy as np
from PIL import Image

from swift_video_ext.video.frames import as_frames, image_frames


def test_an_image_of_any_mode_is_a_one_frame_rgb_video():
    grey = Image.fromarray(np.full((6, 8), 200, dtype=np.uint8))  # mode L
    rgba = Image.new('RGBA', (8, 6), (10, 20, 30, 40))
    for image in (grey, rgba):
        frames = image_frames(image)
        assert frames.shape == (1, 6, 8, 3) and frames.dtype == np.uint8
    assert image_frames(grey)[0, 0, 0].tolist() == [200, 200, 200]
    assert image_frames(rgba)[0, 0, 0].tolist() == [10, 20, 30]
    array = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)
    assert np.array_equal(image_frames(array), array[None])


def test_frame_lists_and_arrays_become_t_h_w_3():
    video = np.random.default_rng(0).integers(0, 256, (3, 6, 8, 3), dtype=np.uint8)
    assert as_frames(video) is video or np.array_equal(as_frames(video), video)
    assert np.array_equal(as_frames(video[0]), video[:1])
    assert np.array_equal(as_frames([Image.fromarray(f) for f in video]), video)
    assert np.array_equal(as_frames(list(video)), video)
    assert np.array_equal(as_frames(Image.fromarray(video[1])), video[1:2])
