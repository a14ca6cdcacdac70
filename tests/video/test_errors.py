"""Bad input raises VideoDecodeError naming the file and the reason, quickly (never a hang)."""

import signal
import struct

import pytest

from swift_video_ext.video import VideoDecodeError, sample_video
from swift_video_ext.video.synthetic import write_audio_only, write_counter_clip


@pytest.fixture(autouse=True)
def no_hang():
    def _timeout(*_):
        raise TimeoutError('sample_video hung')

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def expect_error(path, match):
    with pytest.raises(VideoDecodeError, match=match) as info:
        sample_video(path, 'uniform', num_frames=8)
    assert info.value.source == str(path)
    assert str(path) in str(info.value)
    return info.value


@pytest.fixture(scope='module')
def clip_bytes(tmp_path_factory):
    path = write_counter_clip(tmp_path_factory.mktemp('err') / 'ok.mp4', num_frames=48)
    return path.read_bytes()


def test_missing_file(tmp_path):
    expect_error(tmp_path / 'nope.mp4', 'file not found')


def test_zero_bytes(tmp_path):
    path = tmp_path / 'empty.mp4'
    path.touch()
    expect_error(path, r'file is empty \(0 bytes\)')


def test_truncated_file_without_index(tmp_path, clip_bytes):
    path = tmp_path / 'cut.mp4'
    path.write_bytes(clip_bytes[:len(clip_bytes) // 2])  # the moov index lives at the end: it is gone
    expect_error(path, 'truncated or corrupt MP4')


def test_truncated_faststart_file(tmp_path):
    import av

    from swift_video_ext.video.synthetic import counter_frame

    full = tmp_path / 'fast.mp4'
    with av.open(str(full), 'w', options={'movflags': 'faststart'}) as container:
        stream = container.add_stream('libx264', rate=24)
        stream.width, stream.height, stream.pix_fmt = 160, 96, 'yuv420p'
        for i in range(60):
            for packet in stream.encode(av.VideoFrame.from_ndarray(counter_frame(i, 160, 96), format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = full.read_bytes()
    path = tmp_path / 'fast_cut.mp4'
    path.write_bytes(data[:int(len(data) * 0.6)])  # index at the front says 60 frames, the data stops early
    expect_error(path, 'truncated: the container indexes 60 frames')


def test_not_a_video(tmp_path):
    path = tmp_path / 'notes.mp4'
    path.write_text('this is a text file, not a video\n' * 20)
    expect_error(path, 'not a video file')


def write_picture(path, fmt: str, frames: int = 1):
    import numpy as np
    from PIL import Image

    pictures = [Image.fromarray(np.full((48, 64, 3), 40 * i, dtype=np.uint8)) for i in range(frames)]
    pictures[0].save(path, format=fmt, save_all=frames > 1, append_images=pictures[1:], duration=100)
    return path


@pytest.mark.parametrize(('fmt', 'kind'), [('PNG', 'PNG'), ('JPEG', 'JPEG'), ('BMP', 'BMP'), ('WEBP', 'WebP'),
                                           ('TIFF', 'TIFF'), ('GIF', 'GIF')])
def test_still_picture_renamed_as_video(tmp_path, fmt, kind):
    """A picture file given as a video (here renamed .mp4) is refused, not sampled as one frame repeated."""
    expect_error(write_picture(tmp_path / 'photo.mp4', fmt), f'not a video file: a still {kind} image; give it '
                 'under "images"')


def test_still_picture_with_its_own_extension(tmp_path):
    expect_error(write_picture(tmp_path / 'photo.png', 'PNG'), 'not a video file: a still PNG image')


def test_animations_and_one_frame_videos_are_videos(tmp_path):
    """Several pictures (animated GIF / PNG) are frames over time; a one-frame H.264 MP4 is a (short) video; a
    picture as a one-item frame list is the documented way to use it as a one-frame video."""
    for name, fmt in (('anim.gif', 'GIF'), ('anim.png', 'PNG')):
        video = sample_video(write_picture(tmp_path / name, fmt, frames=4), 'uniform', num_frames=8)
        assert len(video.frames) == 4 and video.timestamps[-1] == pytest.approx(0.3), name
    one_frame = write_counter_clip(tmp_path / 'one.mp4', num_frames=1)
    assert len(sample_video(one_frame, 'uniform', num_frames=8).frames) == 1
    picture = write_picture(tmp_path / 'photo.png', 'PNG')
    assert sample_video([str(picture)], 'segment_middle_fixed', num_frames=4).frames.shape == (4, 48, 64, 3)


def test_audio_only(tmp_path):
    path = write_audio_only(tmp_path / 'speech.m4a')
    expect_error(path, 'no video stream.*audio')


def test_no_decodable_frame(tmp_path, clip_bytes):
    data = bytearray(clip_bytes)
    at = data.find(b'mdat')
    size = struct.unpack('>I', bytes(data[at - 4:at]))[0]
    data[at + 4:at - 4 + size] = bytes(size - 8)  # every coded frame zeroed, index intact
    path = tmp_path / 'zeroed.mp4'
    path.write_bytes(bytes(data))
    expect_error(path, 'no decodable frame')


def test_window_without_frames(tmp_path, clip_bytes):
    path = tmp_path / 'short.mp4'
    path.write_bytes(clip_bytes)
    with pytest.raises(VideoDecodeError, match=r'no frame in the window \[10.0, 20.0\) s'):
        sample_video(path, 'uniform', num_frames=4, start=10.0, end=20.0)


def test_missing_frame_image_names_the_frame(tmp_path):
    from swift_video_ext.video.synthetic import write_frame_folder

    paths = write_frame_folder(tmp_path / 'frames', 4)
    paths[2].unlink()
    with pytest.raises(VideoDecodeError, match='frame_3.jpg: frame image not found'):
        sample_video([str(p) for p in paths], 'uniform', num_frames=4)
