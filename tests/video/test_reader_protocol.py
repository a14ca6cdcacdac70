"""Every backend reader is a :class:`VideoReader`; the decord/torchcodec readers share the PyAV probe and close it."""

import importlib.util

import numpy as np
import pytest

from swift_video_ext.video.api import BACKENDS, _reader_class, open_reader
from swift_video_ext.video.backends.base import ReaderBase, VideoReader
from swift_video_ext.video.backends.images import ImageSequenceReader
from swift_video_ext.video.backends.pyav import PyAVProbedReader, PyAVReader


def test_every_backend_reader_is_a_video_reader():
    for backend in BACKENDS:
        reader_class = _reader_class(backend)
        assert reader_class.name == backend and issubclass(reader_class, ReaderBase)
        assert all(callable(getattr(reader_class, m, None)) for m in ('probe', 'read', 'close', '__enter__'))
    assert issubclass(ImageSequenceReader, ReaderBase)
    assert VideoReader.__annotations__.keys() >= {'name', 'label'}


@pytest.mark.parametrize('backend', ['decord', 'torchcodec'])
def test_probed_readers_take_pyavs_probe_and_close_it(backend, gop_clip):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f'{backend} is not installed')
    with PyAVReader(gop_clip) as pyav:
        want = pyav.probe()
        frames = pyav.read(want, np.array([0, 50, 119]))
    with open_reader(gop_clip, backend=backend) as reader:
        assert isinstance(reader, PyAVProbedReader) and reader.label == str(gop_clip)
        info = reader.probe()
        assert np.array_equal(info.frame_times, want.frame_times) and info.num_frames == want.num_frames
        assert np.array_equal(reader.read(info, np.array([0, 50, 119])), frames)
        container = reader.probe_reader.container
    with pytest.raises(IndexError):  # closed with the reader (PyAV empties its streams)
        container.streams.video[0].frames  # noqa: B018


def test_a_missing_decoder_fails_before_opening_the_source(tmp_path):
    class Missing(PyAVProbedReader):
        name = 'missing'

        def require(self) -> None:
            raise ImportError('no module named missing')

    with pytest.raises(ImportError, match='missing'):
        Missing(tmp_path / 'does-not-exist.mp4')  # not VideoDecodeError: the import comes first
